/** Printing: one JSON document for scripts, aligned tables and lines for people. */

let readerGone = false;

/**
 * `orchard licenses | head -3`: once the reader of stdout has gone (EPIPE), what is left
 * to print is dropped and the command ends as it would have, quietly: no stack trace for
 * a closed pipe. Installed once, by main.ts.
 */
export function tolerateClosedStdout(stream: NodeJS.WriteStream = process.stdout): void {
  // EPIPE, or any other failure of stdout itself: nothing more can be printed there.
  stream.on("error", () => {
    readerGone = true;
  });
}

/** True once the reader of stdout has gone: long output (an export) may stop early. */
export function stdoutClosed(): boolean {
  return readerGone;
}

function write(text: string): void {
  if (!readerGone) process.stdout.write(text);
}

export function printJson(value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ""): void {
  write(`${line}\n`);
}

/** A remark for people (a truncated list, a hint) on stderr: stdout stays the data a pipe reads. */
export function printNote(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  printLine(line(headers));
  for (const row of rows) printLine(line(row));
}

/** A date as people read it in a table: ISO day and minute, UTC. */
export function shortDate(date: Date | undefined): string {
  return date ? `${date.toISOString().slice(0, 16).replace("T", " ")}Z` : "-";
}

const DAY = 86_400_000;

/** "2026-12-01 (in 5 days)", "2026-11-20 (expired 6 days ago)": when a token stops working, at a glance. */
export function expiryDate(date: Date | undefined, now: Date): string {
  if (!date) return "-";
  const day = date.toISOString().slice(0, 10);
  const ms = date.getTime() - now.getTime();
  if (ms <= 0) {
    const ago = Math.floor(-ms / DAY);
    return `${day} (expired ${ago === 0 ? "today" : ago === 1 ? "yesterday" : `${ago} days ago`})`;
  }
  const left = Math.floor(ms / DAY);
  return `${day} (${left === 0 ? "today" : left === 1 ? "in 1 day" : `in ${left} days`})`;
}
