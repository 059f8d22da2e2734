/**
 * What follows a result from Apple: recount where Apple had fewer licenses, refused
 * releases Apple no longer holds, NT1, the waiting queue, the refusals' notification.
 */
import { getAccount } from "../store/index.js";
import type { SyncDeps } from "./deps.js";
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
