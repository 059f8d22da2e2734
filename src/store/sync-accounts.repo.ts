import { type Selectable, sql } from "kysely";
import { ALL_USERS, LIVE_STATES } from "../licensing/index.js";
import type { Account } from "./account.repo.js";
import { listAccounts } from "./account.repo.js";
import type { AccountTable, MdmInfo } from "./account.table.js";
import { appendActivity } from "./activity.repo.js";
import { decryptSecret, encryptSecret, type KeyRing } from "./crypto.js";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { toLicense } from "./license.repo.js";
import type { AppleUserStatus } from "./space.table.js";
import type { Actor } from "./sql-helpers.js";

/** Every account of every space (the scheduler's sync rounds). */
export async function listAllAccounts(db: Db): Promise<Account[]> {
  const spaces = await db.selectFrom("accounts").select("space_id").distinct().execute();
  const out: Account[] = [];
  for (const s of spaces) out.push(...(await listAccounts(db, s.space_id)));
  return out;
}

/** Accounts holding a token of this Apple location, in any space (one location, one account). */
export async function findAccountsByLocation(
  db: Db,
  locationUid: string,
): Promise<Array<{ spaceId: string; id: string; createdAt: Date }>> {
  const rows = await db
    .selectFrom("accounts")
    .select(["space_id", "id", "created_at"])
    .where("location_uid", "=", locationUid)
    .orderBy("created_at")
    .execute();
  return rows.map((r) => ({ spaceId: r.space_id, id: r.id, createdAt: r.created_at }));
}

/** What Apple says about the token: location, expiry, owner. */
export async function setAccountFromApple(
  db: Db,
  input: {
    spaceId: string;
    id: string;
    locationUid?: string;
    locationName?: string;
    orgName?: string;
    tokenExpiresAt?: Date;
    ownerMdmInfo?: MdmInfo;
    now: Date;
  },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({
      ...(input.locationUid !== undefined ? { location_uid: input.locationUid } : {}),
      ...(input.locationName !== undefined ? { location_name: input.locationName } : {}),
      ...(input.orgName !== undefined ? { org_name: input.orgName } : {}),
      ...(input.tokenExpiresAt !== undefined ? { token_expires_at: input.tokenExpiresAt } : {}),
      ...(input.ownerMdmInfo !== undefined ? { owner_mdm_info: JSON.stringify(input.ownerMdmInfo) } : {}),
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .execute();
}

export async function setAccountSettings(
  db: Db,
  input: { spaceId: string; id: string; displayName?: string; autoDistribute?: boolean; now: Date },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({
      ...(input.displayName !== undefined ? { display_name: input.displayName } : {}),
      ...(input.autoDistribute !== undefined ? { auto_distribute: input.autoDistribute } : {}),
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .execute();
}

/** Forgets Apple's version ids: the next sync reads everything again. */
export async function resetSyncVersions(db: Db, spaceId: string, id: string): Promise<void> {
  await db
    .updateTable("accounts")
    .set({ last_assets_version_id: null, last_assignments_version_id: null, last_users_version_id: null })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .execute();
}

/** The notificationAuthToken Apple must send back, sealed like the sToken (invariant 5). */
export async function setNotificationSecret(
  db: Db,
  keys: KeyRing,
  input: { spaceId: string; id: string; secret: string },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({ notification_secret_ciphertext: encryptSecret(input.secret, keys) })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .execute();
}

export async function revealNotificationSecret(
  db: Db,
  keys: KeyRing,
  accountId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("accounts")
    .select("notification_secret_ciphertext")
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError("account", accountId);
  return row.notification_secret_ciphertext
    ? decryptSecret(row.notification_secret_ciphertext, keys)
    : undefined;
}

/** The sealed sToken as stored: a cheap way to see that the token changed. */
export async function sTokenCiphertext(db: Db, accountId: string): Promise<string> {
  const row = await db
    .selectFrom("accounts")
    .select("stoken_ciphertext")
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError("account", accountId);
  return row.stoken_ciphertext;
}

export async function findAccountById(
  db: Db,
  accountId: string,
): Promise<Pick<Selectable<AccountTable>, "space_id" | "id"> | undefined> {
  return db.selectFrom("accounts").select(["space_id", "id"]).where("id", "=", accountId).executeTakeFirst();
}

/**
 * AC1 "Automatically distribute to all users": FCFS for All Users on every app of the
 * account that has no rule yet (an admin's own rules are left alone).
 */
export async function ensureAllUsersRules(
  db: Db,
  spaceId: string,
  accountId: string,
  now: Date,
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const missing = await trx
      .selectFrom("assets as a")
      .select("a.adam_id")
      .where("a.space_id", "=", spaceId)
      .where("a.account_id", "=", accountId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("app_rules as r")
              .select("r.adam_id")
              .whereRef("r.space_id", "=", "a.space_id")
              .whereRef("r.account_id", "=", "a.account_id")
              .whereRef("r.adam_id", "=", "a.adam_id"),
          ),
        ),
      )
      .execute();
    if (missing.length === 0) return 0;
    const keys = missing.map((m) => ({ space_id: spaceId, account_id: accountId, adam_id: m.adam_id }));
    await trx
      .insertInto("app_rules")
      .values(
        keys.map((k) => ({
          ...k,
          fcfs_enabled: true,
          fcfs_requested_type: "user" as const,
          fcfs_mandatory_type: "device" as const,
          updated_at: now,
        })),
      )
      .execute();
    await trx
      .insertInto("rule_groups")
      .values(keys.map((k) => ({ ...k, group_id: ALL_USERS })))
      .execute();
    return keys.length;
  });
}

/**
 * AC2 with another location and "clear all previous license data": the account's
 * licenses belonged to the old location; they end here (seats with them), logged.
 */
export async function endLicensesOfAccount(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    actor: Actor;
    now: Date;
    action: string;
    ruleIds: readonly string[];
    message: string;
  },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable("licenses")
      .set({ state: "released", released_at: input.now, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "in", [...LIVE_STATES, "pending_release", "in_grace"])
      .returningAll()
      .execute();
    await trx
      .updateTable("assets")
      .set({ used: 0, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .execute();
    await trx
      .deleteFrom("outbox")
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "in", ["pending", "sent"])
      .execute();
    await appendActivity(
      trx,
      rows.map(toLicense).map((l) => ({
        spaceId: l.spaceId,
        actor: input.actor,
        action: input.action,
        userId: l.userId,
        deviceId: l.deviceId,
        adamId: l.adamId,
        accountId: l.accountId,
        licenseId: l.id,
        ruleIds: input.ruleIds,
        message: input.message,
        at: input.now,
      })),
    );
    return rows.length;
  });
}

/**
 * AC5: removes the account with its assets, rules, reservations and outbox (cascade).
 * Its licenses go first (they reference its assets); the activity log keeps their story.
 */
export async function deleteAccountRows(db: Db, spaceId: string, accountId: string): Promise<void> {
  await withTransaction(db, async (trx) => {
    await trx
      .deleteFrom("licenses")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    await trx
      .deleteFrom("apple_notifications")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    const result = await trx
      .deleteFrom("accounts")
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundError("account", accountId);
  });
}

/**
 * Apple's view of users: status and invite code, matched by clientUserId in the space.
 * Returns the users that became enrolled (Associated) with this update (UB4).
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
  const rows = await sql<{ id: string; status: AppleUserStatus }>`
    update users u set apple_status = t.status, invite_code = coalesce(t.invite_code, u.invite_code), updated_at = ${now}
    from unnest(${known.map((u) => u.clientUserId)}::text[], ${known.map((u) => u.status)}::text[],
      ${known.map((u) => u.inviteCode ?? null)}::text[]) as t(client_user_id, status, invite_code)
    where u.space_id = ${spaceId} and u.apple_client_user_id = t.client_user_id
      and u.apple_status is distinct from t.status
    returning u.id, u.apple_status as status`.execute(db);
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
    .where("apple_client_user_id", "in", [...clientUserIds])
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
