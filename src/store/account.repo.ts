import { randomUUID } from "node:crypto";
import { type Selectable, sql } from "kysely";
import type { AccountHealth, AccountTable, MdmInfo } from "./account.table.js";
import { decryptSecret, encryptSecret, type KeyRing } from "./crypto.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { sameName } from "./sql-helpers.js";

/** An Apps and Books account as the rest of Orchard sees it: never with its sToken (invariant 5). */
export interface Account {
  id: string;
  spaceId: string;
  displayName: string;
  orgName?: string;
  locationUid?: string;
  locationName?: string;
  /** Apple's countryISO2ACode of the location ("FR"): its store has the apps' names and prices. */
  countryCode?: string;
  tokenExpiresAt?: Date;
  ownerMdmInfo?: MdmInfo;
  /** 1 = first (MA1). */
  priority: number;
  autoDistribute: boolean;
  health: AccountHealth;
  /** New licenses are taken only from a healthy account (NT2). */
  usable: boolean;
  lastAssetsVersionId?: string;
  lastAssignmentsVersionId?: string;
  lastUsersVersionId?: string;
  lastSyncedAt?: Date;
  createdAt: Date;
}

export interface NewAccount {
  id?: string;
  spaceId: string;
  displayName: string;
  /** The plain sToken: sealed here, never stored or logged as is. */
  sToken: string;
  orgName?: string;
  locationUid?: string;
  locationName?: string;
  tokenExpiresAt?: Date;
  ownerMdmInfo?: MdmInfo;
  autoDistribute?: boolean;
}

/** Adds an account last in its space's priority order (MA6). */
export async function createAccount(db: Db, keys: KeyRing, input: NewAccount): Promise<Account> {
  return withTransaction(db, async (trx) => {
    // The space's lock also serializes creation: two new accounts never take one last place.
    await takeAccountName(trx, input.spaceId, input.displayName);
    const { last } = await trx
      .selectFrom("accounts")
      .select(sql<number>`coalesce(max(priority), 0)::int`.as("last"))
      .where("space_id", "=", input.spaceId)
      .executeTakeFirstOrThrow();
    const row = await trx
      .insertInto("accounts")
      .values({
        space_id: input.spaceId,
        id: input.id ?? randomUUID(),
        display_name: input.displayName,
        stoken_ciphertext: encryptSecret(input.sToken, keys),
        org_name: input.orgName ?? null,
        location_uid: input.locationUid ?? null,
        location_name: input.locationName ?? null,
        token_expires_at: input.tokenExpiresAt ?? null,
        owner_mdm_info: input.ownerMdmInfo ? JSON.stringify(input.ownerMdmInfo) : null,
        priority: last + 1,
        auto_distribute: input.autoDistribute ?? true,
        last_assets_version_id: null,
        last_assignments_version_id: null,
        last_users_version_id: null,
        last_synced_at: null,
      })
      .returning(ACCOUNT_COLUMNS)
      .executeTakeFirstOrThrow();
    return toAccount(row);
  });
}

export async function findAccount(db: Db, spaceId: string, id: string): Promise<Account | undefined> {
  const row = await db
    .selectFrom("accounts")
    .select(ACCOUNT_COLUMNS)
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toAccount(row);
}

export async function getAccount(db: Db, spaceId: string, id: string): Promise<Account> {
  const account = await findAccount(db, spaceId, id);
  if (!account) throw new NotFoundError("account", id);
  return account;
}

/** The space's accounts in priority order (MA1). */
export async function listAccounts(db: Db, spaceId: string): Promise<Account[]> {
  const rows = await db
    .selectFrom("accounts")
    .select(ACCOUNT_COLUMNS)
    .where("space_id", "=", spaceId)
    .orderBy("priority")
    .execute();
  return rows.map(toAccount);
}

/**
 * MA6, AC4: moves an account to position `position` (1 to the number of accounts of the
 * space: beyond is refused, naming the range, rather than taken as "last"); the others
 * shift to keep 1..n. MA3: only the order changes, no license is touched.
 */
export async function setAccountPriority(
  db: Db,
  spaceId: string,
  accountId: string,
  position: number,
): Promise<Account[]> {
  if (!Number.isInteger(position) || position < 1) {
    throw new StoreError("invalid_priority", "a priority is a whole number >= 1", {
      position,
      field: "position",
    });
  }
  return withTransaction(db, async (trx) => {
    const rows = await lockedInOrder(
      trx
        .selectFrom("accounts")
        .select(["id", "priority"])
        .where("space_id", "=", spaceId)
        .forUpdate()
        .execute(),
    );
    const moving = rows.find((r) => r.id === accountId);
    if (!moving) throw new NotFoundError("account", accountId);
    if (position > rows.length) {
      throw new StoreError(
        "invalid_priority",
        `position ${position} is out of range: the space has ${rows.length} account${rows.length === 1 ? "" : "s"}, so a position is from 1 to ${rows.length}`,
        { position, field: "position", minimum: 1, maximum: rows.length },
      );
    }
    const order = rows.filter((r) => r.id !== accountId);
    order.splice(position - 1, 0, moving);
    await putInOrder(trx, spaceId, order);
    return listAccounts(trx, spaceId);
  });
}

/**
 * The space's account rows, locked, in priority order. Sorted here, not by the query: a
 * query that waits for a lock sorts the rows before it takes them, and a reorder committed
 * meanwhile would come back with its new priorities in the old order.
 */
async function lockedInOrder<T extends { priority: number }>(rows: Promise<T[]>): Promise<T[]> {
  return (await rows).sort((a, b) => a.priority - b.priority);
}

/** An account that changed places in a reorder. */
export interface AccountMove {
  accountId: string;
  from: number;
  to: number;
}

/**
 * MA6, AC4: the space's accounts in `order` (each of their ids once), in one transaction:
 * nobody sees a reorder half made, and one refused moves nothing. With `from` (the order it
 * was made from, as read), an order changed since is refused (`accounts_reordered`) rather
 * than undone. MA3: only the order changes, no license is touched.
 */
export async function setAccountOrder(
  db: Db,
  spaceId: string,
  order: readonly string[],
  from?: readonly string[],
): Promise<{ accounts: Account[]; moves: AccountMove[] }> {
  return withTransaction(db, async (trx) => {
    const rows = await lockedInOrder(
      trx
        .selectFrom("accounts")
        .select(["id", "priority", "display_name as displayName"])
        .where("space_id", "=", spaceId)
        .forUpdate()
        .execute(),
    );
    // Made from another order (accounts moved, added or removed since): said so before anything else.
    if (from && from.join() !== rows.map((r) => r.id).join()) {
      throw new StoreError(
        "accounts_reordered",
        "the accounts' order changed since it was read: read it again, and make the change on what it is now",
        { order: rows.map((r) => r.id) },
      );
    }
    checkAccountOrder(order, rows, "order");
    const byId = new Map(rows.map((r) => [r.id, r]));
    const moves = order.flatMap((id, i) => {
      const was = byId.get(id)?.priority ?? 0;
      return was === i + 1 ? [] : [{ accountId: id, from: was, to: i + 1 }];
    });
    await putInOrder(
      trx,
      spaceId,
      order.flatMap((id) => byId.get(id) ?? []),
    );
    return { accounts: await listAccounts(trx, spaceId), moves };
  });
}

/**
 * MA6: an order names every account of the space exactly once (an order of some of them
 * would leave the others' places to guess). Refused naming what is missing, repeated or not
 * the space's; `field` is where the request gave the order.
 */
export function checkAccountOrder(
  order: readonly string[],
  accounts: ReadonlyArray<{ id: string; displayName: string }>,
  field: string,
): void {
  const name = (id: string) => {
    const account = accounts.find((a) => a.id === id);
    return account ? `${account.displayName} (${id})` : id;
  };
  const known = new Set(accounts.map((a) => a.id));
  const unknown = order.filter((id) => !known.has(id));
  const repeated = order.filter((id, i) => order.indexOf(id) !== i);
  const listed = new Set(order);
  const missing = accounts.filter((a) => !listed.has(a.id)).map((a) => a.id);
  if (unknown.length === 0 && repeated.length === 0 && missing.length === 0) return;
  const problems = [
    ...(unknown.length > 0 ? [`not accounts of the space: ${unknown.join(", ")}`] : []),
    ...(repeated.length > 0 ? [`listed more than once: ${[...new Set(repeated)].map(name).join(", ")}`] : []),
    ...(missing.length > 0 ? [`missing: ${missing.map(name).join(", ")}`] : []),
  ];
  throw new StoreError(
    "invalid_priority",
    `a priority order names each of the space's ${accounts.length} accounts exactly once; ${problems.join("; ")}`,
    { field, missing, repeated, unknown },
  );
}

/** Priorities 1..n in this order, writing only the accounts whose place changes. */
async function putInOrder(
  trx: Trx,
  spaceId: string,
  order: ReadonlyArray<{ id: string; priority: number }>,
): Promise<void> {
  for (const [index, row] of order.entries()) {
    if (row.priority === index + 1) continue;
    // The unique (space_id, priority) constraint is deferred to commit, so transient duplicates are fine.
    await trx
      .updateTable("accounts")
      .set({ priority: index + 1 })
      .where("space_id", "=", spaceId)
      .where("id", "=", row.id)
      .execute();
  }
}

/**
 * NT2: the account's health; false, changing nothing, for an account being deleted (AC5):
 * its work must not resume (markAccountDeleting), or no longer holding `sealedToken`.
 */
export async function setAccountHealth(
  db: Db,
  spaceId: string,
  id: string,
  health: AccountHealth,
  now: Date,
  /** Only while the account still holds this sealed token (a problem of a replaced one is not its own). */
  sealedToken?: string,
): Promise<boolean> {
  let update = db
    .updateTable("accounts")
    .set({ health, updated_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .where("health", "<>", "deleting");
  if (sealedToken !== undefined) update = update.where("stoken_ciphertext", "=", sealedToken);
  const result = await update.executeTakeFirst();
  if (result.numUpdatedRows > 0n) return true;
  if (!(await findAccount(db, spaceId, id))) throw new NotFoundError("account", id);
  return false;
}

/**
 * Display names are unique in a space (case and outer spaces aside): administrators tell
 * accounts apart by them (lists, pickers, explanations), and deleting one asks for its name.
 * The writers below hold the space's row lock, so two accounts never take one name at once.
 */
export async function assertNameFree(
  db: Db,
  spaceId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  let query = db
    .selectFrom("accounts")
    .select("id")
    .where("space_id", "=", spaceId)
    .where(sameName("display_name", name));
  if (exceptId) query = query.where("id", "<>", exceptId);
  if ((await query.executeTakeFirst()) !== undefined) {
    throw new StoreError("duplicate_name", `an account of this space is already named "${name.trim()}"`, {
      field: "displayName",
    });
  }
}

/**
 * `name` for an account of the space (another than `exceptId`): not blank, and no other
 * account's, under the space's row lock, which every writer of names takes first.
 */
export async function takeAccountName(
  trx: Trx,
  spaceId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  if (name.trim() === "") throw new StoreError("invalid_request", "an account needs a display name");
  const space = await trx
    .selectFrom("spaces")
    .select("id")
    .where("id", "=", spaceId)
    .forUpdate()
    .executeTakeFirst();
  if (!space) throw new NotFoundError("space", spaceId);
  await assertNameFree(trx, spaceId, name, exceptId);
}

/** AC2: a new token file (and optionally a new name) for an existing account. */
export async function replaceSToken(
  db: Db,
  keys: KeyRing,
  input: {
    spaceId: string;
    id: string;
    sToken: string;
    displayName?: string;
    tokenExpiresAt?: Date;
    now: Date;
  },
): Promise<void> {
  await withTransaction(db, async (trx) => {
    if (input.displayName !== undefined)
      await takeAccountName(trx, input.spaceId, input.displayName, input.id);
    const result = await trx
      .updateTable("accounts")
      .set({
        stoken_ciphertext: encryptSecret(input.sToken, keys),
        ...(input.displayName ? { display_name: input.displayName } : {}),
        ...(input.tokenExpiresAt ? { token_expires_at: input.tokenExpiresAt } : {}),
        updated_at: input.now,
      })
      .where("space_id", "=", input.spaceId)
      .where("id", "=", input.id)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundError("account", input.id);
  });
}

/**
 * The plain sToken, for the Apple client's wiring only. The one way out of the store
 * for a token: keep the result out of logs and responses.
 */
export async function revealSToken(db: Db, accountId: string, keys: KeyRing): Promise<string> {
  const row = await db
    .selectFrom("accounts")
    .select("stoken_ciphertext")
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw new NotFoundError("account", accountId);
  return decryptSecret(row.stoken_ciphertext, keys);
}

/** Apple's version ids after a sync, so the next one can be incremental. */
export async function recordSync(
  db: Db,
  input: {
    spaceId: string;
    id: string;
    assetsVersionId?: string;
    assignmentsVersionId?: string;
    usersVersionId?: string;
    now: Date;
  },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({
      ...(input.assetsVersionId ? { last_assets_version_id: input.assetsVersionId } : {}),
      ...(input.assignmentsVersionId ? { last_assignments_version_id: input.assignmentsVersionId } : {}),
      ...(input.usersVersionId ? { last_users_version_id: input.usersVersionId } : {}),
      last_synced_at: input.now,
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .execute();
}

/**
 * The columns of an account, without its sealed secrets: an account read for display or
 * decisions never carries them (nor pays for them: the sToken's envelope is kilobytes);
 * `revealSToken` reads the token alone.
 */
const ACCOUNT_COLUMNS = [
  "id",
  "space_id",
  "display_name",
  "org_name",
  "location_uid",
  "location_name",
  "country_code",
  "token_expires_at",
  "owner_mdm_info",
  "priority",
  "auto_distribute",
  "health",
  "last_assets_version_id",
  "last_assignments_version_id",
  "last_users_version_id",
  "last_synced_at",
  "created_at",
] as const satisfies ReadonlyArray<
  Exclude<keyof AccountTable, "stoken_ciphertext" | "notification_secret_ciphertext">
>;

function toAccount(row: Pick<Selectable<AccountTable>, (typeof ACCOUNT_COLUMNS)[number]>): Account {
  return {
    id: row.id,
    spaceId: row.space_id,
    displayName: row.display_name,
    orgName: row.org_name ?? undefined,
    locationUid: row.location_uid ?? undefined,
    locationName: row.location_name ?? undefined,
    countryCode: row.country_code ?? undefined,
    tokenExpiresAt: row.token_expires_at ?? undefined,
    ownerMdmInfo: row.owner_mdm_info ?? undefined,
    priority: row.priority,
    autoDistribute: row.auto_distribute,
    health: row.health,
    usable: row.health === "ok",
    lastAssetsVersionId: row.last_assets_version_id ?? undefined,
    lastAssignmentsVersionId: row.last_assignments_version_id ?? undefined,
    lastUsersVersionId: row.last_users_version_id ?? undefined,
    lastSyncedAt: row.last_synced_at ?? undefined,
    createdAt: row.created_at,
  };
}
