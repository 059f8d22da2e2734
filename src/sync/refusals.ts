/**
 * What follows Apple's refusals for good (outcomes.ts): a refused release Apple no longer
 * holds is released here, and each (account, app) with refusals still waiting for an
 * administrator has one notification, raised once and cleared when nothing is left.
 *
 * A release refused for good leaves its license `pending_release` (a seat held). Apple's
 * error numbers do not say whether the assignment is still there: 9609 (no such user)
 * does, and is settled as a release already (outcomes.ts); for the others (9706 not
 * revocable, a refusal of the subject, a malformed request) Orchard asks Apple's
 * assignments of that subject and app, once: none there, the license is released as if
 * Apple had confirmed (AC3 would find the same at the next full sync). Still there, it
 * waits for an administrator: send it again, or abandon it.
 */
import type { AppleClient } from "../apple/index.js";
import {
  clearResolvedRefusals,
  REFUSALS_KIND,
  refusalKey,
  releaseRefusedGoneAtApple,
} from "../store/apple-refusals.repo.js";
import { findAccount, notificationMessage, type OutboxRecord } from "../store/index.js";
import type { SyncDeps } from "./deps.js";
import { APPLE } from "./deps.js";
import { reportIfTokenIssue } from "./health.js";
import { raise } from "./notify.js";

export { REFUSALS_KIND };

/** At most this many of Apple's assignments are looked up after one result; the full sync settles the rest. */
const LOOKUPS = 50;

/**
 * Refused releases whose assignment Apple no longer holds are released here (seats back,
 * their queues served by the caller). Returns the apps that got seats back.
 */
export async function settleRefusedReleases(
  deps: SyncDeps,
  rows: readonly OutboxRecord[],
): Promise<Array<{ spaceId: string; accountId: string; adamId: string }>> {
  const byAccount = new Map<string, OutboxRecord[]>();
  for (const row of rows.slice(0, LOOKUPS)) {
    if (!row.licenseId || !row.adamId) continue;
    if (row.serialNumber === undefined && row.clientUserId === undefined) continue;
    const key = `${row.spaceId}\u0000${row.accountId}`;
    byAccount.set(key, [...(byAccount.get(key) ?? []), row]);
  }
  const freed: Array<{ spaceId: string; accountId: string; adamId: string }> = [];
  for (const ofAccount of byAccount.values()) {
    const first = ofAccount[0];
    if (!first) continue;
    const account = await findAccount(deps.db, first.spaceId, first.accountId);
    if (!account) continue;
    const gone: string[] = [];
    try {
      const client = await deps.apple.forAccount(account);
      for (const row of ofAccount) if (!(await stillHeld(client, row))) gone.push(row.licenseId ?? "");
    } catch (error) {
      if (!(await reportIfTokenIssue(deps, account, error)))
        deps.logger.warn(
          { accountId: account.id, err: String(error) },
          "could not ask Apple about refused releases; an administrator or the next full sync settles them",
        );
    }
    const released = await releaseRefusedGoneAtApple(deps.db, {
      spaceId: account.spaceId,
      licenseIds: gone,
      actor: APPLE,
      now: deps.now(),
    });
    for (const l of released) freed.push({ spaceId: l.spaceId, accountId: l.accountId, adamId: l.adamId });
  }
  return freed;
}

/** Whether Apple still lists the assignment the release was for (subject and app). */
async function stillHeld(client: AppleClient, row: OutboxRecord): Promise<boolean> {
  const subject =
    row.serialNumber !== undefined
      ? { serialNumber: row.serialNumber }
      : { clientUserId: row.clientUserId ?? "" };
  for await (const page of client.assignments({ adamId: row.adamId ?? "", ...subject })) {
    if (page.items.length > 0) return true;
  }
  return false;
}

/**
 * The refusals' notifications brought in line with what is left (each minute, and after
 * Apple refuses something): one raised for each (account, app) with requests or releases
 * Apple refused and no open notification; those whose (account, app) has none left are
 * cleared. Raised once: the open one stands until its refusals are resolved.
 */
export async function reviewRefusalNotifications(
  deps: SyncDeps,
  scope: { spaceId?: string } = {},
): Promise<void> {
  const now = deps.now();
  const { open, notified } = await clearResolvedRefusals(deps.db, { ...scope, now });
  for (const r of open) {
    if (notified.has(refusalKey(r))) continue;
    await raise(deps, {
      spaceId: r.spaceId,
      kind: REFUSALS_KIND,
      severity: "warning",
      component: "Apps and Books",
      message: notificationMessage("apple.refused", { app: r.appName ?? r.adamId, account: r.accountName }),
      details: { requests: r.requests, releases: r.releases },
      accountId: r.accountId,
      adamId: r.adamId,
      now,
    });
  }
}
