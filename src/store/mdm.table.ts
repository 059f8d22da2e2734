import type { Generated } from "kysely";
import type { NullableTimestamp, Timestamp } from "./space.table.js";

/** `invite`: Apple's InviteToProgram, the user's Apps and Books invitation link for the device (UB2, 0036). */
export type MdmCommandKind = "install" | "remove" | "invite";
export type MdmCommandState = "pending" | "delivered" | "cancelled" | "failed";

/** Install/remove/invite commands for the MDM, an outbox delivered by the worker (0004_mdm). */
export interface MdmCommandTable {
  space_id: string;
  seq: Generated<number>;
  id: string;
  kind: MdmCommandKind;
  device_id: string;
  serial_number: string;
  /** The app of an install or a remove; null for an invite (0036). */
  adam_id: string | null;
  /** An invite's user (0036); null for an install or a remove. */
  user_id: string | null;
  /** An invite's link: Apple's invitation URL for the user (0036). */
  invitation_url: string | null;
  /** An install waits until Apple confirmed this license (Apple: install only after the association). */
  license_id: string | null;
  /** For an update (DB4): the version it installs; one push per version (0005). */
  app_version: string | null;
  /**
   * A pending install whose license is still pending_assign: out of the delivery poll until
   * the license leaves that state, when the database clears it (0013).
   */
  awaiting_license: Generated<boolean>;
  rule_ids: Generated<string[]>;
  state: Generated<MdmCommandState>;
  attempts: Generated<number>;
  last_error: string | null;
  not_before: NullableTimestamp;
  claimed_until: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** DB4: the newest version known of each app (0005). */
export interface AppVersionTable {
  adam_id: string;
  version: string;
  seen_at: Timestamp;
}

/** PB1: an app out of a user's catalog distribution (0008). */
export interface DistributionExclusionTable {
  space_id: string;
  adam_id: string;
  user_id: string;
  excluded_at: Timestamp;
}
