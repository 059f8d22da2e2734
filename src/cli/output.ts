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

/**
 * Columns padded to their widest cell; the last column is not padded. On a terminal, the
 * table is cut to its width (tableLines); piped, every cell is printed whole.
 */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const width = process.stdout.isTTY ? process.stdout.columns : undefined;
  for (const line of tableLines(headers, rows, width)) printLine(line);
}

/** A column of text is never cut narrower than its header or this. */
const NARROWEST = 8;

/**
 * The table's lines, at most `width` characters each when given: the widest columns of text
 * are narrowed first, one character at a time, and a cell longer than its column ends in
 * "…". A table that cannot fit with every column at its narrowest is printed whole: it
 * wraps either way, and whole it loses nothing.
 */
export function tableLines(
  headers: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  width?: number,
): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  // A column of single words (ids, serial numbers, links) or dates is never cut: a cut id
  // cannot be copied into the next command. Text (names, subjects, errors) is.
  const floors = widths.map((w, i) =>
    rows.some((r) => isText(r[i] ?? "")) ? Math.min(w, Math.max(headers[i]?.length ?? 0, NARROWEST)) : w,
  );
  const gaps = 2 * (widths.length - 1);
  // Cut only when that makes it fit: a table wrapping anyway is better whole.
  if (width !== undefined && width > 0 && floors.reduce((a, b) => a + b, 0) + gaps <= width) {
    let excess = widths.reduce((a, b) => a + b, 0) + gaps - width;
    while (excess > 0) {
      let widest = -1;
      for (const [i, w] of widths.entries())
        if (w > (floors[i] ?? 0) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
      if (widest < 0) break;
      widths[widest] = (widths[widest] ?? 0) - 1;
      excess--;
    }
  }
  const cut = (cell: string, w: number) =>
    cell.length <= w ? cell : `${cell.slice(0, Math.max(0, w - 1))}…`;
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => {
        const w = widths[i] ?? 0;
        return i === cells.length - 1 ? cut(c, w) : cut(c, w).padEnd(w);
      })
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)];
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

/** Words and spaces, not one token nor a date as shortDate writes it. */
function isText(cell: string): boolean {
  return /\s/.test(cell) && !/^\d{4}-\d\d-\d\d \d\d:\d\dZ$/.test(cell);
}
