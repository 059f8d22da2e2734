import { sql } from "kysely";
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

/**
 * UB2: where these users' registration at Apple (create_user) is still on its way,
 * as `registrationKey(accountId, clientUserId)`: pending in the outbox, or in an Apple
 * call not settled yet. An invitation sent again meanwhile (a retry) must not register
 * them twice in that account (Apple: 9716), and must still register them in an account
 * added since.
 */
export async function registeringAtApple(
  db: Db,
  spaceId: string,
  clientUserIds: readonly string[],
): Promise<Set<string>> {
  if (clientUserIds.length === 0) return new Set();
  const { rows } = await sql<{ account_id: string; client_user_id: string }>`
    select w.account_id, w.client_user_id from (${registrationsOnTheirWay(spaceId)}) w
    where w.client_user_id = any(${[...clientUserIds]}::text[])`.execute(db);
  return new Set(rows.map((r) => registrationKey(r.account_id, r.client_user_id)));
}

/**
 * The registrations (`create_user`) on their way to Apple in a space (a value, or a row's
 * column in a correlated subquery): pending in the outbox, or in an Apple call not settled.
 * Read by clientUserId: the filter is pushed into both branches.
 */
export function registrationsOnTheirWay(space: unknown) {
  return sql<{ account_id: string; client_user_id: string }>`
    select o.account_id, o.client_user_id from outbox o
    where o.space_id = ${space} and o.kind = 'create_user' and o.state = 'pending'
    union
    select c.account_id, op->>'clientUserId' from apple_calls c cross join lateral jsonb_array_elements(c.ops) op
    where c.space_id = ${space} and c.kind = 'create_user'`;
}

export const registrationKey = (accountId: string, clientUserId: string) => `${accountId}\n${clientUserId}`;

/** Locks these users' rows, in key order, until the transaction ends (two invitations of one user queue). */
export async function lockUsers(db: Db, spaceId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await sql`select 1 from users where space_id = ${spaceId} and id = any(${[...userIds]}::text[])
    order by id for no key update`.execute(db);
}
