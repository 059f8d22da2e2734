import {
  type AccountStep,
  type AccountVerdict,
  type Decision,
  type DecisionTrace,
  decide,
  ELIGIBILITY_RULES,
  type Eligibility,
  type LicenseRequest,
  newTrace,
  type RequestReason,
  type RuleId,
  type Subject,
} from "../licensing/index.js";
import { Coalescer, coalescerPer } from "../store/coalesce.js";
import type { Db } from "../store/database.js";
import { loadWorldSnapshot, worldFor } from "../store/index.js";
import { subjectKey } from "../store/queue.repo.js";
import { type QueuePlace, queuePlaces } from "../store/waiting-view.repo.js";
import { DECISION_TEXTS, DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";
import { type Described, describe } from "./describe.js";

export interface Explanation extends Described {
  request: LicenseRequest;
  decision: Decision;
  /**
   * The accounts of the space in priority order, as the decision walked them (decide()'s
   * own trace). Empty when the decision was made before any account was looked at (its
   * rules say why: CA3, RV1, PB1, LT4).
   */
  accounts: AccountConsidered[];
  /** DB2, UB3: a request that waits, where it stands in the app's queue (when it is there). */
  queue?: QueuePlace;
}

/** One account as the decision saw it. */
export interface AccountConsidered {
  accountId: string;
  name: string;
  /** 1 = first (MA1). */
  priority: number;
  /** How the account's rules see the subject, and the rules that say so. */
  eligibility: Eligibility;
  eligible: boolean;
  eligibilityBecause: RuleId[];
  /** The app's seats in this account; `free` is what the decision could give here (FCFS: minus reserved seats, DI6). */
  seats?: { total: number; used: number; heldForReservations: number; free: number };
  /** What the walk found here; `reached` false: the decision was made before (MA1, MA5). */
  verdict: AccountVerdict;
  reached: boolean;
  /** The decision's license comes from this account. */
  taken: boolean;
  because: RuleId[];
  /** The row in words, in the language asked for. */
  summary: string;
}

/**
 * The decision the engine would make now for (app, subject), in words, without changing
 * anything: the same world the allocation would load, read without locks. Explanations of
 * one app asked together (an MDM asking for each of its devices) share one read of that
 * world (a Coalescer): the app's rules and seats once, every subject's licenses at once.
 */
export async function explain(
  db: Db,
  input: { spaceId: string; adamId: string; subject: Subject; why: RequestReason },
  language: Language = DEFAULT_LANGUAGE,
): Promise<Explanation> {
  const request: LicenseRequest = { ...input };
  const outcome = await explainedOf(db).submit(`${input.spaceId}\u0000${input.adamId}`, {
    request,
    language,
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.explanation;
}

type Outcome = { explanation: Explanation } | { error: unknown };

const explainedOf = coalescerPer(
  (db: Db) =>
    new Coalescer<{ request: LicenseRequest; language: Language }, Outcome>(async (asked) => {
      const requests = asked.map((a) => a.request);
      const first = requests[0];
      if (!first) return [];
      const snapshot = await loadWorldSnapshot(db, {
        spaceId: first.spaceId,
        adamId: first.adamId,
        subjects: requests.map((r) => r.subject),
      });
      const names = snapshot.accountNames;
      const decided = asked.map(({ request, language }): Outcome => {
        try {
          const trace = newTrace();
          const decision = decide(request, worldFor(snapshot, request), trace);
          const name = (id: string) => names.get(id) ?? id;
          const words = describe(decision, name, language);
          const accounts = accountsConsidered(trace, name, language);
          return { explanation: { request, decision, ...words, accounts } };
        } catch (error) {
          return { error }; // this subject's (unknown device, ...), not the others'
        }
      });
      // Those that wait: their place in the queue, one read for the batch.
      const waiting = decided.flatMap((d) =>
        "explanation" in d && d.explanation.decision.outcome === "wait" ? [d.explanation] : [],
      );
      if (waiting.length === 0) return decided;
      const places = await queuePlaces(
        db,
        first.spaceId,
        first.adamId,
        waiting.map((e) => e.request.subject),
      );
      for (const e of waiting) {
        const place = places.get(subjectKey(e.request.subject));
        if (place) e.queue = place;
      }
      return decided;
    }),
);

/**
 * One row per account the trace names, in the engine's order (priority, then id). An
 * account may have been looked at twice (its reservation, then FCFS): the row shows the
 * step that decided there: the license taken, else the reservation, else the last look.
 */
export function accountsConsidered(
  trace: DecisionTrace,
  name: (accountId: string) => string,
  language: Language,
): AccountConsidered[] {
  const byAccount = new Map<string, AccountStep[]>();
  for (const step of trace.steps) {
    const steps = byAccount.get(step.accountId);
    if (steps) steps.push(step);
    else byAccount.set(step.accountId, [step]);
  }
  const t = DECISION_TEXTS[language].accounts;
  const rows: AccountConsidered[] = [];
  for (const [accountId, steps] of byAccount) {
    const reached = steps.filter((s) => s.reached);
    const step =
      reached.find((s) => s.verdict === "grant") ??
      reached.find((s) => s.pass === "reserved") ??
      reached[reached.length - 1] ??
      steps[steps.length - 1];
    if (!step) continue;
    // A license taken in the FCFS pass came by FCFS, whatever reservation was looked at first.
    const grantedByFcfs = step.reached && step.verdict === "grant" && step.pass !== "reserved";
    const eligibility =
      !grantedByFcfs && steps.some((s) => s.pass === "reserved") ? "reserved" : step.eligibility;
    const eligible = eligibility === "reserved" || eligibility === "fcfs";
    const taken = step.reached && step.verdict === "grant";
    const verdictText = step.reached
      ? t.verdict[step.verdict]
      : t.notReached[step.notReachedBecause === "MA5" ? "MA5" : "MA1"];
    rows.push({
      accountId,
      name: name(accountId),
      priority: step.priority,
      eligibility,
      eligible,
      eligibilityBecause: [...ELIGIBILITY_RULES[eligibility]],
      ...(step.seats ? { seats: step.seats } : {}),
      verdict: step.verdict,
      reached: step.reached,
      taken,
      because: step.reached ? step.because : [step.notReachedBecause ?? "MA1"],
      summary: t.row(t.eligibility[eligibility], verdictText),
    });
  }
  return rows.sort((a, b) => a.priority - b.priority || a.accountId.localeCompare(b.accountId));
}
