/**
 * Assets of an account from Apple (GET /assets, always the full list: whether it takes
 * sinceVersionId is UNVERIFIED). Each page is applied in one transaction, its rows locked
 * as allocation locks them (applyAppleAssets); a new asset of an account with
 * "automatically distribute" on gets the All Users FCFS rule (AC1).
 */
import { type Asset as AppleAsset, type AppleClient, platformsFromApple } from "../apple/index.js";
import type { Account } from "../store/index.js";
import { type AppleAssetRow, applyAppleAssets } from "../store/sync-assets.repo.js";
import { zeroMissingAssets } from "../store/sync-licenses.repo.js";
import type { SyncDeps } from "./deps.js";

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
  const summary: AssetsSummary = { assets: 0, added: [], totalChanged: [], gone: [] };
  const present: string[] = [];
  for await (const page of client.assets()) {
    summary.assets += page.items.length;
    present.push(...page.items.map((a) => a.adamId));
    const applied = await applyAppleAssets(deps.db, {
      spaceId: account.spaceId,
      accountId: account.id,
      assets: page.items.map(fromApple),
      now: deps.now(),
    });
    summary.added.push(...applied.added);
    summary.totalChanged.push(...applied.totalChanged);
  }
  if (options.full) {
    summary.gone = await zeroMissingAssets(deps.db, {
      spaceId: account.spaceId,
      accountId: account.id,
      present,
      now: deps.now(),
    });
  }
  return summary;
}

function fromApple(a: AppleAsset): AppleAssetRow {
  const isBook = a.productType === "Book";
  return {
    adamId: a.adamId,
    pricingParam: a.pricingParam === "PLUS" ? "PLUS" : "STDQ",
    productType: isBook ? "Book" : "App",
    total: a.totalCount,
    appleAssigned: a.assignedCount,
    appleAvailable: a.availableCount,
    appleRetired: a.retiredCount ?? 0,
    deviceAssignable: a.deviceAssignable ?? !isBook,
    revocable: a.revocable ?? !isBook,
    platforms: platformsFromApple(a.supportedPlatforms),
  };
}
