import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Decision, RuleSentence } from "../api/types";

/** GET /explain (src/api/routes/decisions.routes.ts `explanationSchema`). */
export interface Explanation {
  decision: Decision;
  outcome: string;
  summary: string;
  rules: RuleSentence[];
  /** The accounts in priority order as the decision walked them (`accountConsideredSchema`). */
  accounts: AccountConsidered[];
  /** DB2, UB3: where a waiting request stands in the app's queue. */
  queue?: { position: number; of: number; waitingSince: string };
  /** The reason explained, and where it came from (none asked: the subject's situation). */
  why: ExplainWhy;
  whyFrom: "asked" | "queue" | "license" | "default";
  /** MA2, DB2: the accounts Apple refused to assign the app to this subject from, newest first. */
  appleRefusals?: Array<{
    accountId: string;
    accountName: string;
    errorNumber: number;
    message?: string;
    refusedAt: string;
  }>;
}

export type Eligibility = "reserved" | "fcfs" | "prohibited" | "not_listed" | "not_bought";

export interface AccountConsidered {
  accountId: string;
  name: string;
  priority: number;
  eligibility: Eligibility;
  eligible: boolean;
  eligibilityBecause: string[];
  seats?: { total: number; used: number; heldForReservations: number; free: number };
  verdict: string;
  reached: boolean;
  taken: boolean;
  because: string[];
  summary: string;
}

export const EXPLAIN_WHYS = ["requested", "mandatory", "check_in"] as const;
export type ExplainWhy = (typeof EXPLAIN_WHYS)[number];

export function isExplainWhy(value: string | null): value is ExplainWhy {
  return EXPLAIN_WHYS.some((w) => w === value);
}

export interface ExplainInput {
  app: string;
  subject: { kind: "user" | "device"; id: string };
  /** Unset: the subject's current situation (the request it waits with, else its license, else requested). */
  why?: ExplainWhy | undefined;
}

/** The console's address of an explanation: a deep link the Explain page reads back. */
export function explainSearch(input: ExplainInput): string {
  const params = new URLSearchParams({ app: input.app, [input.subject.kind]: input.subject.id });
  if (input.why) params.set("why", input.why);
  return `?${params.toString()}`;
}

export function useExplain(spaceId: string, input: ExplainInput | undefined) {
  return useQuery({
    queryKey: [`/spaces/${spaceId}/explain`, input],
    queryFn: () =>
      api.get<Explanation>(`/spaces/${spaceId}/explain`, {
        app: input?.app,
        [input?.subject.kind ?? "user"]: input?.subject.id,
        why: input?.why,
      }),
    enabled: input !== undefined,
    retry: false,
  });
}
