/**
 * NT1: license usage per (account, app), evaluated on every count change: each level
 * (50/70/80/90/100 %) raised once when usage reaches it, all cleared below 50 %.
 * Evaluations of one (account, app) take turns: two workers, or a retry racing the
 * original, never judge on a count the other has just made stale.
 */
import { usageAlerts } from "../licensing/index.js";
import {
  clearNotifications,
  type Db,
  findAccount,
  findAsset,
  type Notification,
  notificationMessage,
  USAGE_KIND,
  withTransaction,
} from "../store/index.js";
import { lockUsageNotifications, raiseNotification } from "../store/notification.repo.js";
import { openThresholds } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { channelNames, sendNow } from "./notify.js";

export { USAGE_KIND };

export async function evaluateUsage(
  deps: SyncDeps,
  key: { spaceId: string; accountId: string; adamId: string },
): Promise<void> {
  // Read and acted on under the (account, app)'s lock; sent once committed.
  const raised = await withTransaction(deps.db, async (trx) => {
    await lockUsageNotifications(trx, key);
    return evaluateLocked(deps, trx, key);
  });
  for (const notification of raised) await sendNow(deps, notification);
}

async function evaluateLocked(
  deps: SyncDeps,
  trx: Db,
  key: { spaceId: string; accountId: string; adamId: string },
): Promise<Notification[]> {
  const asset = await findAsset(trx, key.spaceId, key.accountId, key.adamId);
  if (!asset) return [];
  const open = await openThresholds(trx, { ...key, kind: USAGE_KIND });
  const alerts = usageAlerts({ assigned: asset.used, total: asset.total, raised: open });
  const now = deps.now();
  if (alerts.clear)
    await clearNotifications(trx, {
      spaceId: key.spaceId,
      kind: USAGE_KIND,
      accountId: key.accountId,
      adamId: key.adamId,
      now,
    });
  const account = alerts.raise.length > 0 ? await findAccount(trx, key.spaceId, key.accountId) : undefined;
  const percent = asset.total === 0 ? 100 : Math.round((asset.used / asset.total) * 100);
  const raised: Notification[] = [];
  for (const level of alerts.raise) {
    const notification = await raiseNotification(
      trx,
      {
        spaceId: key.spaceId,
        kind: USAGE_KIND,
        severity: level.severity,
        component: "Apps and Books",
        // NT1 is per (account, app): the title names both.
        message: notificationMessage("usage.reached", {
          app: asset.name ?? key.adamId,
          account: account?.displayName ?? key.accountId,
          percent: level.percent,
        }),
        details: { used: asset.used, total: asset.total, percent, threshold: level.percent },
        accountId: key.accountId,
        adamId: key.adamId,
        threshold: level.percent,
        now,
      },
      channelNames(deps),
    );
    if (notification) raised.push(notification);
  }
  return raised;
}

/** Evaluates each distinct (account, app) once. */
export async function evaluateUsageOf(
  deps: SyncDeps,
  keys: Iterable<{ spaceId: string; accountId: string; adamId: string }>,
): Promise<void> {
  const seen = new Set<string>();
  for (const key of keys) {
    const id = `${key.spaceId}/${key.accountId}/${key.adamId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    await evaluateUsage(deps, key);
  }
}
