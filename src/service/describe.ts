import type { Decision, RuleId } from "../licensing/index.js";
import { DECISION_TEXTS, DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";

/**
 * Decisions and rule ids in plain words, for `explain`, `what-if` and license requests,
 * in English (the default) or French. Pure: the words are in decision-texts.ts, one
 * sentence per rule of docs/RULES.md.
 */
export const RULE_SENTENCES: Record<RuleId, string> = DECISION_TEXTS.en.rules;

export interface Described {
  outcome: Decision["outcome"];
  summary: string;
  rules: Array<{ id: RuleId; sentence: string }>;
}

/** `accountName` turns an account id into its display name when known. */
export function describe(
  decision: Decision,
  accountName: (id: string) => string = (id) => id,
  language: Language = DEFAULT_LANGUAGE,
  /** The decision was made real (a license request), not only explained. */
  made = false,
): Described {
  return {
    outcome: decision.outcome,
    summary: summaryOf(decision, accountName, language, made),
    rules: describeRules(decision.because, language),
  };
}

export function describeRules(
  ids: readonly RuleId[],
  language: Language = DEFAULT_LANGUAGE,
): Array<{ id: RuleId; sentence: string }> {
  const sentences = DECISION_TEXTS[language].rules;
  return [...new Set(ids)].map((id) => ({ id, sentence: sentences[id] }));
}

function summaryOf(
  decision: Decision,
  accountName: (id: string) => string,
  language: Language,
  made: boolean,
): string {
  const t = DECISION_TEXTS[language];
  const buy = "userMay" in decision && decision.userMay === "self_purchase" ? t.selfPurchase : "";
  switch (decision.outcome) {
    case "grant":
      return (made ? t.granted : t.grant)(decision.type, decision.reserved, accountName(decision.accountId));
    case "keep": {
      const unsupported = decision.because.includes("PB3") ? t.keptOnUnsupportedPlatform : "";
      return `${t.keep(decision.type, accountName(decision.accountId))}${unsupported}`;
    }
    case "wait":
      return `${t.waits(t.wait[decision.reason])}${buy}`;
    case "refuse":
      return `${t.refused(t.refuse[decision.reason])}${buy}`;
  }
}
