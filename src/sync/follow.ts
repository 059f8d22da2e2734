/**
 * Following Apple's events after a call: notifications usually bring the result first
 * (apple-notifications.ts); otherwise /status is polled (Apple: at least 30 s apart), and
 * an event still PENDING after 10 minutes is sent again (Apple's advice; associate and
 * disassociate are idempotent). Results are applied per subject (outcomes.ts).
 */
import { AppleApiError, eventOutcomes, type StatusResponse, type SubjectFailure } from "../apple/index.js";
import { type AppleCall, claimCalls, postponeCall } from "../store/apple-calls.repo.js";
import { type Account, findAccount, type OutboxRecord } from "../store/index.js";
import type { SyncDeps } from "./deps.js";
import { followUp } from "./effects.js";
import { reportIfTokenIssue } from "./health.js";
import { applyOutcomes, echoedSubjectKey, type SubjectOutcome } from "./outcomes.js";
import { assetKeyOf } from "./plan.js";
import { allAccounts } from "./round.js";

const EVENT_NOT_FOUND = 9708;

export interface FollowReport {
  events: number;
  finished: number;
}

export async function followOnce(deps: SyncDeps, workerId: string): Promise<FollowReport> {
  // Calls this worker sent (it kept their lease), and those nobody holds any more.
  const calls = await claimCalls(deps.db, {
    state: "sent",
    workerId,
    now: deps.now(),
    leaseMs: deps.tuning.leaseMs,
    limit: deps.tuning.claimLimit,
  });
  const report: FollowReport = { events: calls.length, finished: 0 };
  const byAccount = new Map<string, AppleCall[]>();
  for (const call of calls) {
    const list = byAccount.get(call.accountId);
    if (list) list.push(call);
    else byAccount.set(call.accountId, [call]);
  }
  await allAccounts(
    [...byAccount.values()].map(async (ofAccount) => {
      // The next call's status is asked while this one's results are written: Apple's answer
      // and the database's work overlap, and each call's results are still applied in order.
      let next = askStatus(deps, ofAccount[0]);
      for (const [i, call] of ofAccount.entries()) {
        const asked = await next;
        next = askStatus(deps, ofAccount[i + 1]);
        if (await followCall(deps, call, asked)) report.finished++;
      }
    }),
  );
  return report;
}

/** What Apple said of a call's event: its status, or the error asking for it. */
type Asked =
  | { account: Account; status: StatusResponse }
  | { account: Account; error: unknown }
  | { account?: undefined; failed?: unknown };

/**
 * Apple's answer about one call's event. It runs ahead of its turn, so it never rejects:
 * a failure to read the account is handed to the call's turn (`failed`), and thrown there.
 */
async function askStatus(deps: SyncDeps, call: AppleCall | undefined): Promise<Asked> {
  if (!call?.eventId) return {};
  let account: Account | undefined;
  try {
    account = await findAccount(deps.db, call.spaceId, call.accountId);
  } catch (failed) {
    return { failed };
  }
  if (!account) return {};
  try {
    return { account, status: await (await deps.apple.forAccount(account)).eventStatus(call.eventId) };
  } catch (error) {
    return { account, error };
  }
}

/** One look at one call's event; true when its result was applied. */
async function followCall(deps: SyncDeps, call: AppleCall, asked: Asked): Promise<boolean> {
  const { spaceId, id } = call;
  const now = deps.now();
  const later = (ms: number) => new Date(now.getTime() + ms);
  const again = (error: string) => postponeCall(deps.db, { spaceId, id, state: "sending", error, now });
  if (!call.eventId) {
    await again("sent without an eventId");
    return false;
  }
  if (!asked.account) {
    if ("failed" in asked) throw asked.failed;
    return false;
  }
  const { account } = asked;
  if ("error" in asked) {
    const { error } = asked;
    if (error instanceof AppleApiError && error.errorNumber === EVENT_NOT_FOUND) {
      // Apple has no such event (any more): send again.
      await again("event unknown to Apple (9708)");
      return false;
    }
    await reportIfTokenIssue(deps, account, error);
    const waitMs =
      error instanceof AppleApiError && error.retryAfterMs !== undefined
        ? error.retryAfterMs
        : deps.tuning.pollIntervalMs;
    await postponeCall(deps.db, {
      spaceId,
      id,
      state: "sent",
      error: String(error),
      notBefore: later(waitMs),
      now,
    });
    return false;
  }
  const { status } = asked;
  if (status.eventStatus === "PENDING") {
    const sentAt = call.sentAt ?? call.createdAt;
    if (now.getTime() - sentAt.getTime() >= deps.tuning.eventRetryAfterMs) {
      await again("still PENDING after 10 minutes: sent again");
    } else {
      await postponeCall(deps.db, {
        spaceId,
        id,
        state: "sent",
        notBefore: later(deps.tuning.pollIntervalMs),
        now,
      });
    }
    return false;
  }
  const effects = await applyOutcomes(deps, call.ops, outcomeFromStatus(status, call.ops), call);
  await followUp(deps, effects);
  return true;
}

/** Per-row results of a finished event. A failure naming no subject leaves every unnamed row failed with it. */
export function outcomeFromStatus(
  status: StatusResponse,
  rows: readonly OutboxRecord[],
): (row: OutboxRecord) => SubjectOutcome {
  const outcomes = eventOutcomes(status, {
    clientUserIds: rows.flatMap((r) =>
      r.clientUserId !== undefined && r.serialNumber === undefined ? [r.clientUserId] : [],
    ),
    serialNumbers: rows.flatMap((r) => (r.serialNumber !== undefined ? [r.serialNumber] : [])),
  });
  const failures = new Map<string, SubjectFailure[]>();
  let unattributed: SubjectFailure | undefined;
  for (const f of outcomes.failed) {
    if (!f.subject) {
      unattributed ??= f;
      continue;
    }
    const key = echoedSubjectKey(f.subject as { serialNumber?: string; clientUserId?: string });
    failures.set(key, [...(failures.get(key) ?? []), f]);
  }
  return (row) => {
    const named = (failures.get(echoedSubjectKey(row)) ?? []).find(
      (f) =>
        !f.assets ||
        f.assets.length === 0 ||
        f.assets.some((a) => assetKeyOf(a) === assetKeyOf(row) || a.adamId === row.adamId),
    );
    const failure = named ?? unattributed;
    if (failure) return { ok: false, errorNumber: failure.errorNumber, message: failure.errorMessage };
    return { ok: true };
  };
}
