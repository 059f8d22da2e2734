import { sql } from "kysely";
import { type Db, withTransaction } from "./database.js";
import { followRegistrations } from "./invite-commands.repo.js";
import type { AppleUserStatus } from "./space.table.js";
import { inList } from "./sql-helpers.js";

/**
 * Apple's view of users: status and invite code, matched by clientUserId in the space.
 * Returns the users that became enrolled (Associated) with this update (UB4). With it, in
 * one transaction, the invitations the MDM delivers follow (UB2): sent to the newly invited
 * users' devices, cancelled for those who enrolled or were retired.
 */
export async function applyAppleUsers(
  db: Db,
  spaceId: string,
  users: ReadonlyArray<{ clientUserId: string; status: string; inviteCode?: string }>,
  now: Date,
): Promise<string[]> {
  const known = users.filter(
    (u) => u.status === "Registered" || u.status === "Associated" || u.status === "Retired",
  );
  if (known.length === 0) return [];
  return withTransaction(db, (trx) => applyKnownUsers(trx, spaceId, known, now));
}

async function applyKnownUsers(
  db: Db,
  spaceId: string,
  known: ReadonlyArray<{ clientUserId: string; status: string; inviteCode?: string }>,
  now: Date,
): Promise<string[]> {
  const rows = await sql<{ id: string; status: AppleUserStatus }>`
    update users u set apple_status = t.status, invite_code = coalesce(t.invite_code, u.invite_code), updated_at = ${now}
    from unnest(${known.map((u) => u.clientUserId)}::text[], ${known.map((u) => u.status)}::text[],
      ${known.map((u) => u.inviteCode ?? null)}::text[]) as t(client_user_id, status, invite_code)
    where u.space_id = ${spaceId} and u.apple_client_user_id = t.client_user_id
      and u.apple_status is distinct from t.status
    returning u.id, u.apple_status as status`.execute(db);
  // UB2: Apple told their status: a registration Orchard asked for is no longer awaited.
  await db
    .updateTable("users")
    .set({ registration_requested_at: null })
    .where("space_id", "=", spaceId)
    .where(
      inList(
        "apple_client_user_id",
        known.map((u) => u.clientUserId),
      ),
    )
    .where("registration_requested_at", "is not", null)
    .execute();
  await followRegistrations(db, spaceId, rows.rows, now);
  return rows.rows.filter((r) => r.status === "Associated").map((r) => r.id);
}

/** Acts on an Apple notification once: false when this one was already received (Apple retries). */
export async function recordAppleNotification(
  db: Db,
  input: { spaceId: string; accountId: string; dedupeKey: string; type: string; now: Date },
): Promise<boolean> {
  const row = await db
    .insertInto("apple_notifications")
    .values({
      space_id: input.spaceId,
      account_id: input.accountId,
      dedupe_key: input.dedupeKey,
      notification_type: input.type,
      received_at: input.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returning("dedupe_key")
    .executeTakeFirst();
  return row !== undefined;
}

/** What Apple's users/create and users/update need for these clientUserIds. */
export async function appleUserEntries(
  db: Db,
  spaceId: string,
  clientUserIds: readonly string[],
): Promise<Map<string, { clientUserId: string; email?: string; managedAppleId?: string }>> {
  if (clientUserIds.length === 0) return new Map();
  const rows = await db
    .selectFrom("users")
    .select(["apple_client_user_id", "email", "managed_apple_id"])
    .where("space_id", "=", spaceId)
    // One array parameter (inList), not one per id: Apple's maxUsers sets how many come.
    .where(inList("apple_client_user_id", clientUserIds))
    .execute();
  return new Map(
    rows.flatMap((r) =>
      r.apple_client_user_id
        ? [
            [
              r.apple_client_user_id,
              {
                clientUserId: r.apple_client_user_id,
                ...(r.email ? { email: r.email } : {}),
                ...(r.managed_apple_id ? { managedAppleId: r.managed_apple_id } : {}),
              },
            ] as const,
          ]
        : [],
    ),
  );
}

/** True when this Apple notification was already acted on. */
export async function appleNotificationSeen(
  db: Db,
  input: { spaceId: string; accountId: string; dedupeKey: string },
): Promise<boolean> {
  const row = await db
    .selectFrom("apple_notifications")
    .select("dedupe_key")
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where("dedupe_key", "=", input.dedupeKey)
    .executeTakeFirst();
  return row !== undefined;
}
