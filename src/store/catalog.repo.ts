import type { Db } from "./database.js";

/** CA1: the catalog app's optional description (0005). */
export async function setCatalogDescription(
  db: Db,
  spaceId: string,
  adamId: string,
  description: string,
): Promise<void> {
  await db
    .updateTable("catalog_apps")
    .set({ description: description === "" ? null : description })
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .execute();
}

/** CA1: the catalog app's description, when it has one. */
export async function findCatalogDescription(
  db: Db,
  spaceId: string,
  adamId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("catalog_apps")
    .select("description")
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .executeTakeFirst();
  return row?.description ?? undefined;
}

/**
 * The spaces whose catalog holds the app by delegation from `spaceId`. A copy its space took
 * out of its catalog is not listed (that space may add it back while delegated, CA1); taking
 * the delegation back, or deleting the app from the default space, ends it (PB1).
 */
export async function listCatalogDelegations(db: Db, spaceId: string, adamId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("catalog_apps")
    .select("space_id")
    .where("delegated_from_space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where("in_catalog", "=", true)
    .orderBy("space_id")
    .execute();
  return rows.map((r) => r.space_id);
}
