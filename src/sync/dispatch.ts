/**
 * The outbox dispatcher: claims pending Apple operations (leased, FOR UPDATE SKIP LOCKED),
 * sends them in as few calls as Apple's limits allow, and records each call's eventId
 * before anything else. A crash before that record leaves the rows pending: once the
 * lease runs out they are sent again, which Apple's associate and disassociate allow
 * (idempotent), so nothing is lost or doubled (invariant 3).
 */
import { AppleApiError, AppleBatchError, type AppleClient, type BatchEvent } from "../apple/index.js";
import { findAccount, type OutboxRecord } from "../store/index.js";
import {
  type ClaimedOutbox,
  claimDispatchable,
  finishOutbox,
  licensesWithOpenAssociation,
  recordSent,
} from "../store/sync-outbox.repo.js";
import { appleUserEntries } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { followUp } from "./effects.js";
import { reportIfTokenIssue } from "./health.js";
import { applyOutcomes } from "./outcomes.js";
import { type CallCoverage, type PlannedGroup, planGroups, rowsCovered } from "./plan.js";

export interface DispatchReport {
  claimed: number;
  /** Apple calls accepted (one eventId each). */
  calls: number;
  /** Rows recorded as sent. */
  sent: number;
  /** Row seqs sent, per space (tests: two workers never send the same operation). */
  sentSeqs: number[];
}

type AnyBatch = CallCoverage;

export async function dispatchOnce(deps: SyncDeps, workerId: string): Promise<DispatchReport> {
  const report: DispatchReport = { claimed: 0, calls: 0, sent: 0, sentSeqs: [] };
  const rows = await claimDispatchable(deps.db, {
    workerId,
    limit: deps.tuning.claimLimit,
    now: deps.now(),
    leaseMs: deps.tuning.leaseMs,
  });
  report.claimed = rows.length;
  const byAccount = new Map<string, ClaimedOutbox[]>();
  for (const row of rows) {
    const key = `${row.spaceId}\u0000${row.accountId}`;
    const list = byAccount.get(key);
    if (list) list.push(row);
    else byAccount.set(key, [row]);
  }
  await Promise.all(
    [...byAccount.values()].map((ofAccount) => dispatchAccount(deps, workerId, ofAccount, report)),
  );
  return report;
}

async function dispatchAccount(
  deps: SyncDeps,
  workerId: string,
  rows: ClaimedOutbox[],
  report: DispatchReport,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const account = await findAccount(deps.db, first.spaceId, first.accountId);
  if (!account) return; // deleted meanwhile: its rows went with it
  const ready = await setAside(deps, rows);
  if (ready.length === 0) return;
  let client: AppleClient;
  try {
    client = await deps.apple.forAccount(account);
  } catch (error) {
    await reportIfTokenIssue(deps, account, error);
    await release(deps, ready, String(error));
    return;
  }
  for (const group of planGroups(ready)) {
    try {
      const events = await send(deps, client, group);
      await recordAll(deps, workerId, group, events, report);
    } catch (error) {
      if (error instanceof AppleBatchError) {
        await recordAll(deps, workerId, group, error.completed as Array<BatchEvent<AnyBatch>>, report);
        const rest = [error.failedBatch, ...error.notSent] as AnyBatch[];
        await refused(
          deps,
          account,
          rest.flatMap((b) => rowsCovered(group, b)),
          error.cause,
        );
      } else {
        await refused(deps, account, group.rows, error);
      }
    }
  }
  await followUp(deps, {
    touched: ready.flatMap((r) =>
      r.adamId ? [{ spaceId: r.spaceId, accountId: r.accountId, adamId: r.adamId }] : [],
    ),
    freed: [],
    recount: [],
  });
}

/**
 * Rows that must not go now: associations already overtaken (the license was released
 * or failed meanwhile) are closed; releases whose association is still open wait for it,
 * so Apple never sees them in the wrong order; rows with no Apple subject cannot be sent.
 */
async function setAside(deps: SyncDeps, rows: ClaimedOutbox[]): Promise<OutboxRecord[]> {
  const { spaceId } = rows[0] as OutboxRecord;
  const now = deps.now();
  // The license's state came with the claim (read in the same statement, not after it).
  const overtaken = rows.filter(
    (r) => r.kind === "associate" && r.licenseId && r.licenseState !== "pending_assign",
  );
  await finishOutbox(deps.db, {
    spaceId,
    seqs: overtaken.map((r) => r.seq),
    state: "done",
    error: "overtaken: license no longer pending",
    now,
  });
  const releaseIds = rows.flatMap((r) => (r.kind === "disassociate" && r.licenseId ? [r.licenseId] : []));
  const waiting = await licensesWithOpenAssociation(deps.db, spaceId, releaseIds);
  const deferred = rows.filter((r) => r.kind === "disassociate" && r.licenseId && waiting.has(r.licenseId));
  await finishOutbox(deps.db, {
    spaceId,
    seqs: deferred.map((r) => r.seq),
    state: "pending",
    error: "waiting for the association to finish",
    notBefore: new Date(now.getTime() + deps.tuning.retryDelayMs),
    now,
  });
  const skip = new Set([...overtaken, ...deferred].map((r) => r.seq));
  const rest = rows.filter((r) => !skip.has(r.seq));
  const noSubject = rest.filter((r) => r.serialNumber === undefined && r.clientUserId === undefined);
  if (noSubject.length > 0) {
    const effects = await applyOutcomes(deps, noSubject, (r) =>
      r.kind === "disassociate" || r.kind === "revoke"
        ? { ok: true }
        : { ok: false, errorNumber: 0, message: "no serial number or Apple clientUserId to send" },
    );
    await followUp(deps, effects);
  }
  return rest.filter((r) => r.serialNumber !== undefined || r.clientUserId !== undefined);
}

async function send(
  deps: SyncDeps,
  client: AppleClient,
  group: PlannedGroup,
): Promise<Array<BatchEvent<AnyBatch>>> {
  const subjects = { serialNumbers: group.serialNumbers, clientUserIds: group.clientUserIds };
  switch (group.kind) {
    case "associate":
      return client.associateBatched({ assets: group.assets, ...subjects });
    case "disassociate":
      return client.disassociateBatched({ assets: group.assets, ...subjects });
    case "revoke":
      return client.revokeBatched(subjects);
    case "retire_user":
      return client.retireUsersBatched(group.clientUserIds.map((clientUserId) => ({ clientUserId })));
    case "create_user":
    case "update_user": {
      const first = group.rows[0] as OutboxRecord;
      const entries = await appleUserEntries(deps.db, first.spaceId, group.clientUserIds);
      const users = group.clientUserIds.map((id) => entries.get(id) ?? { clientUserId: id });
      return group.kind === "create_user"
        ? client.createUsersBatched(users)
        : client.updateUsersBatched(users);
    }
  }
}

async function recordAll(
  deps: SyncDeps,
  workerId: string,
  group: PlannedGroup,
  events: ReadonlyArray<BatchEvent<AnyBatch>>,
  report: DispatchReport,
): Promise<void> {
  for (const event of events) {
    const covered = rowsCovered(group, event);
    const first = covered[0];
    if (!first) continue;
    const now = deps.now();
    await recordSent(deps.db, {
      spaceId: first.spaceId,
      seqs: covered.map((r) => r.seq),
      eventId: event.eventId,
      now,
      nextLookAt: new Date(now.getTime() + deps.tuning.firstPollMs),
      // This worker follows the event itself: it keeps the lease (no second claim per row).
      lease: { workerId, until: new Date(now.getTime() + deps.tuning.leaseMs) },
    });
    report.calls += 1;
    report.sent += covered.length;
    report.sentSeqs.push(...covered.map((r) => r.seq));
  }
}

/** Apple did not accept the call: wait and resend, pause the account, or fail the rows for good. */
async function refused(
  deps: SyncDeps,
  account: { spaceId: string; id: string },
  rows: readonly OutboxRecord[],
  error: unknown,
): Promise<void> {
  if (rows.length === 0) return;
  if (await reportIfTokenIssue(deps, account, error)) {
    await release(deps, rows, String(error));
    return;
  }
  if (error instanceof AppleApiError && !error.retryable && error.errorNumber !== undefined) {
    // The request itself is wrong for Apple (e.g. 9707 not device-assignable): retrying cannot help.
    const effects = await applyOutcomes(deps, rows, () => ({
      ok: false,
      errorNumber: error.errorNumber ?? 0,
      message: error.errorMessage,
    }));
    await followUp(deps, effects);
    return;
  }
  // Throttled, unavailable, or no answer (a POST that may have reached Apple: resending is idempotent).
  const waitMs =
    error instanceof AppleApiError && error.retryAfterMs !== undefined
      ? error.retryAfterMs
      : deps.tuning.retryDelayMs;
  deps.logger.warn(
    { accountId: account.id, rows: rows.length, waitMs, err: String(error) },
    "Apple call not accepted; will retry",
  );
  await release(deps, rows, String(error), waitMs);
}

async function release(
  deps: SyncDeps,
  rows: readonly OutboxRecord[],
  error: string,
  waitMs = deps.tuning.retryDelayMs,
): Promise<void> {
  const first = rows[0];
  if (!first) return;
  const now = deps.now();
  await finishOutbox(deps.db, {
    spaceId: first.spaceId,
    seqs: rows.map((r) => r.seq),
    state: "pending",
    error: error.slice(0, 500),
    notBefore: new Date(now.getTime() + waitMs),
    now,
  });
}
