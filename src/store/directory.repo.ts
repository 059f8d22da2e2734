import { type SqlBool, sql } from "kysely";
import { ALL_USERS, type Platform } from "../licensing/index.js";
import { adoptListedLater } from "./adopt-listed.repo.js";
import { type Db, withTransaction } from "./database.js";
import {
  type DeviceIdentityChange,
  type DeviceRecord,
  getDevice,
  identityColumns,
  serialKey,
  toDevice,
} from "./device.repo.js";
import { NotFoundError } from "./errors.js";
import { type Group, isBuiltInGroup } from "./group.repo.js";
import { followDevices } from "./invite-commands.repo.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";
import type { RegistrationFilter } from "./registration.js";
import { registrationAwaited } from "./registration-awaited.js";
import { normalizeSerial } from "./serial-number.js";
import type { DeviceStatus } from "./space.table.js";
import { getUser, toUser, type UserRecord } from "./user.repo.js";

/** Users, devices and groups of a space as the console lists and edits them. */
export const USER_SORTS = {
  name: "name",
  email: "email",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const;

export function listUsersView(
  db: Db,
  spaceId: string,
  page: PageRequest & {
    externalId?: string | undefined;
    updatedSince?: Date | undefined;
    registration?: RegistrationFilter | undefined;
  },
): Promise<Page<UserRecord>> {
  // RV5: a deleted user's row stays for the licenses' history, out of the lists.
  let query = db
    .selectFrom("users")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("deleted_at", "is", null);
  if (page.externalId !== undefined) query = query.where("external_id", "=", page.externalId);
  if (page.updatedSince) query = query.where("updated_at", ">=", page.updatedSince);
  if (page.registration) query = query.where(registrationIs(page.registration));
  if (page.q) {
    const like = likePattern(page.q);
    query = query.where((eb) =>
      eb.or([eb("name", "ilike", like), eb("email", "ilike", like), eb("managed_apple_id", "ilike", like)]),
    );
  }
  return paged(query, page, USER_SORTS, "name", "id", toUser);
}

/** The users list's registration filter, as registrationsOf words each user (UB2). */
function registrationIs(filter: RegistrationFilter) {
  const awaited = registrationAwaited("users");
  const notHeld = sql<SqlBool>`(apple_status is null or apple_status = 'Retired')`;
  switch (filter) {
    case "enrolled":
      return sql<SqlBool>`apple_status = 'Associated'`;
    case "invited":
      return sql<SqlBool>`apple_status = 'Registered'`;
    case "not_invited":
      return notHeld;
    case "registering":
      return sql<SqlBool>`${notHeld} and ${awaited}`;
    case "not_registered":
      return sql<SqlBool>`apple_status is null and not ${awaited}`;
    case "retired":
      return sql<SqlBool>`apple_status = 'Retired' and not ${awaited}`;
  }
}

export async function updateUser(
  db: Db,
  spaceId: string,
  id: string,
  set: {
    name?: string;
    email?: string | null;
    managedAppleId?: string | null;
    externalId?: string | null;
    clientUserId?: string;
  },
  now: Date,
): Promise<UserRecord> {
  const changes = {
    ...(set.name !== undefined ? { name: set.name } : {}),
    ...(set.email !== undefined ? { email: set.email } : {}),
    ...(set.managedAppleId !== undefined ? { managed_apple_id: set.managedAppleId } : {}),
    ...(set.externalId !== undefined ? { external_id: set.externalId } : {}),
    // AC7: Apple's id of the user is set once (Apple never changes it).
    ...(set.clientUserId !== undefined
      ? { apple_client_user_id: sql<string>`coalesce(apple_client_user_id, ${set.clientUserId})` }
      : {}),
  };
  const row = await db
    .updateTable("users")
    .set({ ...changes, updated_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .where(changedAny(changes))
    .returningAll()
    .executeTakeFirst();
  // Nothing to change: not written, so `updatedAt` (an MDM's incremental reads) stays.
  if (!row) return getUser(db, spaceId, id);
  // AC7: given their Apple id, the user adopts what Apple holds for them outside Orchard (listed).
  if (set.clientUserId !== undefined && row.apple_client_user_id === set.clientUserId)
    await adoptListedLater(db, { spaceId, userIds: [id], now });
  return toUser(row);
}

export const DEVICE_SORTS = {
  serialNumber: "serial_number",
  name: "name",
  platform: "platform",
  status: "status",
  lastCheckInAt: "last_check_in_at",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const;

export function listDevicesView(
  db: Db,
  spaceId: string,
  filter: {
    userId?: string;
    status?: DeviceStatus;
    platform?: Platform;
    serialNumber?: string | undefined;
    updatedSince?: Date | undefined;
  },
  page: PageRequest,
): Promise<Page<DeviceRecord & { userName?: string }>> {
  let query = db
    .selectFrom("devices")
    .selectAll()
    // The user's name for the list's User column (a subquery: the sort and filter columns stay unambiguous).
    .select((eb) =>
      eb
        .selectFrom("users as u")
        .select("u.name")
        .whereRef("u.space_id", "=", "devices.space_id")
        .whereRef("u.id", "=", "devices.user_id")
        .as("user_name"),
    )
    .where("space_id", "=", spaceId);
  if (filter.userId) query = query.where("user_id", "=", filter.userId);
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.platform) query = query.where("platform", "=", filter.platform);
  if (filter.updatedSince) query = query.where("updated_at", ">=", filter.updatedSince);
  // Exact, in any case: every device stored under that serial (two left by 0026 differ in case only).
  if (filter.serialNumber)
    query = query.where(serialKey("serial_number"), "=", normalizeSerial(filter.serialNumber));
  // The serial number or the name, anywhere in it, in any case (0050's trigram indexes, when
  // the server has pg_trgm). A serial pasted with the spaces around it still matches.
  const q = page.q?.trim();
  if (q) {
    const like = likePattern(q);
    query = query.where((eb) => eb.or([eb("serial_number", "ilike", like), eb("name", "ilike", like)]));
  }
  return paged(query, page, DEVICE_SORTS, "serialNumber", "id", (row) => ({
    ...toDevice(row),
    ...(row.user_name ? { userName: row.user_name } : {}),
  }));
}

export async function updateDevice(
  db: Db,
  spaceId: string,
  id: string,
  set: {
    userId?: string | null;
    sharedIpad?: boolean;
    supervised?: boolean;
    platform?: Platform;
  } & DeviceIdentityChange,
  now: Date,
): Promise<DeviceRecord> {
  const changes = {
    ...identityColumns(set),
    ...(set.userId !== undefined ? { user_id: set.userId } : {}),
    ...(set.sharedIpad !== undefined ? { shared_ipad: set.sharedIpad } : {}),
    ...(set.supervised !== undefined ? { supervised: set.supervised } : {}),
    ...(set.platform !== undefined ? { platform: set.platform } : {}),
  };
  return withTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("devices")
      .set({ ...changes, updated_at: now })
      .where("space_id", "=", spaceId)
      .where("id", "=", id)
      .where(changedAny(changes))
      .returningAll()
      .executeTakeFirst();
    // Nothing to change: not written, so `updatedAt` (an MDM's incremental reads) stays.
    if (!row) return getDevice(trx, spaceId, id);
    // UB2: given to another user, or made a device that takes no invitation: the invitation follows.
    if (set.userId !== undefined || set.sharedIpad !== undefined || set.platform !== undefined)
      await followDevices(trx, { spaceId, deviceIds: [id], now });
    return toDevice(row);
  });
}

/** Deletes a row of the space; a row other rows still point to is a StoreError from the database. */
export async function deleteRow(db: Db, table: "users" | "devices" | "groups", spaceId: string, id: string) {
  const result = await db
    .deleteFrom(table)
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numDeletedRows === 0n)
    throw new NotFoundError(table === "users" ? "user" : table === "devices" ? "device" : "group", id);
}

export type GroupRow = Group & { members: number };

/**
 * Groups with their number of members: users of the space not deleted (RV5 keeps a deleted
 * user's row for the history, out of the lists). All Users holds every such user, without
 * membership rows (DI7: it covers everyone).
 */
export function listGroupsView(
  db: Db,
  spaceId: string,
  page: PageRequest,
  filter: { externalId?: string | undefined } = {},
): Promise<Page<GroupRow>> {
  let query = db
    .selectFrom("groups as g")
    .select([
      "g.id",
      "g.name",
      "g.external_id",
      "g.space_id",
      sql<number>`case when g.id = ${ALL_USERS}
        then (select count(*)::int from users u where u.space_id = g.space_id and u.deleted_at is null)
        else (select count(*)::int from group_members m
          join users u on u.space_id = m.space_id and u.id = m.user_id
          where m.space_id = g.space_id and m.group_id = g.id and u.deleted_at is null) end`.as("members"),
    ])
    .where("g.space_id", "=", spaceId);
  if (page.q) query = query.where("g.name", "ilike", likePattern(page.q));
  // The MDM's own id, exactly: its directory sync finds its groups again.
  if (filter.externalId !== undefined) query = query.where("g.external_id", "=", filter.externalId);
  return paged(query, page, { name: "g.name" }, "name", "g.id", (r) => ({
    id: r.id,
    spaceId: r.space_id,
    name: r.name,
    ...(r.external_id !== null ? { externalId: r.external_id } : {}),
    ...(isBuiltInGroup(r.id) ? { builtIn: true as const } : {}),
    members: r.members,
  }));
}

/** A group's members (not deleted), paged; All Users: every user of the space. */
export function listGroupMembers(db: Db, spaceId: string, groupId: string, page: PageRequest) {
  if (isBuiltInGroup(groupId)) return listUsersView(db, spaceId, page);
  let query = db
    .selectFrom("group_members as m")
    .innerJoin("users as u", (j) => j.onRef("u.space_id", "=", "m.space_id").onRef("u.id", "=", "m.user_id"))
    .selectAll("u")
    .where("m.space_id", "=", spaceId)
    .where("m.group_id", "=", groupId)
    .where("u.deleted_at", "is", null);
  if (page.q) query = query.where("u.name", "ilike", likePattern(page.q));
  return paged(query, page, { name: "u.name" }, "name", "u.id", toUser);
}

/** A row's columns differ from these values (`is distinct from`: null is a value): something to write. */
function changedAny(values: Record<string, unknown>) {
  const columns = Object.entries(values);
  if (columns.length === 0) return sql<SqlBool>`false`;
  return sql<SqlBool>`(${sql.join(
    columns.map(([column, value]) => sql`${sql.ref(column)} is distinct from ${value}`),
    sql` or `,
  )})`;
}
