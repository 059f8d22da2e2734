import type { ActivityView } from "../store/activity-view.repo.js";
import { activityMessageIn } from "./activity-messages-fr.js";
import type { Language } from "./decision-texts.js";
import { type CsvShape, csvStream, jsonStream } from "./stream-export.js";

/** The CSV columns of the activity export (API activity.csv and `orchard export activity`). */
const COLUMNS = [
  "seq",
  "at",
  "actor_kind",
  "actor_id",
  "action",
  "user_id",
  "device_id",
  "adam_id",
  "account_id",
  "license_id",
  "rule_ids",
  "message",
  // Names after the ids, so that columns read by position before stay where they were.
  "device_serial_number",
  "user_name",
  "app_name",
  "account_name",
  "actor_name",
  // The line's facts as JSON (a rules change's who entered and left each list, named).
  "details",
];

function csvLine(e: ActivityView): string[] {
  return [
    String(e.seq),
    e.at.toISOString(),
    e.actor.kind,
    e.actor.id ?? "",
    e.action,
    e.userId ?? "",
    e.deviceId ?? "",
    e.adamId ?? "",
    e.accountId ?? "",
    e.licenseId ?? "",
    e.ruleIds.join(" "),
    e.message ?? "",
    e.deviceSerialNumber ?? "",
    e.userName ?? "",
    e.appName ?? "",
    e.accountName ?? "",
    e.actorName ?? "",
    e.details ? JSON.stringify(e.details) : "",
  ];
}

/** The activity export's CSV (`orchard export activity` streams it with exportStream). */
export const ACTIVITY_CSV: CsvShape<ActivityView> = { columns: COLUMNS, cells: csvLine };

/**
 * The entries with their `message` in `language` (activity-messages-fr.ts): English is the
 * text the store kept, so the English export is the same file as before `lang` existed.
 */
export async function* activityInLanguage(
  entries: AsyncIterable<ActivityView>,
  language: Language,
): AsyncIterable<ActivityView> {
  for await (const entry of entries)
    yield language === "en" ? entry : { ...entry, message: activityMessageIn(language, entry) };
}

/** Entries as CSV text, pulled as the destination reads: memory stays flat whatever the log's size. */
export function activityCsv(
  entries: AsyncIterable<ActivityView>,
  count: () => void = () => {},
): NodeJS.ReadableStream {
  return csvStream(entries, ACTIVITY_CSV, count);
}

/** Entries as one JSON array, streamed element by element. */
export function activityJson(entries: AsyncIterable<ActivityView>, count: () => void): NodeJS.ReadableStream {
  return jsonStream(entries, count);
}
