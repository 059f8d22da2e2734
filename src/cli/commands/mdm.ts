import { type Command, Option } from "commander";
import { loadConfig } from "../../config.js";
import { mdmWebhookTarget } from "../../mdm/delivery-loop.js";
import { sendMdmWebhookTest } from "../../mdm/webhook-test.js";
import type { MdmCommandState } from "../../store/mdm.table.js";
import {
  countMdmCommands,
  listMdmCommandsView,
  type MdmRetrySkip,
  retryFailedMdmCommands,
} from "../../store/mdm-command.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parseDecimal, parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable, shortDate } from "../output.js";

const STATES: MdmCommandState[] = ["failed", "pending", "delivered", "cancelled"];
/** As many seqs as the API takes in one call (POST mdm/commands/retry). */
const MAX_SEQS = 1000;
const WEBHOOK_SETTINGS = "MDM_WEBHOOK_URL, MDM_WEBHOOK_SECRET";

interface CommandsFlags extends CommonFlags {
  state?: MdmCommandState;
  limit: number;
}

/** What a command is about: its app, or for an invite (UB2) the user it invites. */
function appColumn(c: { appName?: string; adamId?: string; userId?: string }): string {
  if (c.adamId === undefined) return c.userId ? `invitation of user ${c.userId}` : "-";
  return c.appName ? `${c.appName} (${c.adamId})` : c.adamId;
}

/**
 * `orchard mdm …`: the install/remove/invite commands for the MDM: listed with why they failed,
 * failed ones sent again once the webhook is fixed, and the webhook checked with a test.
 */
export function registerMdm(program: Command): void {
  const mdm = program
    .command("mdm")
    .description("install/remove commands for the MDM: list them, send failed ones again, test the webhook");

  withExamples(
    withCommonFlags(
      mdm
        .command("commands")
        .description("the space's commands, failed first, then pending, then the rest, newest first")
        .addOption(new Option("--state <state>", "only in this state").choices(STATES))
        .option("--limit <n>", "at most this many (1-500)", parsePositive(500), 100),
    ),
    ["orchard mdm commands --state failed", "orchard mdm commands --json | jq '.items[] | .lastError'"],
  ).action(async (flags: CommandsFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const db = core.deps.db;
      const page = await listMdmCommandsView(db, spaceId, flags.state ? { states: [flags.state] } : {}, {
        page: 1,
        pageSize: flags.limit,
      });
      const counts = await countMdmCommands(db, spaceId);
      if (json) return printJson({ items: page.items, total: page.total, counts });
      if (page.items.length === 0) {
        printNote(flags.state ? `no ${flags.state} command` : "no command yet");
        return;
      }
      printTable(
        ["SEQ", "STATE", "KIND", "DEVICE", "APP", "ATTEMPTS", "UPDATED", "LAST ERROR"],
        page.items.map((c) => [
          String(c.seq),
          c.state === "pending" && c.awaitingLicense ? "pending (waits for Apple)" : c.state,
          c.appVersion ? `${c.kind} ${c.appVersion}` : c.kind,
          c.serialNumber,
          appColumn(c),
          String(c.attempts),
          shortDate(c.updatedAt),
          c.lastError ?? "-",
        ]),
      );
      if (page.total > page.items.length)
        printNote(
          `${page.items.length} of ${page.total} commands shown: use --limit or --state for the others`,
        );
      if (counts.failed > 0 && flags.state !== "failed")
        printNote(
          `${plural(counts.failed, "command")} failed: fix the MDM webhook ('orchard mdm test-webhook'), then 'orchard mdm retry --all'`,
        );
    });
  });

  withExamples(
    withCommonFlags(
      mdm
        .command("retry")
        .argument(
          "[seq...]",
          "the failed commands to send again, by seq (as 'orchard mdm commands' lists them)",
        )
        .option("--all", "every failed command of the space", false)
        .description(
          "send failed commands again (back to pending from their first attempt); an install whose license is no longer live, or with a newer command for the same device and app, is cancelled instead",
        ),
    ),
    ["orchard mdm retry 1042 1043", "orchard mdm retry --all --json"],
  ).action(async (given: string[], flags: CommonFlags & { all: boolean }) => {
    const seqs = seqsOf(given, flags.all);
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const result = await retryFailedMdmCommands(core.deps.db, {
        spaceId,
        seqs,
        actor,
        now: core.deps.now(),
      });
      const unknown = result.skipped.filter((s) => s.reason === "not_found");
      if (seqs !== "all" && unknown.length === new Set(seqs).size)
        throw new CliError(
          `no command ${seqs.join(", ")} in this space ('orchard mdm commands' lists them)`,
          3,
        );
      if (json)
        return printJson({ retried: result.retried.length, seqs: result.retried, skipped: result.skipped });
      if (result.retried.length > 0)
        printLine(
          `${plural(result.retried.length, "command")} back to pending (${result.retried.join(", ")}): ${
            core.config.mdmWebhook
              ? "the worker sends them to the MDM webhook"
              : "the MDM gets them at its next poll"
          }`,
        );
      else if (result.skipped.length === 0) printLine("no failed command to send again");
      for (const skip of result.skipped) printLine(`${skip.seq} not sent again: ${whySkipped(skip)}`);
    });
  });

  withExamples(
    withCommonFlags(
      mdm
        .command("test-webhook")
        .description(
          `send one signed test message to the MDM webhook (${WEBHOOK_SETTINGS}) and say what it answered`,
        ),
    ),
    ["orchard mdm test-webhook", "orchard mdm test-webhook --json"],
  ).action(async (flags: CommonFlags) => {
    // Before the database opens: without a webhook there is nothing to test.
    const target = mdmWebhookTarget(loadConfig().mdmWebhook);
    if (!target)
      throw new CliError(
        `no MDM webhook is configured: set ${WEBHOOK_SETTINGS} (without them, the MDM polls GET mdm/commands)`,
        2,
      );
    await withCore(flags, async ({ spaceId, json }) => {
      const result = await sendMdmWebhookTest(target, { spaceId });
      if (result.outcome === "failed")
        // A refusal is the MDM's answer (exit 4); no answer at all may pass when run again (exit 1).
        throw new CliError(
          `test message not delivered: ${result.error} after ${result.latencyMs} ms (check ${WEBHOOK_SETTINGS})`,
          result.status !== undefined ? 4 : 1,
        );
      if (json) return printJson(result);
      printLine(
        `test message ${result.id} delivered: the MDM webhook answered HTTP ${result.status} in ${result.latencyMs} ms`,
      );
    });
  });
}

/** The seqs given, or all; checked before the database opens (exit 2). */
function seqsOf(given: readonly string[], all: boolean): number[] | "all" {
  if (all && given.length > 0) throw new CliError("give the commands' seqs or --all, not both", 2);
  if (all) return "all";
  if (given.length === 0)
    throw new CliError(
      "give the seqs of the failed commands to send again, or --all ('orchard mdm commands --state failed' lists them)",
      2,
    );
  if (given.length > MAX_SEQS) throw new CliError(`at most ${MAX_SEQS} seqs at once (or --all)`, 2);
  return given.map((text) => {
    const n = parseDecimal(text);
    if (n === undefined || n < 1)
      throw new CliError(`"${text}" is not a command's seq (a whole number from 1)`, 2);
    return n;
  });
}

function whySkipped(skip: MdmRetrySkip): string {
  switch (skip.reason) {
    case "license_not_live":
      return "its license is no longer live (LT2): cancelled";
    case "superseded":
      return `command ${skip.by} for the same device and app is newer: cancelled`;
    case "not_failed":
      return `it is ${skip.state}, not failed`;
    case "not_found":
      return "no such command in this space";
  }
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}
