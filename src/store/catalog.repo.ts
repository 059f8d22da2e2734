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
