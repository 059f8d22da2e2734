import type { Db } from "./database.js";

/** An app's name and price per license on every account's asset of the space (VU4). */
export async function setAssetDetails(
  db: Db,
  input: { spaceId: string; adamId: string; name: string; price?: number; currency?: string },
): Promise<void> {
  await db
    .updateTable("assets")
    .set({
      name: input.name,
      ...(input.price !== undefined ? { price: input.price } : {}),
      ...(input.currency !== undefined ? { currency: input.currency } : {}),
    })
    .where("space_id", "=", input.spaceId)
    .where("adam_id", "=", input.adamId)
    .execute();
}
