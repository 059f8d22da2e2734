import { Readable } from "node:stream";
import { stringify } from "csv-stringify";
import type { ActivityView } from "../store/usage.repo.js";

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
  ];
}

/** Entries as CSV text, pulled as the destination reads: memory stays flat whatever the log's size. */
export function activityCsv(
  entries: AsyncIterable<ActivityView>,
  count: () => void = () => {},
): NodeJS.ReadableStream {
  return Readable.from(lines(entries, csvLine, count)).pipe(stringify({ header: true, columns: COLUMNS }));
}

/** Entries as one JSON array, streamed element by element. */
export function activityJson(entries: AsyncIterable<ActivityView>, count: () => void): NodeJS.ReadableStream {
  return Readable.from(jsonArray(entries, count));
}

async function* lines<T>(
  entries: AsyncIterable<ActivityView>,
  map: (e: ActivityView) => T,
  count: () => void,
): AsyncGenerator<T> {
  for await (const e of entries) {
    count();
    yield map(e);
  }
}

async function* jsonArray(entries: AsyncIterable<ActivityView>, count: () => void): AsyncGenerator<string> {
  let first = true;
  yield "[";
  for await (const e of entries) {
    count();
    yield `${first ? "\n" : ",\n"}${JSON.stringify(e)}`;
    first = false;
  }
  yield first ? "]\n" : "\n]\n";
}
