import { setTimeout as sleep } from "node:timers/promises";
import { type Command, InvalidArgumentError, Option } from "commander";
import { activityMessageIn } from "../../service/activity-messages-fr.js";
import { LANGUAGES, type Language } from "../../service/decision-texts.js";
import {
  type ActivityView,
  FEED_CURSOR,
  FEED_START,
  FEED_SUBJECTS,
  type FeedPosition,
  type FeedSubject,
  formatFeedCursor,
  parseFeedCursor,
  readActivityFeed,
} from "../../store/activity-view.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printLine, printNote, shortDate, stdoutClosed } from "../output.js";

interface FeedFlags extends CommonFlags {
  after?: FeedPosition | "now";
  about?: FeedSubject[];
  follow: boolean;
  interval: number;
  limit: number;
  lang?: Language;
}

/** Lines read per query: the API's largest page. */
const PAGE = 1000;

/**
 * `orchard activity`: the change feed (GET …/activity/feed) from the command line, as
 * `tail -f` of the log: from the start, from now or from a cursor, once or following.
 */
export function registerActivity(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("activity")
        .description(
          "every change of the space in commit order, from a cursor: follow the log as it is written (the API's change feed)",
        )
        .option(
          "--after <cursor>",
          "where to start: `now`, or the cursor a previous read printed (default: the start of the log)",
          parseAfter,
        )
        .option(
          "--about <subjects>",
          `only the lines naming one of these, comma-separated: ${FEED_SUBJECTS.join(", ")}`,
          parseAbout,
        )
        .option("--follow", "keep reading as changes commit, until interrupted (Ctrl-C)", false)
        .option("--interval <seconds>", "with --follow, seconds between reads (1-300)", parsePositive(300), 2)
        .option(
          "--limit <n>",
          "without --follow, at most this many lines (1-100000)",
          parsePositive(100_000),
          1000,
        )
        .addOption(
          new Option(
            "--lang <language>",
            "language of the messages: en (default, the English the log keeps) or fr",
          ).choices(LANGUAGES),
        ),
    ),
    [
      "orchard activity --after now --follow",
      "orchard activity --about license --follow --json | jq -c '.items[]'",
      "orchard activity --after 7421.1337 --json",
    ],
  ).action(async (flags: FeedFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const language = flags.lang ?? "en";
      // Ctrl-C (or SIGTERM) ends a follow between reads: the command closes the database and exits 0.
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      if (flags.follow) for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, onSignal);
      try {
        let after = flags.after ?? FEED_START;
        let left = flags.follow ? Number.POSITIVE_INFINITY : flags.limit;
        let printed = 0;
        // Said once the log is read up to now, on stderr: stdout stays the lines.
        let caughtUp = false;
        while (!stop.signal.aborted && !stdoutClosed()) {
          const page = await readActivityFeed(db, spaceId, {
            after,
            limit: Math.min(PAGE, left),
            ...(flags.about ? { about: flags.about } : {}),
          });
          if (!page) {
            throw new CliError(
              "this cursor is past every change this database has: it comes from another copy of it (a restore); read again without --after, or with --after now",
            );
          }
          after = page.next;
          left -= page.items.length;
          printed += page.items.length;
          const items =
            language === "en"
              ? page.items
              : page.items.map((e) => ({ ...e, message: activityMessageIn(language, e) }));
          if (json) {
            // One document per read (NDJSON when following): the items and the cursor to go on from.
            if (items.length > 0 || !flags.follow)
              printLine(JSON.stringify({ items, next: formatFeedCursor(page.next) }));
          } else {
            for (const e of items) printLine(feedLine(e));
          }
          if (page.hasMore && left > 0) continue;
          if (flags.follow && !caughtUp) {
            caughtUp = true;
            printNote(`following from ${formatFeedCursor(page.next)}: Ctrl-C to stop`);
          }
          if (!flags.follow) {
            if (!json) {
              printNote(
                `${printed} ${printed === 1 ? "line" : "lines"}${page.hasMore ? " (more to read)" : ""}; read on with --after ${formatFeedCursor(page.next)}`,
              );
            }
            return;
          }
          await sleep(flags.interval * 1000, undefined, { signal: stop.signal }).catch(() => {});
        }
        if (!json)
          printNote(`stopped; read on with --after ${after === "now" ? "now" : formatFeedCursor(after)}`);
      } finally {
        for (const s of ["SIGINT", "SIGTERM"] as const) process.off(s, onSignal);
      }
    });
  });
}

/** One line of the log for people: when, what, about what, the message, rules and who. */
function feedLine(e: ActivityView): string {
  const about = [
    e.appName ?? (e.adamId ? `app ${e.adamId}` : undefined),
    e.deviceId ? `device ${e.deviceSerialNumber ?? e.deviceId}` : undefined,
    e.userId ? `user ${e.userName ?? e.userId}` : undefined,
    e.accountName ? `account ${e.accountName}` : undefined,
  ].filter((part) => part !== undefined);
  const actor = e.actorName ?? (e.actor.id ? `${e.actor.kind}:${e.actor.id}` : e.actor.kind);
  const rules = e.ruleIds.length > 0 ? ` [${e.ruleIds.join(", ")}]` : "";
  return [
    shortDate(e.at),
    e.action,
    about.join(" · ") || "-",
    `${e.message ?? ""}${rules}`,
    `(${actor})`,
  ].join("  ");
}

function parseAfter(value: string): FeedPosition | "now" {
  if (value === "now") return "now";
  if (!FEED_CURSOR.test(value))
    throw new InvalidArgumentError("expected now, or a cursor a previous read printed (like 7421.1337)");
  return parseFeedCursor(value);
}

function parseAbout(value: string): FeedSubject[] {
  const subjects = value.split(",").map((s) => s.trim());
  const unknown = subjects.find((s) => !(FEED_SUBJECTS as readonly string[]).includes(s));
  if (unknown !== undefined)
    throw new InvalidArgumentError(`"${unknown}" is not one of ${FEED_SUBJECTS.join(", ")}`);
  return subjects as FeedSubject[];
}
