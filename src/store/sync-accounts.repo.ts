import type { Selectable } from "kysely";
import type { Account } from "./account.repo.js";
import { listAccounts, takeAccountName } from "./account.repo.js";
import type { AccountTable, MdmInfo } from "./account.table.js";
import { decryptSecret, encryptSecret, type KeyRing } from "./crypto.js";
import { type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";

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
    countryCode?: string;
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
      ...(input.countryCode !== undefined ? { country_code: input.countryCode } : {}),
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
  await withTransaction(db, async (trx) => {
    if (input.displayName !== undefined)
      await takeAccountName(trx, input.spaceId, input.displayName, input.id);
    await trx
      .updateTable("accounts")
      .set({
        ...(input.displayName !== undefined ? { display_name: input.displayName } : {}),
        ...(input.autoDistribute !== undefined ? { auto_distribute: input.autoDistribute } : {}),
        updated_at: input.now,
      })
      .where("space_id", "=", input.spaceId)
      .where("id", "=", input.id)
      .execute();
  });
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
