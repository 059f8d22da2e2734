import type { Selectable } from "kysely";
import { ALL_USERS, type Asset, type Platform } from "../licensing/index.js";
import type { AssetTable, CatalogAppTable, UpdateMode } from "./account.table.js";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { ensureAllUsersGroup } from "./group.repo.js";
import { heldForReservations } from "./held-reservations.js";

export interface AssetRecord extends Asset {
  spaceId: string;
  accountId: string;
  name?: string;
  appleAssignedCount: number;
  appleAvailableCount: number;
  appleRetiredCount: number;
  revocable: boolean;
  price?: number;
  /** The price's currency (ISO 4217), from the store's lookup. */
  currency?: string;
}

export interface AssetInput {
  spaceId: string;
  accountId: string;
  adamId: string;
  pricingParam: "STDQ" | "PLUS";
  productType: "App" | "Book";
  name?: string;
  total: number;
  appleAssignedCount?: number;
  appleAvailableCount?: number;
  appleRetiredCount?: number;
  deviceAssignable: boolean;
  revocable?: boolean;
  platforms: readonly Platform[];
  price?: number;
  /** Seats taken outside Orchard; only at creation (sync keeps it true afterwards). */
  used?: number;
}

/**
 * Creates or updates an account's asset. A new asset of an account with "automatically
 * distribute" on gets FCFS for All Users (AC1).
 */
export async function upsertAsset(db: Db, input: AssetInput, now: Date): Promise<AssetRecord> {
  return withTransaction(db, async (trx) => {
    const account = await trx
      .selectFrom("accounts")
      .select(["auto_distribute"])
      .where("space_id", "=", input.spaceId)
      .where("id", "=", input.accountId)
      .executeTakeFirst();
    if (!account) throw new NotFoundError("account", input.accountId);
    const values = {
      pricing_param: input.pricingParam,
      product_type: input.productType,
      name: input.name ?? null,
      total_count: input.total,
      apple_assigned_count: input.appleAssignedCount ?? 0,
      apple_available_count: input.appleAvailableCount ?? input.total,
      apple_retired_count: input.appleRetiredCount ?? 0,
      device_assignable: input.deviceAssignable,
      revocable: input.revocable ?? true,
      platforms: [...input.platforms],
      price: input.price ?? null,
      updated_at: now,
    };
    const existing = await findAsset(trx, input.spaceId, input.accountId, input.adamId);
    if (existing) {
      // Apple's asset list carries no name or price: keep what metadata lookups stored.
      const row = await trx
        .updateTable("assets")
        .set({
          ...values,
          name: input.name ?? existing.name ?? null,
          price: input.price ?? existing.price ?? null,
        })
        .where("space_id", "=", input.spaceId)
        .where("account_id", "=", input.accountId)
        .where("adam_id", "=", input.adamId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAsset(row);
    }
    const row = await trx
      .insertInto("assets")
      .values({
        space_id: input.spaceId,
        account_id: input.accountId,
        adam_id: input.adamId,
        used: input.used ?? 0,
        ...values,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    if (account.auto_distribute) {
      // AC1 never fails on a missing All Users group (a space that lost it before it was protected).
      await ensureAllUsersGroup(trx, input.spaceId);
      const key = { space_id: input.spaceId, account_id: input.accountId, adam_id: input.adamId };
      await trx
        .insertInto("app_rules")
        .values({
          ...key,
          fcfs_enabled: true,
          fcfs_requested_type: "user",
          fcfs_mandatory_type: "device",
          updated_at: now,
        })
        .execute();
      await trx
        .insertInto("rule_groups")
        .values({ ...key, group_id: ALL_USERS })
        .execute();
    }
    return toAsset(row);
  });
}

export async function findAsset(
  db: Db,
  spaceId: string,
  accountId: string,
  adamId: string,
): Promise<AssetRecord | undefined> {
  const row = await db
    .selectFrom("assets")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("adam_id", "=", adamId)
    .executeTakeFirst();
  return row && toAsset(row);
}

export async function getAsset(
  db: Db,
  spaceId: string,
  accountId: string,
  adamId: string,
): Promise<AssetRecord> {
  const asset = await findAsset(db, spaceId, accountId, adamId);
  if (!asset) throw new NotFoundError("asset", `${accountId}/${adamId}`);
  return asset;
}

/** The app's assets across the space's accounts (VU4). */
export async function listAssetsForApp(db: Db, spaceId: string, adamId: string): Promise<AssetRecord[]> {
  const rows = await db
    .selectFrom("assets")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .orderBy("account_id")
    .execute();
  return rows.map(toAsset);
}

/** The account's assets, each with the seats it holds for reservations not used yet (DI6). */
export async function listAssetsOfAccount(
  db: Db,
  spaceId: string,
  accountId: string,
): Promise<Array<AssetRecord & { reserved: number }>> {
  const rows = await db
    .selectFrom("assets as a")
    .selectAll()
    .select(heldForReservations("a").as("reserved"))
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .orderBy("adam_id")
    .execute();
  return rows.map((row) => ({ ...toAsset(row), reserved: row.reserved }));
}

export interface CatalogApp {
  spaceId: string;
  adamId: string;
  name?: string;
  inCatalog: boolean;
  /** CA1 "Install on device": the app is mandatory. */
  installOnDevice: boolean;
  updateMode: UpdateMode;
  delegatedFromSpaceId?: string;
}

/** CA1, CA3, DB4: adds or updates an app in the space's catalog. */
export async function setCatalogApp(
  db: Db,
  input: Omit<CatalogApp, "inCatalog" | "installOnDevice" | "updateMode"> &
    Partial<Pick<CatalogApp, "inCatalog" | "installOnDevice" | "updateMode">>,
  now: Date,
): Promise<CatalogApp> {
  const values = {
    name: input.name ?? null,
    in_catalog: input.inCatalog ?? true,
    install_on_device: input.installOnDevice ?? false,
    update_mode: input.updateMode ?? "immediate",
    delegated_from_space_id: input.delegatedFromSpaceId ?? null,
  };
  const row = await db
    .insertInto("catalog_apps")
    .values({ space_id: input.spaceId, adam_id: input.adamId, added_at: now, ...values })
    .onConflict((oc) => oc.columns(["space_id", "adam_id"]).doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCatalogApp(row);
}

/**
 * Throws NotFoundError when the space neither bought the app in any account nor ever had it
 * in its catalog: an adamId the space does not know (a typo) is a 404, not an empty answer.
 */
export async function getAppOfSpace(db: Db, spaceId: string, adamId: string): Promise<void> {
  const known = await db
    .selectNoFrom((eb) =>
      eb
        .or([
          eb.exists(
            eb
              .selectFrom("catalog_apps")
              .select("adam_id")
              .where("space_id", "=", spaceId)
              .where("adam_id", "=", adamId),
          ),
          eb.exists(
            eb
              .selectFrom("assets")
              .select("adam_id")
              .where("space_id", "=", spaceId)
              .where("adam_id", "=", adamId),
          ),
        ])
        .as("known"),
    )
    .executeTakeFirstOrThrow();
  if (!known.known) throw new NotFoundError("app", adamId);
}

export async function findCatalogApp(
  db: Db,
  spaceId: string,
  adamId: string,
): Promise<CatalogApp | undefined> {
  const row = await db
    .selectFrom("catalog_apps")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .executeTakeFirst();
  return row && toCatalogApp(row);
}

function toCatalogApp(row: Selectable<CatalogAppTable>): CatalogApp {
  return {
    spaceId: row.space_id,
    adamId: row.adam_id,
    name: row.name ?? undefined,
    inCatalog: row.in_catalog,
    installOnDevice: row.install_on_device,
    updateMode: row.update_mode,
    delegatedFromSpaceId: row.delegated_from_space_id ?? undefined,
  };
}

export function toAsset(row: Selectable<AssetTable>): AssetRecord {
  return {
    spaceId: row.space_id,
    accountId: row.account_id,
    adamId: row.adam_id,
    pricingParam: row.pricing_param,
    productType: row.product_type,
    name: row.name ?? undefined,
    total: row.total_count,
    used: row.used,
    appleAssignedCount: row.apple_assigned_count,
    appleAvailableCount: row.apple_available_count,
    appleRetiredCount: row.apple_retired_count,
    deviceAssignable: row.device_assignable,
    revocable: row.revocable,
    platforms: row.platforms,
    price: row.price ?? undefined,
    currency: row.currency ?? undefined,
  };
}
