import { randomUUID } from "node:crypto";
import { type Selectable, sql } from "kysely";
import { adoptListedLater } from "./adopt-listed.repo.js";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import type { AppleUserStatus, UserTable } from "./space.table.js";
import { chunks, groupBy, inList, probeByKey } from "./sql-helpers.js";

export interface UserRecord {
  id: string;
  spaceId: string;
  externalId?: string;
  name: string;
  email?: string;
  managedAppleId?: string;
  appleClientUserId?: string;
  /** The same id under the API's name (`clientUserId`, AC7). */
  clientUserId?: string;
  appleStatus?: AppleUserStatus;
  inviteCode?: string;
  /** UB2: accepted the Apps and Books invitation. */
  enrolled: boolean;
  /** When Orchard first recorded them, and last changed them: for an MDM's incremental reads. */
  createdAt?: Date;
  updatedAt?: Date;
}

export interface NewUser {
  id?: string;
  spaceId: string;
  externalId?: string;
  name: string;
  email?: string;
  managedAppleId?: string;
  appleClientUserId?: string;
  appleStatus?: AppleUserStatus;
  inviteCode?: string;
  /** The caller's clock, as every later change of the user uses it (else the database's). */
  createdAt?: Date;
}

export async function createUser(db: Db, input: NewUser): Promise<UserRecord> {
  const [user] = await createUsers(db, [input]);
  if (!user) throw new Error("creating a user returned no row");
  return user;
}

/** Bulk insert (imports, tests, benchmarks). */
export async function createUsers(db: Db, inputs: readonly NewUser[]): Promise<UserRecord[]> {
  const out: UserRecord[] = [];
  for (const part of chunks(inputs, 9)) {
    const rows = await db
      .insertInto("users")
      .values(
        part.map((u) => ({
          space_id: u.spaceId,
          id: u.id ?? randomUUID(),
          external_id: u.externalId ?? null,
          name: u.name,
          email: u.email ?? null,
          managed_apple_id: u.managedAppleId ?? null,
          apple_client_user_id: u.appleClientUserId ?? null,
          apple_status: u.appleStatus ?? null,
          invite_code: u.inviteCode ?? null,
          ...(u.createdAt ? { created_at: u.createdAt, updated_at: u.createdAt } : {}),
        })),
      )
      .returningAll()
      .execute();
    out.push(...rows.map(toUser));
  }
  // AC7: a user given the clientUserId a previous MDM registered adopts what Apple holds for it (listed).
  for (const [spaceId, ofSpace] of groupBy(
    out.filter((u) => u.appleClientUserId !== undefined),
    (u) => u.spaceId,
  ))
    await adoptListedLater(db, { spaceId, userIds: ofSpace.map((u) => u.id) });
  return out;
}

export async function findUser(db: Db, spaceId: string, id: string): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom("users")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toUser(row);
}

export async function getUser(db: Db, spaceId: string, id: string): Promise<UserRecord> {
  const user = await findUser(db, spaceId, id);
  if (!user) throw new NotFoundError("user", id);
  return user;
}

export async function findUsers(db: Db, spaceId: string, ids: readonly string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<
    Selectable<UserTable>
  >`select d.* from ${probeByKey("users", spaceId, ids)}`.execute(db);
  return rows.map(toUser);
}

/**
 * Users of the space that already have one of these ids, externalIds or Apple clientUserIds
 * (an import's rows): which row of a file clashes, and on what.
 */
export async function findUsersByKeys(
  db: Db,
  spaceId: string,
  keys: { ids: readonly string[]; externalIds: readonly string[]; clientUserIds: readonly string[] },
): Promise<UserRecord[]> {
  const rows = await db
    .selectFrom("users")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where((eb) =>
      eb.or([
        inList("id", keys.ids),
        inList("external_id", keys.externalIds),
        inList("apple_client_user_id", keys.clientUserIds),
      ]),
    )
    .execute();
  return rows.map(toUser);
}

/** The users of these ids; NotFoundError for the first id the space has no user of. */
export async function getUsers(db: Db, spaceId: string, ids: readonly string[]): Promise<UserRecord[]> {
  const found = await findUsers(db, spaceId, ids);
  const known = new Set(found.map((u) => u.id));
  const missing = ids.find((id) => !known.has(id));
  if (missing !== undefined) throw new NotFoundError("user", missing);
  return found;
}

/** Apple's status for the user (Registered, Associated = enrolled, Retired). */
export async function setAppleStatus(
  db: Db,
  spaceId: string,
  id: string,
  status: AppleUserStatus | null,
  now: Date,
): Promise<void> {
  const result = await db
    .updateTable("users")
    .set({ apple_status: status, updated_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("user", id);
}

export function toUser(row: Selectable<UserTable>): UserRecord {
  return {
    id: row.id,
    spaceId: row.space_id,
    externalId: row.external_id ?? undefined,
    name: row.name,
    email: row.email ?? undefined,
    managedAppleId: row.managed_apple_id ?? undefined,
    appleClientUserId: row.apple_client_user_id ?? undefined,
    clientUserId: row.apple_client_user_id ?? undefined,
    appleStatus: row.apple_status ?? undefined,
    inviteCode: row.invite_code ?? undefined,
    enrolled: row.apple_status === "Associated",
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
