/**
 * NT1: license usage per (account, app), evaluated on every count change: each level
 * (50/70/80/90/100 %) raised once when usage reaches it, all cleared below 50 %.
 */
import { usageAlerts } from "../licensing/index.js";
import { findAccount, findAsset, notificationMessage, USAGE_KIND } from "../store/index.js";
import { openThresholds } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { clear, raise } from "./notify.js";

export { USAGE_KIND };

export async function evaluateUsage(
  deps: SyncDeps,
  key: { spaceId: string; accountId: string; adamId: string },
): Promise<void> {
  const asset = await findAsset(deps.db, key.spaceId, key.accountId, key.adamId);
  if (!asset) return;
  const open = await openThresholds(deps.db, { ...key, kind: USAGE_KIND });
  const alerts = usageAlerts({ assigned: asset.used, total: asset.total, raised: open });
  if (alerts.clear)
    await clear(deps, {
      spaceId: key.spaceId,
      kind: USAGE_KIND,
      accountId: key.accountId,
      adamId: key.adamId,
    });
  const account =
    alerts.raise.length > 0 ? await findAccount(deps.db, key.spaceId, key.accountId) : undefined;
  const percent = asset.total === 0 ? 100 : Math.round((asset.used / asset.total) * 100);
  for (const level of alerts.raise) {
    await raise(deps, {
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
      now: deps.now(),
    });
  }
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
