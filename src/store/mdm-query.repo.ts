import { appRunsOn, type Platform } from "../licensing/index.js";
import type { Db } from "./database.js";
import { groupBy, inList } from "./sql-helpers.js";

/** Apps of the space's catalog that are "Install on device" (CA1), and all catalog apps. */
export async function listCatalogAdamIds(
  db: Db,
  spaceId: string,
): Promise<{ mandatory: Set<string>; all: Set<string> }> {
  const rows = await db
    .selectFrom("catalog_apps")
    .select(["adam_id", "install_on_device"])
    .where("space_id", "=", spaceId)
    .where("in_catalog", "=", true)
    .execute();
  return {
    mandatory: new Set(rows.filter((r) => r.install_on_device).map((r) => r.adam_id)),
    all: new Set(rows.map((r) => r.adam_id)),
  };
}

/**
 * PB3: of `adamIds`, the apps that do not run on `platform` by the platforms Apple lists
 * for their assets in the space (appRunsOn, as decide() reads them): a check-in does not
 * ask for those.
 */
export async function appsNotRunningOn(
  db: Db,
  spaceId: string,
  adamIds: readonly string[],
  platform: Platform,
): Promise<Set<string>> {
  if (adamIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("assets")
    .select(["adam_id", "platforms"])
    .where("space_id", "=", spaceId)
    .where(inList("adam_id", adamIds))
    .execute();
  const notRunning = new Set<string>();
  for (const [adamId, assets] of groupBy(rows, (r) => r.adam_id))
    if (!appRunsOn(assets, platform)) notRunning.add(adamId);
  return notRunning;
}

/** Spaces the app was delegated to from `spaceId` (PB1: deleting from the default space reaches them). */
export async function listDelegatedSpaces(db: Db, spaceId: string, adamId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("catalog_apps")
    .select("space_id")
    .where("delegated_from_space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .execute();
  return rows.map((r) => r.space_id);
}

/** Active devices of a user in a space, other than `exceptDeviceId` (TR1). */
export async function countOtherActiveDevices(
  db: Db,
  spaceId: string,
  userId: string,
  exceptDeviceId: string,
): Promise<number> {
  const row = await db
    .selectFrom("devices")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("space_id", "=", spaceId)
    .where("user_id", "=", userId)
    .where("status", "=", "active")
    .where("id", "<>", exceptDeviceId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
