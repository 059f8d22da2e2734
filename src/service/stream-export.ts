import { pipeline, Readable } from "node:stream";
import { stringify } from "csv-stringify";

/**
 * What every export shares (activity-export.ts, licenses-export.ts, usage-export.ts): rows
 * pulled as the destination reads, so memory stays flat whatever the table's size, written
 * as CSV (a header row, then one line per row) or as one JSON array, element by element.
 */
export type ExportFormat = "csv" | "json";
export const EXPORT_FORMATS = ["csv", "json"] as const satisfies readonly ExportFormat[];

/** An export's CSV shape: its columns, in their documented order, and one row's cells. */
export interface CsvShape<T> {
  columns: readonly string[];
  cells(row: T): string[];
}

/**
 * Rows as CSV text; `count` is called once per row written (the CLI reports the total). A
 * cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`...) is quoted as text.
 * A failure reading the rows errors the returned stream (its reader ends the response), not
 * the process: `pipe` would leave it unhandled.
 */
export function csvStream<T>(
  rows: AsyncIterable<T>,
  shape: CsvShape<T>,
  count: () => void = () => {},
): NodeJS.ReadableStream {
  const csv = stringify({ header: true, columns: [...shape.columns], escape_formulas: true });
  pipeline(Readable.from(counted(rows, shape.cells, count)), csv, () => {});
  return csv;
}

/** Rows as one JSON array, streamed element by element. */
export function jsonStream<T>(rows: AsyncIterable<T>, count: () => void = () => {}): NodeJS.ReadableStream {
  return Readable.from(jsonArray(rows, count));
}

/** The stream of `format`. */
export function exportStream<T>(
  format: ExportFormat,
  rows: AsyncIterable<T>,
  shape: CsvShape<T>,
  count: () => void = () => {},
): NodeJS.ReadableStream {
  return format === "csv" ? csvStream(rows, shape, count) : jsonStream(rows, count);
}

/** A date as the CSV writes it (ISO 8601, UTC); nothing when unset. */
export const isoCell = (date: Date | undefined): string => date?.toISOString() ?? "";

async function* counted<T, U>(
  rows: AsyncIterable<T>,
  map: (row: T) => U,
  count: () => void,
): AsyncGenerator<U> {
  for await (const row of rows) {
    count();
    yield map(row);
  }
}

async function* jsonArray<T>(rows: AsyncIterable<T>, count: () => void): AsyncGenerator<string> {
  let first = true;
  yield "[";
  for await (const row of rows) {
    count();
    yield `${first ? "\n" : ",\n"}${JSON.stringify(row)}`;
    first = false;
  }
  yield first ? "]\n" : "\n]\n";
}
