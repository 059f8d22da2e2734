/**
 * The store's metadata of an account's assets (names and prices for VU4, genre and the
 * custom flag for DB5, the latest version for DB4): looked up after the assets are
 * synced, every asset on a full sync, new or day-old ones on an incremental one. A newer
 * version than the one known is handed to `onNewVersion` (DB4 updates, bound in main).
 * A failed lookup never fails the sync: the metadata is only late.
 */
import { type AppleClient, lookupApps } from "../apple/index.js";
import { knownAppVersion, listAssetsForMetadata, setAssetMetadata } from "../store/asset-metadata.repo.js";
import { type Account, getAccount } from "../store/index.js";
import type { SyncDeps } from "./deps.js";

const DAY_MS = 24 * 3600 * 1000;

export interface MetadataSummary {
  lookedUp: number;
  found: number;
  custom: number;
  newVersions: Array<{ adamId: string; version: string }>;
  /** Why the lookup was skipped or failed. */
  problem?: string;
}

export async function syncMetadata(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  options: { full: boolean },
): Promise<MetadataSummary> {
  const summary: MetadataSummary = { lookedUp: 0, found: 0, custom: 0, newVersions: [] };
  try {
    const baseUrl = deps.metadataUrl ?? (await client.serviceUrls())?.contentMetadataLookup;
    if (!baseUrl) return { ...summary, problem: "no metadata lookup URL" };
    const now = deps.now();
    const targets = await listAssetsForMetadata(deps.db, {
      spaceId: account.spaceId,
      accountId: account.id,
      ...(options.full ? {} : { staleBefore: new Date(now.getTime() - DAY_MS) }),
    });
    if (targets.length === 0) return summary;
    const results = await lookupApps({
      baseUrl,
      adamIds: targets.map((t) => t.adamId),
      // The location's store (kept by the token's health check, which reads Apple's client
      // config on every sync); unknown, the US store, as Apple's lookup defaults to.
      country: (await getAccount(deps.db, account.spaceId, account.id)).countryCode ?? "us",
      sleep: deps.sleep,
      now: deps.now,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.tuning.appleRetry ? { retry: deps.tuning.appleRetry } : {}),
      ...(deps.tuning.appleTimeoutMs ? { timeoutMs: deps.tuning.appleTimeoutMs } : {}),
    });
    summary.lookedUp = targets.length;
    const byId = new Map(results.map((r) => [r.adamId, r]));
    for (const target of targets) {
      const r = byId.get(target.adamId);
      if (!r) continue;
      const key = { spaceId: account.spaceId, accountId: account.id, adamId: target.adamId, now };
      if (r.custom) {
        // Only an app can be custom (B2B); a book the lookup misses is just unknown.
        summary.custom++;
        if (target.productType === "App")
          await setAssetMetadata(deps.db, { ...key, metadata: { custom: true } });
        continue;
      }
      summary.found++;
      await setAssetMetadata(deps.db, {
        ...key,
        metadata: {
          custom: false,
          name: r.name,
          price: r.price,
          currency: r.currency,
          genre: r.genre,
          bundleId: r.bundleId,
          artworkUrl: r.artworkUrl,
          latestVersion: r.version,
        },
      });
      if (r.version !== undefined && (await isNewer(deps, target.adamId, r.version, target.latestVersion))) {
        summary.newVersions.push({ adamId: target.adamId, version: r.version });
      }
    }
    for (const v of summary.newVersions) await deps.onNewVersion?.(v);
  } catch (error) {
    deps.logger.warn({ accountId: account.id, err: String(error) }, "app metadata lookup failed");
    summary.problem = error instanceof Error ? error.message : String(error);
  }
  return summary;
}

/** Newer than both the asset's last lookup and the version recorded for DB4 (never a downgrade). */
async function isNewer(
  deps: SyncDeps,
  adamId: string,
  version: string,
  onAsset: string | undefined,
): Promise<boolean> {
  if (onAsset !== undefined && compareVersions(version, onAsset) <= 0) return false;
  const recorded = await knownAppVersion(deps.db, adamId);
  return recorded === undefined || compareVersions(version, recorded) > 0;
}

/** Dotted versions compared part by part, numerically where both parts are numbers ("1.10" > "1.9"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+]/);
  const pb = b.split(/[.\-+]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? "0";
    const y = pb[i] ?? "0";
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    const diff = Number.isNaN(nx) || Number.isNaN(ny) ? x.localeCompare(y) : nx - ny;
    if (diff !== 0) return Math.sign(diff);
  }
  return 0;
}
