import type { ColumnType, Generated, GeneratedAlways, JSONColumnType } from "kysely";
import type { LicenseState, LicenseType, RequestReason, WaitReason } from "../licensing/index.js";
import type { ActivityParamValue } from "./activity-messages.js";
import type { NotificationParamValue } from "./notification-messages.js";
import type { NullableTimestamp, Timestamp } from "./space.table.js";

/** Rule ids as stored: a text[] column. */
export type RuleIdsColumn = ColumnType<string[], string[] | undefined, string[]>;

export interface LicenseTable {
  space_id: string;
  id: string;
  account_id: string;
  adam_id: string;
  type: LicenseType;
  user_id: string | null;
  device_id: string | null;
  state: LicenseState;
  reserved: Generated<boolean>;
  grace_until: NullableTimestamp;
  rule_ids: RuleIdsColumn;
  created_at: Timestamp;
  updated_at: Timestamp;
  /**
   * DB2, UB3: when the subject first asked (its waiting queue row's time, or the grant's
   * when it did not wait); a refused assignment puts it back in the queue at this time.
   * Null for licenses written before 0015: read as `created_at` (toLicense).
   */
  requested_at: NullableTimestamp;
  /**
   * DB2, LT2: the subject that asked, as the queue keys it ("u:<userId>" or "d:<deviceId>"),
   * and why (0016): a device's request may hold a user-based license, and a refused
   * assignment puts back the device, not the user. Null for licenses written before 0016
   * and for imports of Apple's assignments: requeued from the license's own subject.
   */
  request_subject: string | null;
  request_why: RequestReason | null;
  assigned_at: NullableTimestamp;
  released_at: NullableTimestamp;
  /**
   * Apple answered 9609 (no such user) to this license's association: Orchard registered the
   * user again and sent the association once more (0038); a second 9609 is a refusal for good.
   */
  user_registered_again_at: NullableTimestamp;
  /** Computed by PostgreSQL from `state` (migration 0009): LIVE_STATES. */
  live: GeneratedAlways<boolean>;
  /** Computed from `state`: SEAT_HOLDING_STATES. */
  holds_seat: GeneratedAlways<boolean>;
  /** Computed: `grace_until` while the license is in_grace, else null. */
  grace_ends: GeneratedAlways<Date | null>;
}

/** Requests waiting for a license (DB2, UB3), decided again in order of request: (`requested_at`, `seq`), 0015. */
export interface LicenseQueueTable {
  space_id: string;
  seq: Generated<number>;
  adam_id: string;
  user_id: string | null;
  device_id: string | null;
  why: RequestReason;
  reason: WaitReason;
  rule_ids: RuleIdsColumn;
  requested_at: Timestamp;
  decided_at: Timestamp;
  /**
   * `reason = 'apple_refused'` (0032): Apple's error number and message, the account whose
   * association Apple refused, and when. Null otherwise (an administrator's retry clears them).
   */
  apple_error_number: number | null;
  apple_error_message: string | null;
  refused_account_id: string | null;
  refused_at: NullableTimestamp;
}

/**
 * MA2, DB2: Apple refused for good to associate the app with the subject (as the queue keys
 * it: "u:<userId>" / "d:<deviceId>") from this account (0038): the account is passed over
 * for that subject until an administrator sends the request again (apple-refusals.repo.ts).
 */
export interface AssociationRefusalTable {
  space_id: string;
  adam_id: string;
  subject: string;
  account_id: string;
  error_number: number;
  error_message: string | null;
  refused_at: Timestamp;
}

/** Apple's operations, licenses first, then Apple users (the order the console lists them in). */
export const OUTBOX_KINDS = [
  "associate",
  "disassociate",
  "revoke",
  "create_user",
  "update_user",
  "retire_user",
] as const;
export type OutboxKind = (typeof OUTBOX_KINDS)[number];
export type OutboxState = "pending" | "sent" | "done" | "failed";

/** Apple operations to perform, written in the same transaction as the change that needs them (invariant 3). */
export interface OutboxTable {
  space_id: string;
  seq: Generated<number>;
  account_id: string;
  kind: OutboxKind;
  adam_id: string | null;
  pricing_param: string | null;
  serial_number: string | null;
  client_user_id: string | null;
  license_id: string | null;
  state: Generated<OutboxState>;
  attempts: Generated<number>;
  last_error: string | null;
  event_id: string | null;
  not_before: NullableTimestamp;
  claimed_by: string | null;
  claimed_until: NullableTimestamp;
  /** When Apple accepted the call (Apple: retry an event still PENDING after 10 minutes). 0002_sync. */
  sent_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type ActorKind = "admin" | "api_token" | "system" | "apple" | "mdm";

export interface ActivityTable {
  space_id: string;
  seq: Generated<number>;
  at: Timestamp;
  actor_kind: ActorKind;
  actor_id: string | null;
  action: string;
  user_id: string | null;
  device_id: string | null;
  adam_id: string | null;
  account_id: string | null;
  license_id: string | null;
  rule_ids: RuleIdsColumn;
  message: string | null;
  /** The message's key in the catalogue (activity-messages.ts); null on lines written before 0019. */
  message_key: string | null;
  message_params: JSONColumnType<Record<string, ActivityParamValue> | null, string | null, string | null>;
  details: JSONColumnType<Record<string, unknown> | null, string | null, string | null>;
  /** The writing transaction's id (xid8, as text): the change feed's order (0049; 0 before). */
  xid: Generated<string>;
}

/** A notification's delivery to one channel (0022, notification-delivery.repo.ts). */
export interface NotificationDeliveryTable {
  space_id: string;
  notification_id: string;
  channel: string;
  state: "pending" | "delivered" | "failed";
  attempts: number;
  not_before: NullableTimestamp;
  claimed_until: NullableTimestamp;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type Severity = "info" | "warning" | "alert";

export interface NotificationTable {
  space_id: string;
  id: string;
  kind: string;
  severity: Severity;
  component: string;
  title: string;
  details: JSONColumnType<Record<string, unknown>, string, string>;
  account_id: string | null;
  adam_id: string | null;
  threshold: number | null;
  raised_at: Timestamp;
  cleared_at: NullableTimestamp;
  acknowledged_at: NullableTimestamp;
  /** The message's key in the catalogue (notification-messages.ts); null on notifications raised before 0020. */
  message_key: string | null;
  message_params: JSONColumnType<Record<string, NotificationParamValue> | null, string | null, string | null>;
}
