import type { ColumnType, Generated } from "kysely";
import type { OutboxKind } from "./license.table.js";
import type { NullableTimestamp, Timestamp } from "./space.table.js";

/** Apple notifications already acted on, by dedupe key (0002_sync). */
export interface AppleNotificationTable {
  space_id: string;
  account_id: string;
  dedupe_key: string;
  notification_type: string;
  received_at: Timestamp;
}

/** An operation carried by an Apple call, as kept in `apple_calls.ops` (an outbox row's fields). */
export interface CallOpJson {
  seq: number;
  adamId?: string;
  pricingParam?: string;
  serialNumber?: string;
  clientUserId?: string;
  licenseId?: string;
  attempts: number;
  createdAt: string;
}

export type JsonColumn<T> = ColumnType<T, string, string>;

/** An Apple request in flight, with the outbox operations it carries (0010_apple_calls). */
export interface AppleCallTable {
  space_id: string;
  id: string;
  account_id: string;
  kind: OutboxKind;
  assets: JsonColumn<Array<{ adamId: string; pricingParam?: string }>>;
  ops: JsonColumn<CallOpJson[]>;
  state: "sending" | "sent";
  event_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  not_before: NullableTimestamp;
  claimed_by: string | null;
  claimed_until: NullableTimestamp;
  sent_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/**
 * AC3, AC7: assignments made outside Orchard, as a full sync read them (0031): one row per
 * Apple page, app and kind of subject, the subjects (Apple's spelling) in an array.
 */
export interface OutsideAssignmentTable {
  space_id: string;
  account_id: string;
  generation: ColumnType<number, number, number>;
  adam_id: string;
  pricing_param: string;
  kind: "device" | "user";
  page: number;
  subjects: ColumnType<string[], string[], string[]>;
  size: number;
  /** Each subject is its own key: a clientUserId, or a serial number without a-z (0037). */
  subjects_are_keys: ColumnType<boolean, boolean | undefined, boolean>;
}

/** The generation of `outside_assignments` the account's last complete full sync wrote (0031). */
export interface OutsideAssignmentSnapshotTable {
  space_id: string;
  account_id: string;
  generation: ColumnType<number, number, number>;
  synced_at: Timestamp;
}
