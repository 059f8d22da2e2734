import type { AppUsageRow } from "../store/export.repo.js";
import type { CsvShape } from "./stream-export.js";

/**
 * The usage export (`GET …/usage/export`, `orchard export usage`): one row per app and
 * account, for finance and true-up. Columns are only ever added at the end. JSON elements
 * are the rows themselves (AppUsageRow).
 */
export const USAGE_COLUMNS = [
  "adam_id",
  "app_name",
  "product_type",
  "account_id",
  "account_name",
  "total",
  "apple_assigned",
  "used",
  "assigned",
  "pending_assign",
  "pending_release",
  "in_grace",
  "reserved",
  "available",
  "waiting_users",
  "waiting_devices",
  "usage_percent",
] as const;

export const USAGE_CSV: CsvShape<AppUsageRow> = {
  columns: USAGE_COLUMNS,
  cells: (u) => [
    u.adamId,
    u.appName ?? "",
    u.productType,
    u.accountId,
    u.accountName,
    ...[
      u.total,
      u.appleAssigned,
      u.used,
      u.assigned,
      u.pendingAssign,
      u.pendingRelease,
      u.inGrace,
      u.reserved,
      u.available,
      u.waitingUsers,
      u.waitingDevices,
      u.usagePercent,
    ].map(String),
  ],
};
