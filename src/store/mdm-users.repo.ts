import type { Db } from "./database.js";

/** The id Orchard gives Apple for this user (clientUserId), set once. */
export async function setClientUserId(
  db: Db,
  spaceId: string,
  userId: string,
  clientUserId: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable("users")
    .set({ apple_client_user_id: clientUserId, updated_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", userId)
    .where("apple_client_user_id", "is", null)
    .execute();
}

/** Accounts where a deleted user must be retired at Apple (RV5): every account of the space. */
export async function retireAtApple(
  db: Db,
  input: { spaceId: string; userId: string; now: Date },
): Promise<void> {
  const user = await db
    .selectFrom("users")
    .select("apple_client_user_id")
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.userId)
    .executeTakeFirst();
  const clientUserId = user?.apple_client_user_id;
  if (!clientUserId) return;
  const accounts = await db
    .selectFrom("accounts")
    .select("id")
    .where("space_id", "=", input.spaceId)
    .execute();
  if (accounts.length === 0) return;
  await db
    .insertInto("outbox")
    .values(
      accounts.map((a) => ({
        space_id: input.spaceId,
        account_id: a.id,
        kind: "retire_user" as const,
        client_user_id: clientUserId,
        created_at: input.now,
        updated_at: input.now,
      })),
    )
    .execute();
}
