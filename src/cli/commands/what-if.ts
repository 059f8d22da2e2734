import type { Command } from "commander";
import type { Language } from "../../service/decision-texts.js";
import { type AppImpact, type ProposedChange, type SubjectOutcome, whatIf } from "../../service/what-if.js";
import { checkAccountOrder, listAccounts } from "../../store/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { readUserFile } from "../files.js";
import { withExamples } from "../help.js";
import { languageOf, languageOption } from "../options.js";
import { printJson, printLine, printTable } from "../output.js";
import { resolveAccount, resolveAccounts, resolveAppAndAccount } from "../resolve.js";
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
  withExamples(
    withCommonFlags(
      program
        .command("what-if")
        .description("evaluate a change (priority order, token removed, rule edit) without making it")
        .option(
          "--priority <accounts>",
          "MA1, MA3: a new priority order: account ids or names separated by commas",
        )
        .option("--remove-account <account>", "AC5: the account's token removed (id or name)")
        .option(
          "--rules <file>",
          "DI1: a JSON file of rule edits ({accountId (an id or name), adamId, fcfs, reserved…, prohibited…})",
        )
        .option("--app <adamId...>", "only these apps (default: every app the change touches)")
        .addOption(languageOption()),
    ),
    [
      'orchard what-if --remove-account "North campus"           # AC5 before token rm',
      'orchard what-if --priority "North campus,Main campus"     # MA3',
      "orchard what-if --rules rules.json --app 361309726 --json",
    ],
  ).action(async (flags: WhatIfFlags) => {
    const language = languageOf(flags.lang);
    const priority = flags.priority === undefined ? undefined : parsePriorityList(flags.priority);
    const rules =
      flags.rules === undefined
        ? []
        : parseRulesFile(await readUserFile(flags.rules, "rules file"), flags.rules);
    if (priority === undefined && flags.removeAccount === undefined && rules.length === 0)
      throw new CliError("give at least one of --priority, --remove-account and --rules");
    await withCore(flags, async ({ core, spaceId, json }) => {
      // Accounts by id or name, as `token list` shows them.
      const changes: ProposedChange[] = [];
      if (priority !== undefined) {
        const order = (await resolveAccounts(core.deps.db, spaceId, priority.order)).map((a) => a.id);
        if (new Set(order).size !== order.length)
          throw new CliError("--priority: an account is listed twice");
        // MA6: the whole order, every account once, as `token list` shows them.
        try {
          checkAccountOrder(order, await listAccounts(core.deps.db, spaceId), "--priority");
        } catch (error) {
          throw new CliError(`--priority: ${error instanceof Error ? error.message : String(error)}`);
        }
        changes.push({ kind: "priorities", order });
      }
      if (flags.removeAccount !== undefined) {
        const account = await resolveAccount(core.deps.db, spaceId, flags.removeAccount);
        changes.push({ kind: "remove_account", accountId: account.id });
      }
      // An app the space does not have is a typo (exit 3), not "nobody is affected".
      for (const app of flags.app ?? []) await resolveAppAndAccount(core.deps.db, spaceId, { app });
      // A rules file names its accounts by id or name too.
      const ruleAccounts = await resolveAccounts(
        core.deps.db,
        spaceId,
        rules.map((r) => (r.kind === "rules" ? r.accountId : "")),
      );
      changes.push(
        ...rules.map((r, i) =>
          r.kind === "rules" ? { ...r, accountId: ruleAccounts[i]?.id ?? r.accountId } : r,
        ),
      );
      const result = await whatIf(
        core.deps.db,
        { spaceId, changes, ...(flags.app ? { apps: flags.app } : {}) },
        language,
      );
      if (json) return printJson(result);
      const w = WORDS[language];
      printLine(w.totals(result.totals));
      if (result.unaffectedApps > 0) printLine(w.unaffected(result.unaffectedApps));
      if (result.apps.length > 0) {
        printLine();
        // Today against the change, per app: licensed, waiting, refused.
        printTable(
          w.countsHeader,
          result.apps.map((a) => [
            appLabel(a),
            change(a.now.licensed, a.after.licensed),
            change(a.now.waiting, a.after.waiting),
            change(a.now.refused, a.after.refused),
          ]),
        );
        const changed = result.apps.flatMap((a) =>
          (["gain", "lose", "wait", "refuse", "move"] as const).flatMap((kind) =>
            a[kind].map((o) => row(w, appLabel(a), kind, o)),
          ),
        );
        if (changed.length > 0) {
          printLine();
          printTable(w.changesHeader, changed);
        }
      }
      printLine();
      for (const rule of result.rules) printLine(`${rule.id}  ${rule.sentence}`);
    });
  });
}

function row(w: WhatIfWords, app: string, kind: ChangeKind, o: SubjectOutcome): string[] {
  return [
    app,
    w.change[kind],
    `${w.subject[o.subject.kind]} ${o.subject.name}`,
    w.outcome[o.before.outcome],
    o.because.join(",") || "-",
    o.summary,
  ];
}

type ChangeKind = "gain" | "lose" | "wait" | "refuse" | "move";

/** The words around the service's texts (which `--lang` already translates), in each language. */
interface WhatIfWords {
  totals(t: { gain: number; lose: number; wait: number; refuse: number; move: number; keep: number }): string;
  unaffected(n: number): string;
  countsHeader: string[];
  changesHeader: string[];
  change: Record<ChangeKind, string>;
  subject: Record<SubjectOutcome["subject"]["kind"], string>;
  outcome: Record<SubjectOutcome["before"]["outcome"], string>;
}

const WORDS: Record<Language, WhatIfWords> = {
  en: {
    totals: (t) =>
      `${t.gain} would gain, ${t.lose} would lose, ${t.wait} would wait, ${t.refuse} refused, ${t.move} would move, ${t.keep} keep`,
    unaffected: (n) => `${n} other ${n === 1 ? "app is" : "apps are"} not affected`,
    countsHeader: ["APP", "LICENSED", "WAITING", "REFUSED"],
    changesHeader: ["APP", "CHANGE", "SUBJECT", "TODAY", "RULES", "WHY"],
    change: { gain: "gain", lose: "lose", wait: "wait", refuse: "refuse", move: "move" },
    subject: { user: "user", device: "device" },
    outcome: { grant: "grant", keep: "keep", wait: "wait", refuse: "refuse" },
  },
  // The console's words (web/src/i18n/fr.json whatIf.*, outcome.*).
  fr: {
    totals: (t) =>
      `${t.gain} gagneraient, ${t.lose} perdraient, ${t.wait} attendraient, ${t.refuse} seraient refusés, ${t.move} changeraient de compte, ${t.keep} gardent leur licence`,
    unaffected: (n) => (n === 1 ? "1 autre app n'est pas touchée" : `${n} autres apps ne sont pas touchées`),
    countsHeader: ["APP", "AVEC LICENCE", "EN ATTENTE", "REFUSÉS"],
    changesHeader: ["APP", "CHANGEMENT", "SUJET", "AUJOURD'HUI", "RÈGLES", "POURQUOI"],
    change: {
      gain: "obtient une licence",
      lose: "perd sa licence",
      wait: "attendrait",
      refuse: "serait refusé",
      move: "change de compte",
    },
    subject: { user: "utilisateur", device: "appareil" },
    outcome: { grant: "attribuée", keep: "conservée", wait: "en attente", refuse: "refusée" },
  },
};

function appLabel(a: AppImpact): string {
  return a.name ? `${a.name} (${a.adamId})` : a.adamId;
}

/** "3", or "3 -> 5 (+2)" when the change moves it. */
function change(now: number, after: number): string {
  if (now === after) return String(now);
  return `${now} -> ${after} (${after > now ? "+" : ""}${after - now})`;
}
