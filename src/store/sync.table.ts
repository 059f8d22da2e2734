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
