import type { LicenseExportRow } from "../store/export.repo.js";
import { type CsvShape, isoCell } from "./stream-export.js";

/**
 * The licenses export (`GET …/licenses/export`, `orchard export licenses`): one row per
 * license. Columns are only ever added at the end, so that readers by position keep working.
 * JSON elements are the rows themselves (LicenseExportRow), absent values left out.
 */
export const LICENSE_COLUMNS = [
  "license_id",
  "adam_id",
  "app_name",
  "account_id",
  "account_name",
  "type",
  "user_id",
  "user_name",
  "user_email",
  "managed_apple_id",
  "device_id",
  "serial_number",
  "state",
  "reserved",
  "rule_ids",
  "created_at",
  "assigned_at",
  "released_at",
  "grace_ends_at",
] as const;

export const LICENSES_CSV: CsvShape<LicenseExportRow> = {
  columns: LICENSE_COLUMNS,
  cells: (l) => [
    l.id,
    l.adamId,
    l.appName ?? "",
    l.accountId,
    l.accountName,
    l.type,
    l.userId ?? "",
    l.userName ?? "",
    l.userEmail ?? "",
    l.managedAppleId ?? "",
    l.deviceId ?? "",
    l.serialNumber ?? "",
    l.state,
    String(l.reserved),
    // Space-separated, as the activity export writes them: one cell a spreadsheet keeps whole.
    l.ruleIds.join(" "),
    isoCell(l.createdAt),
    isoCell(l.assignedAt),
    isoCell(l.releasedAt),
    isoCell(l.graceEndsAt),
  ],
};
