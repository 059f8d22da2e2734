import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { type Command, Option } from "commander";
import { activityCsv, activityJson } from "../../service/activity-export.js";
import { iterateActivity } from "../../store/usage.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine, stdoutClosed } from "../output.js";

interface ExportFlags extends CommonFlags {
  format?: "csv" | "json";
  since?: string;
  output?: string;
}

/** `orchard export activity`: the activity log (invariant 4), newest first, streamed to a file or stdout. */
export function registerExport(program: Command): void {
  const exp = program.command("export").description("export Orchard's records");
  withExamples(
    withCommonFlags(
      exp
        .command("activity")
        .description("the activity log, newest first, as CSV or JSON (streamed)")
        .addOption(
          new Option("--format <format>", "csv or json (default csv; json with --json)").choices([
            "csv",
            "json",
          ]),
        )
        .option("--since <date>", "only entries at or after this ISO 8601 date")
        .option("--output <file>", "write to this file instead of stdout"),
    ),
    [
      "orchard export activity --since 2026-09-01 --output activity.csv",
      "orchard export activity --format json | jq '.[] | select(.ruleIds | index(\"AC5\"))'",
    ],
  ).action(async (flags: ExportFlags) => {
    const since = flags.since === undefined ? undefined : parseSince(flags.since);
    // Without a file, --json means the data itself as JSON: stdout holds one document either way.
    const format = flags.format ?? (flags.json && !flags.output ? "json" : "csv");
    await withCore(flags, async ({ core, spaceId, json }) => {
      let rows = 0;
      const entries = iterateActivity(core.deps.db, spaceId, since ? { from: since } : {});
      const source = (format === "csv" ? activityCsv : activityJson)(entries, () => {
        rows += 1;
      });
      if (!flags.output) {
        // stdout is not ours to close: the next command in a pipe may still be reading.
        // When it stops reading (`| head`), the export stops too, quietly.
        await pipeline(source, process.stdout, { end: false }).catch((error: unknown) => {
          if (!stdoutClosed() && (error as { code?: unknown }).code !== "EPIPE") throw error;
        });
        return;
      }
      await pipeline(source, createWriteStream(flags.output)).catch((error: unknown) => {
        const code = (error as { code?: unknown }).code;
        if (typeof code === "string" && /^E[A-Z]+$/.test(code))
          throw new CliError(`cannot write ${flags.output}: ${code === "ENOENT" ? "no such folder" : code}`);
        throw error;
      });
      if (json) return printJson({ format, output: flags.output, rows });
      printLine(`${rows} activity entries written to ${flags.output} (${format})`);
    });
  });
}

function parseSince(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime()))
    throw new CliError(
      `--since: "${value}" is not an ISO 8601 date (e.g. 2026-01-31 or 2026-01-31T08:00:00Z)`,
    );
  return date;
}
