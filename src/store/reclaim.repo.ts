import { type Expression, type SqlBool, sql } from "kysely";
import type { LicenseState, LicenseType } from "../licensing/index.js";
import type { Db } from "./database.js";
import { inList } from "./sql-helpers.js";

/**
 * Licenses held by inactive subjects, for their reclaim (service/reclaim.ts). Apple does
 * not tell Orchard when a user last opened an app, so inactivity is read from what Orchard
 * does see: the MDM's check-ins (`devices.last_check_in_at`, mdm/check-in.ts).
 *
 * A subject's last sign of life:
 * - a device: its last check-in; a device that never checked in, its creation;
 * - a user: the latest last sign of life of the user's devices (any status: a device retired
 *   yesterday still shows its user was there), and never earlier than the user's creation.
 * A subject is inactive for N days when that sign is N days old or older: at or before
 * `now - N days`, so a device last seen exactly N days ago is inactive, and a user with one
 * device seen since is not.
 *
 * Only live licenses (LIVE_STATES: pending_assign, assigned) are reclaimable: a seat-holding
 * pending_release license is already on its way out, and the single revoke refuses it.
 */
export interface InactivityCriteria {
  /** The day boundary: subjects last seen at or before it are inactive. */
  inactiveBefore: Date;
  adamId?: string | undefined;
  accountId?: string | undefined;
  type?: LicenseType | undefined;
}

/** A license a reclaim would revoke, with what the admin needs to recognise it. */
export interface InactiveLicense {
  id: string;
  adamId: string;
  appName?: string;
  accountId: string;
  accountName: string;
  type: LicenseType;
  state: LicenseState;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  /** The device's last check-in; for a user license, the latest of the user's devices'. Absent: never. */
  lastCheckInAt?: Date;
  /** The last sign of life the rule compared (a check-in, else a creation). */
  inactiveSince: Date;
}

const DAY_MS = 86_400_000;

/** The boundary of "inactive for `days` days" at `now`. */
export function inactiveBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/** How many licenses of the space the criteria find: one pass over the space's live licenses. */
export async function countInactiveLicenses(
  db: Db,
  spaceId: string,
  criteria: InactivityCriteria,
): Promise<number> {
  const row = await inactiveLicenses(db, spaceId, criteria)
    .select(sql<number>`count(*)::int`.as("n"))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The next `limit` of them by id (the primary key's order: a page is one index range, never
 * an OFFSET), after `after`; with `ids`, only those of these ids that still qualify (a
 * reclaim checks its batch again inside its transaction).
 */
export async function listInactiveLicenses(
  db: Db,
  spaceId: string,
  criteria: InactivityCriteria,
  page: { limit: number; after?: string | undefined; ids?: readonly string[] },
): Promise<InactiveLicense[]> {
  let query = inactiveLicenses(db, spaceId, criteria)
    .innerJoin("accounts as a", (j) =>
      j.onRef("a.space_id", "=", "l.space_id").onRef("a.id", "=", "l.account_id"),
    )
    .leftJoin("assets as s", (j) =>
      j
        .onRef("s.space_id", "=", "l.space_id")
        .onRef("s.account_id", "=", "l.account_id")
        .onRef("s.adam_id", "=", "l.adam_id"),
    )
    .leftJoin("catalog_apps as c", (j) =>
      j.onRef("c.space_id", "=", "l.space_id").onRef("c.adam_id", "=", "l.adam_id"),
    )
    .select([
      "l.id",
      "l.adam_id",
      sql<string | null>`coalesce(s.name, c.name)`.as("app_name"),
      "l.account_id",
      "a.display_name as account_name",
      "l.type",
      "l.state",
      "l.user_id",
      "u.name as user_name",
      "l.device_id",
      "d.serial_number",
      sql<Date | null>`case when l.type = 'device' then d.last_check_in_at
        else (select max(ud.last_check_in_at) from devices ud
              where ud.space_id = l.space_id and ud.user_id = l.user_id) end`.as("last_check_in_at"),
      sql<Date>`case when l.type = 'device' then ${deviceSeen("d")}
        else greatest(u.created_at, (select max(${deviceSeen("ud")}) from devices ud
              where ud.space_id = l.space_id and ud.user_id = l.user_id)) end`.as("inactive_since"),
    ])
    .orderBy("l.id")
    .limit(page.limit);
  if (page.after !== undefined) query = query.where("l.id", ">", page.after);
  if (page.ids) query = query.where(inList("l.id", page.ids));
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    adamId: r.adam_id,
    ...(r.app_name !== null ? { appName: r.app_name } : {}),
    accountId: r.account_id,
    accountName: r.account_name,
    type: r.type,
    state: r.state,
    ...(r.user_id !== null ? { userId: r.user_id } : {}),
    ...(r.user_name !== null ? { userName: r.user_name } : {}),
    ...(r.device_id !== null ? { deviceId: r.device_id } : {}),
    ...(r.serial_number !== null ? { serialNumber: r.serial_number } : {}),
    ...(r.last_check_in_at !== null ? { lastCheckInAt: new Date(r.last_check_in_at) } : {}),
    inactiveSince: new Date(r.inactive_since),
  }));
}

/** A device's last sign of life: its last check-in, else its creation. */
function deviceSeen(alias: "d" | "ud") {
  return sql`coalesce(${sql.ref(`${alias}.last_check_in_at`)}, ${sql.ref(`${alias}.created_at`)})`;
}

/** The live licenses of the space whose subject is inactive, filtered; nothing selected yet. */
function inactiveLicenses(db: Db, spaceId: string, criteria: InactivityCriteria) {
  const before = criteria.inactiveBefore;
  let query = db
    .selectFrom("licenses as l")
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "l.space_id").onRef("d.id", "=", "l.device_id"),
    )
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "l.space_id").onRef("u.id", "=", "l.user_id"))
    .where("l.space_id", "=", spaceId)
    .where("l.live", "=", true)
    .where((eb) =>
      eb.or([
        eb.and([eb("l.type", "=", "device"), eb(deviceSeen("d") as Expression<Date>, "<=", before)]),
        eb.and([
          eb("l.type", "=", "user"),
          eb("u.created_at", "<=", before),
          eb.not(
            eb.exists(
              eb
                .selectFrom("devices as ud")
                .select(sql`1`.as("one"))
                .whereRef("ud.space_id", "=", "l.space_id")
                .whereRef("ud.user_id", "=", "l.user_id")
                .where(deviceSeen("ud") as Expression<Date>, ">", before),
            ),
          ),
        ]) as Expression<SqlBool>,
      ]),
    );
  if (criteria.adamId !== undefined) query = query.where("l.adam_id", "=", criteria.adamId);
  if (criteria.accountId !== undefined) query = query.where("l.account_id", "=", criteria.accountId);
  if (criteria.type !== undefined) query = query.where("l.type", "=", criteria.type);
  return query;
}
