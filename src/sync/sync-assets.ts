/**
 * Assets of an account from Apple (GET /assets, always the full list: whether it takes
 * sinceVersionId is UNVERIFIED, and an account has few assets). Counts are set under the
 * asset's row lock; a new asset of an account with "automatically distribute" on gets
 * the All Users FCFS rule (AC1, through upsertAsset).
 */
import type { Asset as AppleAsset, AppleClient } from "../apple/index.js";
import type { Platform } from "../licensing/index.js";
import { type Account, findAsset, upsertAsset, withTransaction } from "../store/index.js";
import { setAssetCounts, zeroMissingAssets } from "../store/sync-licenses.repo.js";
import type { SyncDeps } from "./deps.js";

const PLATFORMS: readonly Platform[] = ["iOS", "macOS", "tvOS", "visionOS", "watchOS"];

export interface AssetsSummary {
  assets: number;
  added: string[];
  totalChanged: Array<{ adamId: string; from: number; to: number }>;
  gone: string[];
}

export async function syncAssets(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  options: { full: boolean },
): Promise<AssetsSummary> {
  const apple: AppleAsset[] = [];
  for await (const page of client.assets()) apple.push(...page.items);
  const summary: AssetsSummary = { assets: apple.length, added: [], totalChanged: [], gone: [] };
  for (const a of apple) {
    const now = deps.now();
    await withTransaction(deps.db, async (trx) => {
      const before = await findAsset(trx, account.spaceId, account.id, a.adamId);
      const isBook = a.productType === "Book";
      await upsertAsset(
        trx,
        {
          spaceId: account.spaceId,
          accountId: account.id,
          adamId: a.adamId,
          pricingParam: a.pricingParam === "PLUS" ? "PLUS" : "STDQ",
          productType: isBook ? "Book" : "App",
          total: a.totalCount,
          appleAssignedCount: a.assignedCount,
          appleAvailableCount: a.availableCount,
          appleRetiredCount: a.retiredCount ?? 0,
          deviceAssignable: a.deviceAssignable ?? !isBook,
          revocable: a.revocable ?? !isBook,
          platforms: (a.supportedPlatforms ?? []).filter((p): p is Platform =>
            PLATFORMS.includes(p as Platform),
          ),
        },
        now,
      );
      await setAssetCounts(trx, {
        spaceId: account.spaceId,
        accountId: account.id,
        adamId: a.adamId,
        appleAssigned: a.assignedCount,
        now,
      });
      if (!before) summary.added.push(a.adamId);
      else if (before.total !== a.totalCount)
        summary.totalChanged.push({ adamId: a.adamId, from: before.total, to: a.totalCount });
    });
  }
  if (options.full) {
    summary.gone = await zeroMissingAssets(deps.db, {
      spaceId: account.spaceId,
      accountId: account.id,
      present: apple.map((a) => a.adamId),
      now: deps.now(),
    });
  }
  return summary;
}
