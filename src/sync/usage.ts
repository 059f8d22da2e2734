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
  type Notification,
  notificationMessage,
  USAGE_KIND,
  withTransaction,
} from "../store/index.js";
import {
  lockUsageNotifications,
  raiseNotification,
  type UsageKey,
  usageOfKeys,
} from "../store/notification.repo.js";
import type { SyncDeps } from "./deps.js";
import { deliveryChannels, sendNow } from "./notify.js";

export { USAGE_KIND };

/**
 * Keys judged per transaction: a sync evaluates every app of an account (thousands, in a
 * school's catalog), each once a round trip or two, not five.
 */
const KEYS_PER_TRANSACTION = 500;

export async function evaluateUsage(deps: SyncDeps, key: UsageKey): Promise<void> {
  await evaluateUsageOf(deps, [key]);
}

/** Evaluates each distinct (account, app) once; read and acted on under their locks, sent once committed. */
export async function evaluateUsageOf(deps: SyncDeps, keys: Iterable<UsageKey>): Promise<void> {
  const distinct = new Map<string, UsageKey>();
  for (const key of keys) distinct.set(`${key.spaceId}/${key.accountId}/${key.adamId}`, key);
  const all = [...distinct.values()];
  for (let i = 0; i < all.length; i += KEYS_PER_TRANSACTION) {
    const chunk = all.slice(i, i + KEYS_PER_TRANSACTION);
    const raised = await withTransaction(deps.db, async (trx) => {
      await lockUsageNotifications(trx, chunk);
      return evaluateLocked(deps, trx, chunk);
    });
    for (const notification of raised) await sendNow(deps, notification);
  }
}

async function evaluateLocked(deps: SyncDeps, trx: Db, keys: readonly UsageKey[]): Promise<Notification[]> {
  const now = deps.now();
  const raised: Notification[] = [];
  const accountNames = new Map<string, string>();
  for (const usage of await usageOfKeys(trx, keys)) {
    const alerts = usageAlerts({ assigned: usage.used, total: usage.total, raised: usage.open });
    const key = { spaceId: usage.spaceId, accountId: usage.accountId, adamId: usage.adamId };
    if (alerts.clear) await clearNotifications(trx, { ...key, kind: USAGE_KIND, now });
    if (alerts.raise.length === 0) continue;
    const accountKey = `${usage.spaceId}/${usage.accountId}`;
    if (!accountNames.has(accountKey)) {
      const account = await findAccount(trx, usage.spaceId, usage.accountId);
      accountNames.set(accountKey, account?.displayName ?? usage.accountId);
    }
    const percent = usage.total === 0 ? 100 : Math.round((usage.used / usage.total) * 100);
    for (const level of alerts.raise) {
      const notification = await raiseNotification(
        trx,
        {
          ...key,
          kind: USAGE_KIND,
          severity: level.severity,
          component: "Apps and Books",
          // NT1 is per (account, app): the title names both.
          message: notificationMessage("usage.reached", {
            app: usage.name ?? usage.adamId,
            account: accountNames.get(accountKey) ?? usage.accountId,
            percent: level.percent,
          }),
          details: { used: usage.used, total: usage.total, percent, threshold: level.percent },
          threshold: level.percent,
          now,
        },
        deliveryChannels(deps),
      );
      if (notification) raised.push(notification);
    }
  }
  return raised;
}
