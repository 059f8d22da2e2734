/**
 * What follows a result from Apple: recount where Apple had fewer licenses, refused
 * releases Apple no longer holds, NT1, the waiting queue, the refusals' notification.
 */

import type { LicenseRequest } from "../licensing/index.js";
import { getAccount } from "../store/index.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";
import { reportIfTokenIssue } from "./health.js";
import type { Effects } from "./outcomes.js";
import { serveQueue } from "./queue.js";
import { reviewRefusalNotifications, settleRefusedReleases } from "./refusals.js";
import { syncAssets } from "./sync-assets.js";
import { recountAsset } from "./sync-assignments.js";
import { evaluateUsageOf } from "./usage.js";

export async function followUp(deps: SyncDeps, effects: Effects): Promise<void> {
  const recounted = new Set<string>();
  for (const { spaceId, accountId, adamId } of effects.recount) {
    const key = `${accountId}/${adamId}`;
    if (recounted.has(key)) continue;
    recounted.add(key);
    const account = await getAccount(deps.db, spaceId, accountId);
    try {
      const client = await deps.apple.forAccount(account);
      await syncAssets(deps, account, client, { full: false });
      await recountAsset(deps, account, client, adamId);
    } catch (error) {
      if (!(await reportIfTokenIssue(deps, account, error))) {
        deps.logger.warn(
          { accountId, adamId, err: String(error) },
          "recount after 9709 failed; the next sync will do it",
        );
      }
    }
  }
  // Releases Apple refused for good: the ones it no longer holds are released here.
  const goneAtApple = effects.refusedReleases?.length
    ? await settleRefusedReleases(deps, effects.refusedReleases)
    : [];
  await evaluateUsageOf(deps, [...effects.touched, ...goneAtApple]);
  // MA2: a request Apple refused from one account is decided again at once, in its place:
  // another eligible account may serve it; when none can, it keeps waiting for an administrator.
  for (const { spaceId, adamId, requests } of byApp(effects.reconsider ?? []))
    await deps.allocate({ spaceId, adamId, requests, actor: SYSTEM, served: true });
  const served = new Set<string>();
  for (const { spaceId, adamId } of [...effects.freed, ...goneAtApple]) {
    const key = `${spaceId}/${adamId}`;
    if (served.has(key)) continue;
    served.add(key);
    await serveQueue(deps, spaceId, adamId);
  }
  // Refusals waiting for an administrator: their (account, app) notification, raised once.
  for (const spaceId of new Set((effects.refused ?? []).map((r) => r.spaceId)))
    await reviewRefusalNotifications(deps, { spaceId });
}

function byApp(
  requests: readonly LicenseRequest[],
): Array<{ spaceId: string; adamId: string; requests: LicenseRequest[] }> {
  const apps = new Map<string, { spaceId: string; adamId: string; requests: LicenseRequest[] }>();
  for (const r of requests) {
    const key = `${r.spaceId}\u0000${r.adamId}`;
    const app = apps.get(key) ?? { spaceId: r.spaceId, adamId: r.adamId, requests: [] };
    app.requests.push(r);
    apps.set(key, app);
  }
  return [...apps.values()];
}
