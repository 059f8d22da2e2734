/**
 * The outbox dispatcher. Calls written but not sent yet (device grants write theirs with
 * the licenses) are claimed and sent first. Then per account with pending operations, in
 * one transaction: the operations are locked (FOR UPDATE SKIP LOCKED: workers never take
 * the same ones), planned into as few Apple requests as Apple's limits allow, and moved
 * into one `apple_calls` row per request, claimed by this worker. Then each call is sent and its
 * eventId recorded before anything else. A crash before that record leaves the call to be
 * sent again once its lease runs out, which Apple's associate and disassociate allow
 * (idempotent), so nothing is lost or doubled (invariant 3).
 */
import {
  AppleApiError,
  type AppleClient,
  type AppleLimits,
  documentedLimits,
  type SendOptions,
} from "../apple/index.js";
import {
  type AppleCall,
  accountsWithDueOps,
  claimCalls,
  formCalls,
  holdCall,
  lockPendingOps,
  postponeCall,
  recordCallSent,
  replaceCalls,
} from "../store/apple-calls.repo.js";
import { findAccount, type OutboxRecord, withTransaction } from "../store/index.js";
import { registeringAtApple, registrationKey } from "../store/mdm-users.repo.js";
import { finishOutbox, licensesWithOpenAssociation, openReleasesOf } from "../store/sync-outbox.repo.js";
import { appleUserEntries } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { followUp } from "./effects.js";
import { reportIfTokenIssue } from "./health.js";
import { applyOutcomes, subjectKey } from "./outcomes.js";
import { planCalls } from "./plan.js";
import { allAccounts } from "./round.js";

export interface DispatchReport {
  /** Operations taken this round (new calls and calls sent again). */
  claimed: number;
  /** Apple calls accepted (one eventId each). */
  calls: number;
  /** Operations in the accepted calls. */
  sent: number;
  /** Operation seqs sent (tests: two workers never send the same operation). */
  sentSeqs: number[];
}

type Account = NonNullable<Awaited<ReturnType<typeof findAccount>>>;

export async function dispatchOnce(deps: SyncDeps, workerId: string): Promise<DispatchReport> {
  const report: DispatchReport = { claimed: 0, calls: 0, sent: 0, sentSeqs: [] };
  const now = deps.now();
  const lease = { workerId, now, leaseMs: deps.tuning.leaseMs };
  // Calls Apple did not accept yet (it asked to wait, or their sender stopped): again, first.
  // As many calls as `claimLimit` operations fill (a call carries up to Apple's documented
  // maximum of subjects): the round sends them well within its lease.
  const again = await claimCalls(deps.db, {
    ...lease,
    state: "sending",
    limit: Math.max(1, Math.ceil(deps.tuning.claimLimit / documentedLimits.maxSerialNumbers)),
  });
  const byAccount = new Map<string, { spaceId: string; accountId: string; calls: AppleCall[] }>();
  const entry = (spaceId: string, accountId: string) => {
    const key = `${spaceId}\u0000${accountId}`;
    let e = byAccount.get(key);
    if (!e) {
      e = { spaceId, accountId, calls: [] };
      byAccount.set(key, e);
    }
    return e;
  };
  for (const call of again) entry(call.spaceId, call.accountId).calls.push(call);
  for (const { spaceId, accountId } of await accountsWithDueOps(deps.db, now)) entry(spaceId, accountId);
  await allAccounts(
    [...byAccount.values()].map((e) =>
      dispatchAccount(deps, workerId, e.spaceId, e.accountId, e.calls, report),
    ),
  );
  return report;
}

async function dispatchAccount(
  deps: SyncDeps,
  workerId: string,
  spaceId: string,
  accountId: string,
  again: AppleCall[],
  report: DispatchReport,
): Promise<void> {
  const account = await findAccount(deps.db, spaceId, accountId);
  if (!account) return; // deleted meanwhile: its operations went with it
  let client: AppleClient;
  let limits: AppleLimits;
  try {
    client = await deps.apple.forAccount(account);
    limits = await client.limits();
  } catch (error) {
    await reportIfTokenIssue(deps, account, error);
    for (const call of again) await postpone(deps, call, String(error), deps.tuning.retryDelayMs);
    return;
  }
  const fit = await planAgain(deps, workerId, again, limits);
  const formed = await formAccountCalls(deps, workerId, account, limits);
  const calls = [...fit, ...formed];
  report.claimed += calls.reduce((n, c) => n + c.ops.length, 0);
  for (const call of calls) await sendCall(deps, workerId, account, client, call, report);
  await followUp(deps, {
    touched: calls.flatMap((c) =>
      c.ops.flatMap((r) => (r.adamId ? [{ spaceId, accountId, adamId: r.adamId }] : [])),
    ),
    freed: [],
    recount: [],
  });
}

/**
 * The account's calls not accepted yet, planned again to its limits before they are sent:
 * a call larger than the limits (grants write theirs to Apple's documented ones) is split
 * into one call per request, and associations of different apps for the same devices
 * (each app's grants write their own calls) share requests, up to 25 apps each, as
 * outbox operations planned together do. Calls are merged only while none of them is a
 * release: a merged call is sent at its first part's turn, which must not move an
 * association ahead of a release of its subject. The calls are replaced in one
 * transaction if this worker still holds them all, else taken one at a time.
 */
async function planAgain(
  deps: SyncDeps,
  workerId: string,
  again: AppleCall[],
  limits: AppleLimits,
): Promise<AppleCall[]> {
  const replace = (calls: AppleCall[], parts: ReturnType<typeof planCalls>) =>
    replaceCalls(deps.db, calls, { calls: parts, workerId, now: deps.now(), leaseMs: deps.tuning.leaseMs });
  // Each call's own plan, once: one part when it fits the limits.
  const own = again.map((call) => ({ call, parts: planCalls(call.ops, limits) }));
  if (again.length > 1 && again.every((c) => c.kind === "associate")) {
    const parts = planCalls(
      again.flatMap((c) => c.ops),
      limits,
    );
    if (parts.length === again.length && own.every((o) => o.parts.length <= 1)) return again;
    const merged = await replace(again, parts);
    if (merged) return merged;
  }
  // One at a time: a call another worker took over meanwhile is left to it.
  const fit: AppleCall[] = [];
  for (const { call, parts } of own) {
    if (parts.length <= 1) fit.push(call);
    else fit.push(...((await replace([call], parts)) ?? []));
  }
  return fit;
}

/**
 * The account's pending operations become calls, in one transaction. Set aside first:
 * releases whose association is still open wait for it, and associations whose subject
 * has an older release still open wait for that, so Apple never sees two operations on
 * one subject in the wrong order, and a user's associations wait for the user's
 * registration at this account still on its way (UB2: after a 9609, the user is registered
 * again first, unknown-users.repo.ts); operations with no Apple subject cannot be sent
 * (settled after). An association overtaken by a release never gets here: the release
 * closed it (`closeUnsentAssociations`).
 */
async function formAccountCalls(
  deps: SyncDeps,
  workerId: string,
  account: Account,
  limits: AppleLimits,
): Promise<AppleCall[]> {
  const { spaceId } = account;
  const now = deps.now();
  const noSubject: OutboxRecord[] = [];
  const calls = await withTransaction(deps.db, async (trx) => {
    const rows = await lockPendingOps(trx, {
      spaceId,
      accountId: account.id,
      now,
      limit: deps.tuning.claimLimit,
    });
    if (rows.length === 0) return [];
    const releaseIds = rows.flatMap((r) => (r.kind === "disassociate" && r.licenseId ? [r.licenseId] : []));
    const waiting = await licensesWithOpenAssociation(trx, spaceId, releaseIds);
    const deferred = rows.filter((r) => r.kind === "disassociate" && r.licenseId && waiting.has(r.licenseId));
    await finishOutbox(trx, {
      spaceId,
      seqs: deferred.map((r) => r.seq),
      state: "pending",
      error: "waiting for the association to finish",
      notBefore: new Date(now.getTime() + deps.tuning.retryDelayMs),
      now,
    });
    // A new association of a subject waits for an older release of it (same app, or a revoke).
    const associations = rows.filter((r) => r.kind === "associate");
    const releases = await openReleasesOf(trx, spaceId, {
      serialNumbers: associations.flatMap((r) => (r.serialNumber !== undefined ? [r.serialNumber] : [])),
      clientUserIds: associations.flatMap((r) => (r.clientUserId !== undefined ? [r.clientUserId] : [])),
    });
    const held = associations.filter((a) =>
      releases.some(
        (r) =>
          r.seq < a.seq && subjectKey(r) === subjectKey(a) && (r.kind === "revoke" || r.adamId === a.adamId),
      ),
    );
    await finishOutbox(trx, {
      spaceId,
      seqs: held.map((r) => r.seq),
      state: "pending",
      error: "waiting for Apple to release the subject's previous license",
      notBefore: new Date(now.getTime() + deps.tuning.retryDelayMs),
      now,
    });
    // UB2: a user being registered at this account gets its associations once Apple has them.
    const userAssociations = associations.filter(
      (a) => a.serialNumber === undefined && a.clientUserId !== undefined,
    );
    const registering = await registeringAtApple(
      trx,
      spaceId,
      userAssociations.map((a) => a.clientUserId ?? ""),
    );
    const unregistered = userAssociations.filter((a) =>
      registering.has(registrationKey(account.id, a.clientUserId ?? "")),
    );
    await finishOutbox(trx, {
      spaceId,
      seqs: unregistered.map((r) => r.seq),
      state: "pending",
      error: "waiting for Apple to register the user",
      notBefore: new Date(now.getTime() + deps.tuning.retryDelayMs),
      now,
    });
    const skip = new Set([...deferred, ...held, ...unregistered].map((r) => r.seq));
    const ready: OutboxRecord[] = [];
    for (const r of rows) {
      if (skip.has(r.seq)) continue;
      if (r.serialNumber === undefined && r.clientUserId === undefined) noSubject.push(r);
      else ready.push(r);
    }
    return formCalls(trx, {
      spaceId,
      accountId: account.id,
      calls: planCalls(ready, limits),
      workerId,
      now,
      leaseMs: deps.tuning.leaseMs,
    });
  });
  if (noSubject.length > 0) {
    const effects = await applyOutcomes(deps, noSubject, (r) =>
      r.kind === "disassociate" || r.kind === "revoke"
        ? { ok: true }
        : { ok: false, errorNumber: 0, message: "no serial number or Apple clientUserId to send" },
    );
    await followUp(deps, effects);
  }
  return calls;
}

async function sendCall(
  deps: SyncDeps,
  workerId: string,
  account: Account,
  client: AppleClient,
  call: AppleCall,
  report: DispatchReport,
): Promise<void> {
  // Before each attempt: still this worker's call, and its account still healthy (AC5, NT2).
  const beforeAttempt = async () => {
    const held = await holdCall(deps.db, {
      spaceId: call.spaceId,
      id: call.id,
      workerId,
      now: deps.now(),
      leaseMs: deps.tuning.leaseMs,
    });
    if (!held) throw new LetGo();
  };
  try {
    const { eventId } = await send(deps, client, call, { beforeAttempt });
    const now = deps.now();
    await recordCallSent(deps.db, {
      spaceId: call.spaceId,
      id: call.id,
      workerId,
      eventId,
      now,
      nextLookAt: new Date(now.getTime() + deps.tuning.firstPollMs),
      // This worker follows the event itself: it keeps the lease.
      leaseUntil: new Date(now.getTime() + deps.tuning.leaseMs),
    });
    report.calls += 1;
    report.sent += call.ops.length;
    report.sentSeqs.push(...call.ops.map((r) => r.seq));
  } catch (error) {
    if (error instanceof LetGo) return; // left unsent, to its account's deletion or to the worker that has it
    await refused(deps, account, call, error);
  }
}

class LetGo extends Error {}

function send(
  deps: SyncDeps,
  client: AppleClient,
  call: AppleCall,
  options: SendOptions,
): Promise<{ eventId: string }> {
  const serialNumbers = unique(
    call.ops.flatMap((r) => (r.serialNumber !== undefined ? [r.serialNumber] : [])),
  );
  const clientUserIds = unique(
    call.ops.flatMap((r) =>
      r.serialNumber === undefined && r.clientUserId !== undefined ? [r.clientUserId] : [],
    ),
  );
  // Empty subject lists are left out of the body, as in Apple's examples.
  const subjects = {
    ...(serialNumbers.length > 0 ? { serialNumbers } : {}),
    ...(clientUserIds.length > 0 ? { clientUserIds } : {}),
  };
  switch (call.kind) {
    case "associate":
      return client.associate({ assets: call.assets, ...subjects }, options);
    case "disassociate":
      return client.disassociate({ assets: call.assets, ...subjects }, options);
    case "revoke":
      return client.revoke(subjects, options);
    case "retire_user":
      return client.retireUsers(
        clientUserIds.map((clientUserId) => ({ clientUserId })),
        options,
      );
    case "create_user":
    case "update_user":
      return appleUserEntries(deps.db, call.spaceId, clientUserIds).then((entries) => {
        const users = clientUserIds.map((id) => entries.get(id) ?? { clientUserId: id });
        return call.kind === "create_user"
          ? client.createUsers(users, options)
          : client.updateUsers(users, options);
      });
  }
}

/** Apple did not accept the call: wait and send it again, pause the account, or fail its operations for good. */
async function refused(deps: SyncDeps, account: Account, call: AppleCall, error: unknown): Promise<void> {
  if (await reportIfTokenIssue(deps, account, error)) {
    await postpone(deps, call, String(error), deps.tuning.retryDelayMs);
    return;
  }
  if (error instanceof AppleApiError && !error.retryable && error.errorNumber !== undefined) {
    // The request itself is wrong for Apple (e.g. 9707 not device-assignable): retrying cannot help.
    const effects = await applyOutcomes(
      deps,
      call.ops,
      () => ({ ok: false, errorNumber: error.errorNumber ?? 0, message: error.errorMessage }),
      call,
    );
    await followUp(deps, effects);
    return;
  }
  // Throttled, unavailable, or no answer (a POST that may have reached Apple: resending is idempotent).
  const waitMs =
    error instanceof AppleApiError && error.retryAfterMs !== undefined
      ? error.retryAfterMs
      : deps.tuning.retryDelayMs;
  deps.logger.warn(
    { accountId: account.id, operations: call.ops.length, waitMs, err: String(error) },
    "Apple call not accepted; will retry",
  );
  await postpone(deps, call, String(error), waitMs);
}

async function postpone(deps: SyncDeps, call: AppleCall, error: string, waitMs: number): Promise<void> {
  const now = deps.now();
  await postponeCall(deps.db, {
    spaceId: call.spaceId,
    id: call.id,
    state: "sending",
    notBefore: new Date(now.getTime() + waitMs),
    error,
    now,
  });
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}
