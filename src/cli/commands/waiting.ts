import type { Command } from "commander";
import { cancelWaiting } from "../../service/waiting.js";
import { listWaitingView } from "../../store/waiting-view.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";
import { resolveAppAndAccount } from "../resolve.js";

interface ListFlags extends CommonFlags {
  app: string;
  limit: number;
}

interface CancelFlags extends CommonFlags {
  app: string;
  user?: string;
  device?: string;
  serial?: string;
}

/** `orchard waiting …`: an app's waiting queue (DB2, UB3), and cancelling one subject's request. */
export function registerWaiting(program: Command): void {
  const waiting = program
    .command("waiting")
    .description(
      "an app's waiting queue (DB2): who waits for a license, in the order served; cancel a request",
    );

  withExamples(
    withCommonFlags(
      waiting
        .command("list")
        .description(
          "who waits for a license of the app, in the order they are served (first asked, first served)",
        )
        .requiredOption("--app <adamId>", "the app")
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    ["orchard waiting list --app 361309726", "orchard waiting list --app 361309726 --json"],
  ).action(async (flags: ListFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      await resolveAppAndAccount(db, spaceId, { app: flags.app });
      const page = await listWaitingView(db, spaceId, flags.app, {
        page: 1,
        pageSize: flags.limit,
        sort: "position",
        order: "asc",
      });
      if (json) return printJson({ items: page.items, total: page.total });
      if (page.items.length === 0) return printNote(`nobody waits for app ${flags.app}`);
      printTable(
        ["#", "SUBJECT", "ASKED BECAUSE", "WAITS FOR", "SINCE"],
        page.items.map((w) => [
          String(w.position),
          w.userId
            ? `user:${w.userId}${w.userName ? ` (${w.userName})` : ""}`
            : `device:${w.deviceId ?? ""}${w.serialNumber ? ` (${w.serialNumber})` : ""}`,
          w.why,
          w.reason,
          shortDate(w.waitingSince),
        ]),
      );
      if (page.total > page.items.length)
        printNote(`${page.items.length} of ${page.total} waiting requests shown: use --limit for the others`);
    });
  });

  withExamples(
    withCommonFlags(
      waiting
        .command("cancel")
        .description(
          "cancel one subject's waiting request for the app: it leaves the queue, logged with who cancelled it",
        )
        .requiredOption("--app <adamId>", "the app")
        .option("--user <id>", "the waiting user")
        .option("--device <id>", "the waiting device")
        .option("--serial <serial>", "the waiting device, by serial number (any case)"),
    ),
    [
      "orchard waiting cancel --app 361309726 --serial F9FXK0ABCD12",
      "orchard waiting cancel --app 361309726 --user 6f1c…",
    ],
  ).action(async (flags: CancelFlags) => {
    const named = [
      flags.user === undefined ? undefined : `user:${flags.user}`,
      flags.device === undefined ? undefined : `device:${flags.device}`,
      flags.serial === undefined ? undefined : `serial:${flags.serial}`,
    ].filter((ref) => ref !== undefined);
    const ref = named[0];
    if (ref === undefined || named.length > 1)
      throw new CliError("give the waiting subject: one of --user, --device or --serial");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const outcome = await cancelWaiting(core.deps.db, {
        spaceId,
        adamId: flags.app,
        ref,
        actor,
        now: core.deps.now(),
      });
      if ("notWaiting" in outcome) throw new CliError(outcome.notWaiting, 3);
      if (json) return printJson({ cancelled: outcome.cancelled });
      printLine(`${ref}'s request for app ${flags.app} cancelled: it left the queue (logged)`);
    });
  });
}
