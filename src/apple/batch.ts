/**
 * Splitting work to the per-request limits of /service/config, so that N subjects cost
 * ceil(N / limit) calls rather than N.
 * https://developer.apple.com/documentation/devicemanagement/service-config (limits)
 * https://developer.apple.com/documentation/devicemanagement/associate-assets
 */
import type { AssetRef, ManageUserEntry } from "./wire.js";

/** Splits `items` into consecutive chunks of at most `size` (size >= 1). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** Removes duplicates, keeping first occurrences in order (Apple refuses duplicates: 9703-9705, 9715). */
export function unique<T>(items: readonly T[], key: (item: T) => string = String): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

export const assetKey = (a: AssetRef): string => `${a.adamId}\u0000${a.pricingParam ?? ""}`;

export interface ManageAssetsBatch {
  assets: AssetRef[];
  clientUserIds: string[];
  serialNumbers: string[];
}

/**
 * Plans associate/disassociate calls. Apple applies every asset of a request to every user
 * and serial in it, and allows users and serials in one request (associate-assets example),
 * so user chunk i and serial chunk i share a call: calls =
 * ceil(assets / maxAssets) x max(ceil(users / maxClientUserIds), ceil(serials / maxSerialNumbers)).
 */
export function planManageAssets(
  input: {
    assets: readonly AssetRef[];
    clientUserIds?: readonly string[];
    serialNumbers?: readonly string[];
  },
  limits: { maxAssets: number; maxClientUserIds: number; maxSerialNumbers: number },
): ManageAssetsBatch[] {
  const assets = chunk(unique(input.assets, assetKey), limits.maxAssets);
  const subjects = pairChunks(
    chunk(unique(input.clientUserIds ?? []), limits.maxClientUserIds),
    chunk(unique(input.serialNumbers ?? []), limits.maxSerialNumbers),
  );
  const out: ManageAssetsBatch[] = [];
  for (const a of assets) {
    for (const s of subjects) out.push({ assets: a, clientUserIds: s.first, serialNumbers: s.second });
  }
  return out;
}

export interface RevokeBatch {
  clientUserIds: string[];
  serialNumbers: string[];
}

/** Plans revoke calls: ceil(max(users / maxRevokeClientUserIds, serials / maxRevokeSerialNumbers)). */
export function planRevoke(
  input: { clientUserIds?: readonly string[]; serialNumbers?: readonly string[] },
  limits: { maxRevokeClientUserIds: number; maxRevokeSerialNumbers: number },
): RevokeBatch[] {
  return pairChunks(
    chunk(unique(input.clientUserIds ?? []), limits.maxRevokeClientUserIds),
    chunk(unique(input.serialNumbers ?? []), limits.maxRevokeSerialNumbers),
  ).map((s) => ({ clientUserIds: s.first, serialNumbers: s.second }));
}

/** Plans users/create|update|retire calls: ceil(users / maxUsers), one entry per clientUserId. */
export function planUsers(
  users: readonly ManageUserEntry[],
  limits: { maxUsers: number },
): ManageUserEntry[][] {
  return chunk(
    unique(users, (u) => u.clientUserId),
    limits.maxUsers,
  );
}

function pairChunks(a: string[][], b: string[][]): Array<{ first: string[]; second: string[] }> {
  const out: Array<{ first: string[]; second: string[] }> = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) out.push({ first: a[i] ?? [], second: b[i] ?? [] });
  return out;
}
