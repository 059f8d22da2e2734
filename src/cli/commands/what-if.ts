import type { Command } from "commander";
import type { Language } from "../../service/decision-texts.js";
import { type ProposedChange, type SubjectOutcome, whatIf } from "../../service/what-if.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { readUserFile } from "../files.js";
import { languageOf, languageOption } from "../options.js";
import { printJson, printLine, printTable } from "../output.js";
import { parsePriorityList, parseRulesFile } from "../what-if-input.js";

interface WhatIfFlags extends CommonFlags {
  priority?: string;
  removeAccount?: string;
  rules?: string;
  app?: string[];
  lang?: Language;
}

/** `orchard what-if`: a proposed change against current demand, writing nothing: who would gain, lose or wait. */
export function registerWhatIf(program: Command): void {
  withCommonFlags(
    program
      .command("what-if")
      .description("evaluate a change (priority order, token removed, rule edit) without making it")
      .option("--priority <ids>", "MA1, MA3: a new priority order: account ids separated by commas")
      .option("--remove-account <id>", "AC5: the account's token removed")
      .option(
        "--rules <file>",
        "DI1: a JSON file of rule edits ({accountId, adamId, fcfs, reserved…, prohibited…})",
      )
      .option("--app <adamId...>", "only these apps (default: every app the change touches)")
      .addOption(languageOption()),
  ).action(async (flags: WhatIfFlags) => {
    const language = languageOf(flags.lang);
    const changes: ProposedChange[] = [];
    if (flags.priority !== undefined) changes.push(parsePriorityList(flags.priority));
    if (flags.removeAccount !== undefined)
      changes.push({ kind: "remove_account", accountId: flags.removeAccount });
    if (flags.rules !== undefined)
      changes.push(...parseRulesFile(await readUserFile(flags.rules, "rules file"), flags.rules));
    if (changes.length === 0)
      throw new CliError("give at least one of --priority, --remove-account and --rules");
    await withCore(flags, async ({ core, spaceId, json }) => {
      const result = await whatIf(
        core.deps.db,
        { spaceId, changes, ...(flags.app ? { apps: flags.app } : {}) },
        language,
      );
      if (json) return printJson(result);
      const t = result.totals;
      printLine(
        `${t.gain} would gain, ${t.lose} would lose, ${t.wait} would wait, ${t.refuse} refused, ${t.keep} keep`,
      );
      if (result.apps.length > 0) {
        printLine();
        printTable(
          ["APP", "GAIN", "LOSE", "WAIT", "REFUSE", "KEEP"],
          result.apps.map((a) => [
            a.adamId,
            String(a.gain.length),
            String(a.lose.length),
            String(a.wait.length),
            String(a.refuse.length),
            String(a.keep),
          ]),
        );
        const changed = result.apps.flatMap((a) => [
          ...a.gain.map((o) => row(a.adamId, "gain", o)),
          ...a.lose.map((o) => row(a.adamId, "lose", o)),
          ...a.wait.map((o) => row(a.adamId, "wait", o)),
        ]);
        if (changed.length > 0) {
          printLine();
          printTable(["APP", "CHANGE", "SUBJECT", "RULES", "WHY"], changed);
        }
      }
      printLine();
      for (const rule of result.rules) printLine(`${rule.id}  ${rule.sentence}`);
    });
  });
}

function row(adamId: string, change: string, o: SubjectOutcome): string[] {
  return [adamId, change, `${o.subject.kind} ${o.subject.id}`, o.because.join(",") || "-", o.summary];
}
