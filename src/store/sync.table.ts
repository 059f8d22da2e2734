import type { Timestamp } from "./space.table.js";

/** Apple notifications already acted on, by dedupe key (0002_sync). */
export interface AppleNotificationTable {
  space_id: string;
  account_id: string;
  dedupe_key: string;
  notification_type: string;
  received_at: Timestamp;
}
