/**
 * Following Apple's events after a call: notifications usually bring the result first
 * (apple-notifications.ts); otherwise /status is polled (Apple: at least 30 s apart), and
 * an event still PENDING after 10 minutes is sent again (Apple's advice; associate and
 * disassociate are idempotent). Results are applied per subject (outcomes.ts).
 */
import { AppleApiError, eventOutcomes, type StatusResponse, type SubjectFailure } from "../apple/index.js";
import { findAccount, type OutboxRecord } from "../store/index.js";
import { claimSentEvents, finishOutbox, ownSentEvents } from "../store/sync-outbox.repo.js";
import type { SyncDeps } from "./deps.js";
import { followUp } from "./effects.js";
import { reportIfTokenIssue } from "./health.js";
import { applyOutcomes, type SubjectOutcome, subjectKey } from "./outcomes.js";
import { assetKeyOf } from "./plan.js";

const EVENT_NOT_FOUND = 9708;

export interface FollowReport {
  events: number;
  finished: number;
}

export async function followOnce(deps: SyncDeps, workerId: string): Promise<FollowReport> {
  const now = deps.now();
  const limit = deps.tuning.claimLimit;
  // Events this worker sent (it kept their lease), then those nobody holds any more.
  const own = await ownSentEvents(deps.db, { workerId, limit, now });
  const orphans = await claimSentEvents(deps.db, {
    workerId,
    limit: limit - own.length,
    now,
    leaseMs: deps.tuning.leaseMs,
  });
  const byEvent = new Map<string, OutboxRecord[]>();
  for (const row of [...own, ...orphans]) {
    const key = row.eventId ?? "";
    const list = byEvent.get(key);
    if (list) list.push(row);
    else byEvent.set(key, [row]);
  }
  const report: FollowReport = { events: byEvent.size, finished: 0 };
  const byAccount = new Map<string, Array<[string, OutboxRecord[]]>>();
  for (const entry of byEvent) {
    const accountId = entry[1][0]?.accountId ?? "";
    const list = byAccount.get(accountId);
    if (list) list.push(entry);
    else byAccount.set(accountId, [entry]);
  }
  await Promise.all(
    [...byAccount.values()].map(async (events) => {
      for (const [eventId, ofEvent] of events) {
        if (await followEvent(deps, eventId, ofEvent)) report.finished++;
      }
    }),
  );
  return report;
}

/** One look at one event; true when its result was applied. */
async function followEvent(deps: SyncDeps, eventId: string, rows: OutboxRecord[]): Promise<boolean> {
  const first = rows[0] as OutboxRecord;
  const { spaceId } = first;
  const now = deps.now();
  const later = (ms: number) => new Date(now.getTime() + ms);
  const account = await findAccount(deps.db, spaceId, first.accountId);
  if (!account) return false;
  const seqs = rows.map((r) => r.seq);
  if (eventId === "") {
    await finishOutbox(deps.db, { spaceId, seqs, state: "pending", error: "sent without an eventId", now });
    return false;
  }
  let status: StatusResponse;
  try {
    status = await (await deps.apple.forAccount(account)).eventStatus(eventId);
  } catch (error) {
    if (error instanceof AppleApiError && error.errorNumber === EVENT_NOT_FOUND) {
      // Apple has no such event (any more): send again.
      await finishOutbox(deps.db, {
        spaceId,
        seqs,
        state: "pending",
        error: "event unknown to Apple (9708)",
        now,
      });
      return false;
    }
    await reportIfTokenIssue(deps, account, error);
    const waitMs =
      error instanceof AppleApiError && error.retryAfterMs !== undefined
        ? error.retryAfterMs
        : deps.tuning.pollIntervalMs;
    await finishOutbox(deps.db, {
      spaceId,
      seqs,
      state: "sent",
      error: String(error).slice(0, 500),
      notBefore: later(waitMs),
      now,
    });
    return false;
  }
  if (status.eventStatus === "PENDING") {
    const sentAt = first.sentAt ?? first.updatedAt;
    if (now.getTime() - sentAt.getTime() >= deps.tuning.eventRetryAfterMs) {
      await finishOutbox(deps.db, {
        spaceId,
        seqs,
        state: "pending",
        error: "still PENDING after 10 minutes: sent again",
        now,
      });
    } else {
      await finishOutbox(deps.db, {
        spaceId,
        seqs,
        state: "sent",
        notBefore: later(deps.tuning.pollIntervalMs),
        now,
      });
    }
    return false;
  }
  const effects = await applyOutcomes(deps, rows, outcomeFromStatus(status, rows));
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
    const key = subjectKey(f.subject as { serialNumber?: string; clientUserId?: string });
    failures.set(key, [...(failures.get(key) ?? []), f]);
  }
  return (row) => {
    const named = (failures.get(subjectKey(row)) ?? []).find(
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
