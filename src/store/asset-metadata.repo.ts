/**
 * The store's metadata on an account's asset rows (migration 0007): what the sync's
 * lookup found (name, price, genre, bundle id, artwork, latest version) or that the app
 * is not public (custom, B2B). Apple's asset list never carries these, so the asset
 * sync leaves them alone (upsertAsset keeps name and price).
 */
import type { Db } from "./database.js";

export interface AssetMetadataTarget {
  adamId: string;
  productType: "App" | "Book";
  latestVersion: string | undefined;
}

/**
 * The account's assets to look up: all of them, or (`staleBefore`) those never looked up
 * or looked up before that time.
 */
export async function listAssetsForMetadata(
  db: Db,
  input: { spaceId: string; accountId: string; staleBefore?: Date },
): Promise<AssetMetadataTarget[]> {
  let query = db
    .selectFrom("assets")
    .select(["adam_id", "product_type", "latest_version"])
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId);
  const { staleBefore } = input;
  if (staleBefore) {
    query = query.where((eb) => eb.or([eb("metadata_at", "is", null), eb("metadata_at", "<", staleBefore)]));
  }
  const rows = await query.orderBy("adam_id").execute();
  return rows.map((r) => ({
    adamId: r.adam_id,
    productType: r.product_type,
    latestVersion: r.latest_version ?? undefined,
  }));
}

export type AssetMetadata =
  | {
      custom: false;
      name: string | undefined;
      price: number | undefined;
      /** The price's currency (ISO 4217). */
      currency?: string | undefined;
      genre: string | undefined;
      bundleId: string | undefined;
      artworkUrl: string | undefined;
      latestVersion: string | undefined;
    }
  | { custom: true };

/**
 * Stores one lookup's answer on the account's asset row. A field the lookup did not give
 * keeps its value; a custom app keeps what it had and is only marked custom.
 */
export async function setAssetMetadata(
  db: Db,
  input: { spaceId: string; accountId: string; adamId: string; metadata: AssetMetadata; now: Date },
): Promise<void> {
  const m = input.metadata;
  const set = m.custom
    ? { custom: true, metadata_at: input.now }
    : {
        custom: false,
        metadata_at: input.now,
        ...(m.name !== undefined ? { name: m.name } : {}),
        ...(m.price !== undefined ? { price: m.price } : {}),
        ...(m.currency !== undefined ? { currency: m.currency } : {}),
        ...(m.genre !== undefined ? { genre: m.genre } : {}),
        ...(m.bundleId !== undefined ? { bundle_id: m.bundleId } : {}),
        ...(m.artworkUrl !== undefined ? { artwork_url: m.artworkUrl } : {}),
        ...(m.latestVersion !== undefined ? { latest_version: m.latestVersion } : {}),
      };
  await db
    .updateTable("assets")
    .set(set)
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where("adam_id", "=", input.adamId)
    .execute();
}

/** DB4: the newest version recorded for the app (by the MDM API or an earlier lookup). */
export async function knownAppVersion(db: Db, adamId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("app_versions")
    .select("version")
    .where("adam_id", "=", adamId)
    .executeTakeFirst();
  return row?.version;
}
