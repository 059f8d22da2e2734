import { type Expression, type RawBuilder, sql } from "kysely";
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
 * Only live licenses (LIVE_STATES: pending_assign, assigned) of revocable assets are
 * reclaimable: a seat-holding pending_release license is already on its way out, and the
 * single revoke refuses it; Apple never takes a book back.
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

/**
 * The set a reclaim revokes, as its preview shows it and each of its batches checks it, read
 * in one statement (one snapshot): how many licenses the criteria find, the fingerprint of
 * all of them, their first `take` ids (a preview: the rows it shows; a reclaim: its batch),
 * and the fingerprint of the others, the rest the next batch names (service/reclaim.ts). A
 * fingerprint is the sha256 (hex) of the ids joined by commas in id order, computed in the
 * database: only `take` ids leave it.
 */
export interface InactiveSet {
  count: number;
  fingerprint: string;
  /** The first `take` ids, in id order. */
  ids: string[];
  /** The fingerprint of the set without those first ids. */
  restFingerprint: string;
}

export async function inactiveSet(
  db: Db,
  spaceId: string,
  criteria: InactivityCriteria,
  options: { take: number },
): Promise<InactiveSet> {
  const { rows } = await sql<{ count: number; fingerprint: string; ids: string[]; rest: string }>`
    select count(*)::int as count, ${fingerprintOf(sql`true`)} as fingerprint,
      coalesce(array_agg(o.id order by o.id) filter (where o.n <= ${options.take}), '{}') as ids,
      ${fingerprintOf(sql`o.n > ${options.take}`)} as rest
    from (select m.id, row_number() over (order by m.id) as n
      from ${inactiveLicenseIds(db, spaceId, criteria)} as m) as o`.execute(db);
  const row = rows[0];
  return {
    count: Number(row?.count ?? 0),
    fingerprint: row?.fingerprint ?? "",
    ids: row?.ids ?? [],
    restFingerprint: row?.rest ?? "",
  };
}

/** sha256 (hex) of the ids of `o` that pass `which`, joined by commas in id order; of none, of "". */
function fingerprintOf(which: RawBuilder<unknown>) {
  return sql<string>`encode(sha256(convert_to(coalesce(string_agg(o.id, ',' order by o.id)
    filter (where ${which}), ''), 'UTF8')), 'hex')`;
}

/**
 * The first `limit` of them by id, with what the admin needs to recognise each; with `ids`,
 * only those of these ids that still qualify (a reclaim checks its batch again inside its
 * transaction).
 */
export async function listInactiveLicenses(
  db: Db,
  spaceId: string,
  criteria: InactivityCriteria,
  page: { limit: number; ids?: readonly string[] },
): Promise<InactiveLicense[]> {
  const rows = await db
    .selectFrom(inactiveLicenseIds(db, spaceId, criteria, page.ids).as("m"))
    .innerJoin("licenses as l", (j) => j.on("l.space_id", "=", spaceId).onRef("l.id", "=", "m.id"))
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "l.space_id").onRef("d.id", "=", "l.device_id"),
    )
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "l.space_id").onRef("u.id", "=", "l.user_id"))
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
    .limit(page.limit)
    .execute();
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
  return sql<Date>`coalesce(${sql.ref(`${alias}.last_check_in_at`)}, ${sql.ref(`${alias}.created_at`)})`;
}

/** The UTC day of an instant, as 0028's `devices.last_seen_on` reads a device's last sign of life. */
function utcDay(instant: Date) {
  return sql<Date>`(timezone('UTC', ${instant}::timestamptz))::date`;
}

/**
 * The ids of the space's live licenses whose subject is inactive, filtered (with `ids`: only
 * among these). Two branches, one per license type (LT1), each with the plan it needs: one
 * OR over both kept PostgreSQL from finding idle devices through an index (it read every live
 * license of the space) and from turning the user's "no device seen since" into an anti-join.
 * - device licenses, from the idle devices: the day they were last seen through
 *   `devices_last_seen` (0028), then the instant, the rule's boundary;
 * - user licenses of users created before the boundary none of whose devices was seen after.
 */
function inactiveLicenseIds(db: Db, spaceId: string, criteria: InactivityCriteria, ids?: readonly string[]) {
  const before = criteria.inactiveBefore;
  let live = db
    .selectFrom("licenses as l")
    .select("l.id")
    .where("l.space_id", "=", spaceId)
    .where("l.live", "=", true);
  // Apple never takes back a license of a non-revocable asset (books): no revoke releases it
  // (event-world.ts), so no reclaim counts it.
  live = live.where(({ exists, selectFrom }) =>
    exists(
      selectFrom("assets as a")
        .select("a.adam_id")
        .whereRef("a.space_id", "=", "l.space_id")
        .whereRef("a.account_id", "=", "l.account_id")
        .whereRef("a.adam_id", "=", "l.adam_id")
        .where("a.revocable", "=", true),
    ),
  );
  if (criteria.adamId !== undefined) live = live.where("l.adam_id", "=", criteria.adamId);
  if (criteria.accountId !== undefined) live = live.where("l.account_id", "=", criteria.accountId);
  if (ids) live = live.where(inList("l.id", ids));
  const deviceLicenses = live
    .innerJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "l.space_id").onRef("d.id", "=", "l.device_id"),
    )
    .where("l.type", "=", "device")
    .where("d.last_seen_on", "<=", utcDay(before))
    .where(deviceSeen("d") as Expression<Date>, "<=", before);
  const userLicenses = live
    .innerJoin("users as u", (j) => j.onRef("u.space_id", "=", "l.space_id").onRef("u.id", "=", "l.user_id"))
    .where("l.type", "=", "user")
    .where("u.created_at", "<=", before)
    .where((eb) =>
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
    );
  if (criteria.type === "device") return deviceLicenses;
  if (criteria.type === "user") return userLicenses;
  return deviceLicenses.unionAll(userLicenses);
}
