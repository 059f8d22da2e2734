import type { RuleId } from "./rules.js";
import type { AccountForApp, LicenseType } from "./types.js";

/**
 * What decide() found at one account of its walk, recorded by decide() itself when asked
 * (an optional DecisionTrace): the trace is the decision's own walk, not a second reading
 * of the rules, so an explanation can never say something the decision did not do.
 */
export type AccountVerdict =
  /** The license comes from here (or would, had the walk reached it: `reached` false). */
  | "grant"
  /** MA1: the account did not buy the app. */
  | "not_bought"
  /** MA2, DI7: no FCFS group of the account covers the subject. */
  | "not_listed"
  /** DI4, DI7: the user is prohibited here. */
  | "prohibited"
  /** NT2: the account's token has a problem. */
  | "token_problem"
  /** MA2, DI6: no seat left here (FCFS: seats held for reservations excluded). */
  | "full"
  /** DB5, LT5: a device-based license is needed and Apple refuses it for this app. */
  | "not_device_assignable"
  /** LT1: the license type needs a device the request has not. */
  | "no_device"
  /** LT1, DI7: a user-based license needs a user. */
  | "no_user"
  /** UB2: a user-based license waits for the user's enrollment. */
  | "not_enrolled"
  /** MA2, DB2: Apple refused this account's assignment of the app to the subject for good. */
  | "apple_refused";

/** How the account's rules see the subject (DI7: Prohibited > Reserved > FCFS). */
export type Eligibility = "reserved" | "fcfs" | "prohibited" | "not_listed" | "not_bought";

export interface AccountStep {
  accountId: string;
  priority: number;
  /** Reservations are walked first (MA5, DI3, DB3), then FCFS (MA1, MA2). */
  pass: "reserved" | "fcfs";
  eligibility: Eligibility;
  verdict: AccountVerdict;
  /**
   * False when the decision was made before the walk came here (an account earlier in
   * priority gave the license, MA1, or a reservation decided, MA5): the step says what
   * this account would have said.
   */
  reached: boolean;
  /** Why it was not reached (MA1 or MA5), when `reached` is false. */
  notReachedBecause?: RuleId;
  /** The license type this pass would give here (FCFS: DI2, LT5, LT6; a reservation's own). */
  type?: LicenseType;
  /** The account's seats as decided on; `free` is what this pass may give (FCFS: minus reserved seats, DI6). */
  seats?: { total: number; used: number; heldForReservations: number; free: number };
  because: RuleId[];
}

/** A collector for decide(): pass one to see the walk; leave it out and nothing is recorded. */
export interface DecisionTrace {
  steps: AccountStep[];
}

export function newTrace(): DecisionTrace {
  return { steps: [] };
}

/** Records one step of the walk (only called when a trace was asked for). */
export function recordStep(
  trace: DecisionTrace,
  account: AccountForApp,
  pass: AccountStep["pass"],
  verdict: AccountVerdict,
  reached: RuleId | true,
  because: RuleId[],
  type?: LicenseType,
): void {
  const asset = account.asset;
  const held = account.rules.unusedReservations;
  const eligibility: Eligibility =
    verdict === "not_bought"
      ? "not_bought"
      : pass === "reserved"
        ? "reserved"
        : verdict === "prohibited" || verdict === "not_listed"
          ? verdict
          : "fcfs";
  trace.steps.push({
    accountId: account.id,
    priority: account.priority,
    pass,
    eligibility,
    verdict,
    reached: reached === true,
    ...(reached === true ? {} : { notReachedBecause: reached }),
    ...(type ? { type } : {}),
    ...(asset
      ? {
          seats: {
            total: asset.total,
            used: asset.used,
            heldForReservations: held,
            free: Math.max(0, asset.total - asset.used - (pass === "fcfs" ? held : 0)),
          },
        }
      : {}),
    because,
  });
}

/** The rule ids that say how an account's rules see the subject (DI7's precedence). */
export const ELIGIBILITY_RULES: Readonly<Record<Eligibility, readonly RuleId[]>> = {
  reserved: ["MA5", "DI3"],
  fcfs: ["DI2", "DI7"],
  prohibited: ["DI4", "DI7"],
  not_listed: ["MA2", "DI7"],
  not_bought: ["MA1"],
};
