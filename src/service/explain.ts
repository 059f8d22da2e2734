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
import { type AccountRefusal, refusalText } from "../store/apple-refusals.repo.js";
import { Coalescer, coalescerPer } from "../store/coalesce.js";
import type { Db } from "../store/database.js";
import { loadWorldSnapshot, worldFor } from "../store/index.js";
import { licenseRequestsOf } from "../store/license.repo.js";
import { subjectKey } from "../store/queue.repo.js";
import { type QueuePlace, queuePlaces } from "../store/waiting-view.repo.js";
import { DECISION_TEXTS, DEFAULT_LANGUAGE, type Language } from "./decision-texts.js";
import { type Described, describe } from "./describe.js";

/** Explain's reason when none is asked: the request the subject waits with, else the default. */
export const DEFAULT_WHY: RequestReason = "requested";

/**
 * Where the reason explained (`why`) came from: `asked` (given by the caller); `queue`
 * (none given: the reason the subject waits with in the app's queue, DB2, UB3); `license`
 * (none given, and the subject holds a license: the keep, LT4, whatever the reason; `why`
 * is the one the license was granted for when known); `default` (none given, nothing to
 * go by: DEFAULT_WHY).
 */
export type WhyFrom = "asked" | "queue" | "license" | "default";

export interface Explanation extends Described {
  request: LicenseRequest;
  /** The reason explained (`request.why`), and where it came from. */
  why: RequestReason;
  whyFrom: WhyFrom;
  decision: Decision;
  /**
   * The accounts of the space in priority order, as the decision walked them (decide()'s
   * own trace). Empty when the decision was made before any account was looked at (its
   * rules say why: CA3, RV1, PB1, LT4, PB3).
   */
  accounts: AccountConsidered[];
  /** DB2, UB3: a request that waits, where it stands in the app's queue (when it is there). */
  queue?: QueuePlace;
  /**
   * MA2, DB2: the accounts Apple refused to assign the app to this subject from, newest
   * first: each is passed over (the decision says whether another served or none could).
   */
  appleRefusals?: AppleRefusalExplained[];
}

/** One account's refusal of the subject, as Explain names it. */
export interface AppleRefusalExplained {
  accountId: string;
  accountName: string;
  errorNumber: number;
  message?: string;
  refusedAt: Date;
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
 *
 * Without `why`, the subject's situation decides what is explained: the request it waits
 * with in the app's queue (DB2, UB3: the wait, with its place), else the license it holds
 * (LT4: the keep), else DEFAULT_WHY. The answer says which (`why`, `whyFrom`).
 */
export async function explain(
  db: Db,
  input: { spaceId: string; adamId: string; subject: Subject; why?: RequestReason | undefined },
  language: Language = DEFAULT_LANGUAGE,
): Promise<Explanation> {
  const { spaceId, adamId, subject, why } = input;
  const outcome = await explainedOf(db).submit(`${spaceId}\u0000${adamId}`, {
    request: { spaceId, adamId, subject },
    ...(why !== undefined ? { why } : {}),
    language,
  });
  if ("error" in outcome) throw outcome.error;
  return outcome.explanation;
}

type Outcome = { explanation: Explanation } | { error: unknown };
type Asked = { request: Omit<LicenseRequest, "why">; why?: RequestReason; language: Language };

const explainedOf = coalescerPer(
  (db: Db) =>
    new Coalescer<Asked, Outcome>(async (asked) => {
      const first = asked[0]?.request;
      if (!first) return [];
      const { spaceId, adamId } = first;
      // No reason given: the one the subject waits with, if it is in the queue. One read for the batch.
      const unasked = asked.filter((a) => a.why === undefined).map((a) => a.request.subject);
      const queued = unasked.length > 0 ? await queuePlaces(db, spaceId, adamId, unasked) : new Map();
      const snapshot = await loadWorldSnapshot(db, {
        spaceId,
        adamId,
        subjects: asked.map((a) => a.request.subject),
      });
      const names = snapshot.accountNames;
      const decided = asked.map(({ request: r, why: given, language }): Outcome => {
        try {
          const place = given === undefined ? queued.get(subjectKey(r.subject)) : undefined;
          const why = given ?? place?.why ?? DEFAULT_WHY;
          const request: LicenseRequest = { ...r, why };
          const trace = newTrace();
          // MA2, DB2: the accounts Apple refused are passed over, as allocation does (the world says which).
          const decision = decide(request, worldFor(snapshot, request), trace);
          const whyFrom: WhyFrom =
            given !== undefined
              ? "asked"
              : place
                ? "queue"
                : decision.outcome === "keep"
                  ? "license"
                  : "default";
          const name = (id: string) => names.get(id) ?? id;
          const words = describe(decision, name, language);
          const accounts = accountsConsidered(trace, name, language);
          const refusals = explainedRefusals(snapshot.appleRefusals.get(subjectKey(r.subject)), name);
          if (refusals.length > 0) words.summary += refusalsSentence(decision, refusals, language);
          return {
            explanation: {
              request,
              why,
              whyFrom,
              decision,
              ...words,
              accounts,
              ...(refusals.length > 0 ? { appleRefusals: refusals } : {}),
            },
          };
        } catch (error) {
          return { error }; // this subject's (unknown device, ...), not the others'
        }
      });
      const explained = decided.flatMap((d) => ("explanation" in d ? [d.explanation] : []));
      // A keep explained without a reason: the reason the license was granted for, when this
      // subject asked for it (a keep does not depend on it: LT4 is decided before any reason).
      const kept = explained.filter((e) => e.whyFrom === "license" && e.decision.outcome === "keep");
      if (kept.length > 0) {
        const asks = await licenseRequestsOf(
          db,
          spaceId,
          kept.flatMap((e) => (e.decision.outcome === "keep" ? [e.decision.licenseId] : [])),
        );
        for (const e of kept) {
          const ask = e.decision.outcome === "keep" ? asks.get(e.decision.licenseId) : undefined;
          if (ask && subjectKey(ask.subject) === subjectKey(e.request.subject)) {
            e.why = ask.why;
            e.request = { ...e.request, why: ask.why };
          }
        }
      }
      // Those that wait: their place in the queue, one read for the batch (none more for those
      // asked without a reason: their places were read above).
      const waiting = explained.filter((e) => e.decision.outcome === "wait");
      if (waiting.length === 0) return decided;
      const unread = waiting.filter((e) => e.whyFrom === "asked");
      const places =
        unread.length > 0
          ? new Map([
              ...queued,
              ...(await queuePlaces(
                db,
                spaceId,
                adamId,
                unread.map((e) => e.request.subject),
              )),
            ])
          : queued;
      for (const e of waiting) {
        const place = places.get(subjectKey(e.request.subject));
        if (place) e.queue = { position: place.position, of: place.of, waitingSince: place.waitingSince };
      }
      return decided;
    }),
);

function explainedRefusals(
  refusals: readonly AccountRefusal[] | undefined,
  name: (accountId: string) => string,
): AppleRefusalExplained[] {
  return (refusals ?? []).map((r) => ({ ...r, accountName: name(r.accountId) }));
}

/**
 * MA2, DB2: which accounts Apple refused (with its error), then whether another account
 * serves the subject (a grant or a keep from an account Apple did not refuse), it waits for
 * another one, or none can (it waits for an administrator, or is refused).
 */
function refusalsSentence(
  decision: Decision,
  refusals: readonly AppleRefusalExplained[],
  language: Language,
): string {
  const t = DECISION_TEXTS[language];
  const named = refusals
    .map((r) => t.appleRefusal(r.accountName, refusalText(r.errorNumber, r.message ?? null)))
    .join(", ");
  const refused = new Set(refusals.map((r) => r.accountId));
  const then =
    (decision.outcome === "grant" || decision.outcome === "keep") && !refused.has(decision.accountId)
      ? "serves"
      : decision.outcome === "wait" && decision.reason !== "apple_refused"
        ? "waits"
        : "none";
  return t.appleRefusedFrom(named, then);
}

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
