import { pipeline } from "node:stream/promises";
import { type Command, Option } from "commander";
import { ACTIVITY_CSV, activityInLanguage } from "../../service/activity-export.js";
import { LANGUAGES, type Language } from "../../service/decision-texts.js";
import { LICENSES_CSV } from "../../service/licenses-export.js";
import {
  type CsvShape,
  EXPORT_FORMATS,
  type ExportFormat,
  exportStream,
} from "../../service/stream-export.js";
import { USAGE_CSV } from "../../service/usage-export.js";
import { iterateActivity } from "../../store/activity-view.repo.js";
import { iterateAppUsage, iterateLicenses } from "../../store/export.repo.js";
import { type CliContext, type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { fileProblem } from "../files.js";
import { withExamples } from "../help.js";
import { type LicenseFilterFlags, resolveLicenseFilter, withLicenseFilters } from "../license-filters.js";
import { parseFilePath } from "../options.js";
import { printJson, printLine, stdoutClosed } from "../output.js";
import { openOutputFile } from "../output-file.js";
import { resolveAppAndAccount } from "../resolve.js";

interface ExportFlags extends CommonFlags {
  format?: ExportFormat;
  output?: string;
}

interface ActivityFlags extends ExportFlags {
  since?: string;
  lang?: Language;
}

interface LicenseFlags extends ExportFlags, LicenseFilterFlags {}

interface UsageFlags extends ExportFlags {
  app?: string;
  account?: string;
}

/**
 * `orchard export activity|licenses|usage`: Orchard's records streamed to a file or stdout,
 * as CSV or JSON, the same files as the API's exports.
 */
export function registerExport(program: Command): void {
  const exp = program.command("export").description("export Orchard's records");

  exportCommand(
    exp,
    "activity",
    "the activity log, newest first, as CSV or JSON (streamed)",
    (c) =>
      c
        .option("--since <date>", "only entries at or after this ISO 8601 date")
        // English unless asked, whatever the locale: a script reading the file gets the file it always got.
        .addOption(
          new Option(
            "--lang <language>",
            "language of the message column: en (default, the English the log keeps) or fr",
          ).choices(LANGUAGES),
        ),
    [
      "orchard export activity --since 2026-09-01 --output activity.csv",
      "orchard export activity --lang fr --output journal.csv",
      "orchard export activity --format json | jq '.[] | select(.ruleIds | index(\"AC5\"))'",
    ],
  ).action(async (flags: ActivityFlags) => {
    const since = flags.since === undefined ? undefined : parseSince(flags.since);
    await writeExport(flags, "activity entries", ACTIVITY_CSV, async ({ core, spaceId }) =>
      activityInLanguage(
        iterateActivity(core.deps.db, spaceId, since ? { from: since } : {}),
        flags.lang ?? "en",
      ),
    );
  });

  exportCommand(
    exp,
    "licenses",
    "every license with its app, account, subject, state, rule ids and dates (streamed)",
    withLicenseFilters,
    [
      "orchard export licenses --output licenses.csv",
      "orchard export licenses --app 361309726 --state in_grace --format json",
    ],
  ).action(async (flags: LicenseFlags) => {
    await writeExport(flags, "licenses", LICENSES_CSV, async ({ core, spaceId }) => {
      const { db } = core.deps;
      return iterateLicenses(db, spaceId, await resolveLicenseFilter(db, spaceId, flags), flags.search);
    });
  });

  exportCommand(
    exp,
    "usage",
    "per app and account: Apple's total, licenses by state, available, queue, usage % (streamed)",
    (c) =>
      c
        .option("--app <adamId>", "only this app")
        .option("--account <account>", "only this account's purchases (id or name)"),
    ["orchard export usage --output usage.csv", 'orchard export usage --account "Main campus" --format json'],
  ).action(async (flags: UsageFlags) => {
    await writeExport(flags, "app and account rows", USAGE_CSV, async ({ core, spaceId }) => {
      const { db } = core.deps;
      const accountId = await resolveAppAndAccount(db, spaceId, flags);
      return iterateAppUsage(db, spaceId, { accountId, adamId: flags.app });
    });
  });
}

/** An export subcommand: its own options, then --format, --output, --space and --json. */
function exportCommand(
  parent: Command,
  name: string,
  description: string,
  options: (command: Command) => Command,
  examples: string[],
): Command {
  return withExamples(
    withCommonFlags(
      options(parent.command(name).description(description))
        .addOption(
          new Option("--format <format>", "csv or json (default csv; json with --json)").choices(
            EXPORT_FORMATS,
          ),
        )
        .option("--output <file>", "write to this file instead of stdout", parseFilePath),
    ),
    examples,
  );
}

/**
 * Streams the rows `open` returns to --output or stdout. Without a file, --json means the
 * data itself as JSON: stdout holds one document either way; with one, --json reports
 * what was written.
 */
async function writeExport<T>(
  flags: ExportFlags,
  noun: string,
  csv: CsvShape<T>,
  open: (ctx: CliContext) => Promise<AsyncIterable<T>>,
): Promise<void> {
  const format = flags.format ?? (flags.json && !flags.output ? "json" : "csv");
  await withCore(flags, async (ctx) => {
    let rows = 0;
    const data = await open(ctx);
    // The file is opened before a row is read: a folder that does not exist fails here, not
    // half-way through a database cursor that the failed write would tear down.
    const file = flags.output
      ? await openOutputFile(flags.output).catch(cannotWrite(flags.output))
      : undefined;
    const source = exportStream(format, data, csv, () => {
      rows += 1;
    });
    if (!file || !flags.output) {
      // stdout is not ours to close: the next command in a pipe may still be reading.
      // When it stops reading (`| head`), the export stops too, quietly.
      await pipeline(source, process.stdout, { end: false }).catch((error: unknown) => {
        if (!stdoutClosed() && (error as { code?: unknown }).code !== "EPIPE") throw error;
      });
      return;
    }
    await file.write(source).catch(cannotWrite(flags.output));
    if (ctx.json) return printJson({ format, output: flags.output, rows });
    printLine(`${rows} ${noun} written to ${flags.output} (${format})`);
  });
}

/** A file system refusal to write `path`, as one line; anything else as it came. */
function cannotWrite(path: string) {
  return (error: unknown): never => {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code))
      throw new CliError(
        `cannot write ${path}: ${code === "ENOENT" ? "no such folder" : fileProblem(error)}`,
      );
    throw error;
  };
}

/** An ISO 8601 date that is on the calendar: Date() alone reads 2026-02-30 as March 2. */
function parseSince(value: string): Date {
  const date = new Date(value);
  const [, year, month, day] = /^(\d{4})-(\d{2})-(\d{2})/.exec(value) ?? [];
  const onCalendar = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  if (
    Number.isNaN(date.getTime()) ||
    onCalendar.getUTCMonth() !== Number(month) - 1 ||
    onCalendar.getUTCDate() !== Number(day)
  )
    throw new CliError(
      `--since: "${value}" is not an ISO 8601 date (e.g. 2026-01-31 or 2026-01-31T08:00:00Z)`,
    );
  return date;
}
