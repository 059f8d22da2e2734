import type { Decision, LicenseType, RefuseReason, RuleId, WaitReason } from "../licensing/index.js";
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
): Described {
  return {
    outcome: decision.outcome,
    summary: render(partsOf(decision, accountName), language),
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

/** What a summary says, whatever its language. */
type SummaryParts =
  | { kind: "grant"; type: LicenseType; reserved: boolean; account: string }
  | { kind: "keep"; type: LicenseType; account: string }
  | { kind: "wait"; reason: WaitReason; selfPurchase: boolean }
  | { kind: "refuse"; reason: RefuseReason; selfPurchase: boolean };

function partsOf(decision: Decision, accountName: (id: string) => string): SummaryParts {
  const selfPurchase = "userMay" in decision && decision.userMay === "self_purchase";
  switch (decision.outcome) {
    case "grant":
      return {
        kind: "grant",
        type: decision.type,
        reserved: decision.reserved,
        account: accountName(decision.accountId),
      };
    case "keep":
      return { kind: "keep", type: decision.type, account: accountName(decision.accountId) };
    case "wait":
      return { kind: "wait", reason: decision.reason, selfPurchase };
    case "refuse":
      return { kind: "refuse", reason: decision.reason, selfPurchase };
  }
}

function render(parts: SummaryParts, language: Language): string {
  const t = DECISION_TEXTS[language];
  switch (parts.kind) {
    case "grant":
      return t.grant(parts.type, parts.reserved, parts.account);
    case "keep":
      return t.keep(parts.type, parts.account);
    case "wait":
      return `${t.waits(t.wait[parts.reason])}${parts.selfPurchase ? t.selfPurchase : ""}`;
    case "refuse":
      return `${t.refused(t.refuse[parts.reason])}${parts.selfPurchase ? t.selfPurchase : ""}`;
  }
}
