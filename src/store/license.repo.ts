import { randomUUID } from "node:crypto";
import { type Selectable, sql } from "kysely";
import type { License, LicenseState, LicenseType, RequestReason, Subject } from "../licensing/index.js";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import type { LicenseTable } from "./license.table.js";
import { type ColumnSpec, insertColumns, unseenSpace } from "./sql-helpers.js";

export interface LicenseRecord extends License {
  reserved: boolean;
  /** The rule ids that decided it (invariant 4). */
  ruleIds: string[];
  createdAt: Date;
  updatedAt: Date;
  /** DB2, UB3: when the subject first asked for it (before 0015: `createdAt`). */
  requestedAt: Date;
  /**
   * DB2, LT2: who asked for it and why (0016). A device's request can hold a user-based
   * license (DI2): the subject is then the device, not the license's user. Unset for
   * licenses written before 0016 and for imports: the license's own subject asked.
   */
  request?: { subject: Subject; why: RequestReason };
  assignedAt?: Date;
  releasedAt?: Date;
}

export interface NewLicense {
  id?: string;
  spaceId: string;
  accountId: string;
  adamId: string;
  type: LicenseType;
  userId?: string;
  deviceId?: string;
  state: LicenseState;
  reserved?: boolean;
  ruleIds?: readonly string[];
  /** When the subject first asked (DB2); unset, `now`. */
  requestedAt?: Date;
  now: Date;
}

/**
 * Inserts license rows as they are. No seat check and no outbox: this is the raw write
 * under `requestLicenses` (allocation.ts) and for imports of Apple's assignments; the
 * partial unique indexes still refuse a second live license (invariant 2).
 */
export async function insertLicenses(db: Db, inputs: readonly NewLicense[]): Promise<string[]> {
  const ids = inputs.map((l) => l.id ?? randomUUID());
  await insertColumns(
    db,
    "licenses",
    LICENSE_COLUMNS,
    inputs.map((l, i) => [
      l.spaceId,
      ids[i],
      l.accountId,
      l.adamId,
      l.type,
      l.type === "user" ? (l.userId ?? null) : null,
      l.type === "device" ? (l.deviceId ?? null) : null,
      l.state,
      l.reserved ?? false,
      l.ruleIds ?? [],
      l.now,
      l.now,
      l.requestedAt ?? l.now,
    ]),
  );
  return ids;
}

const LICENSE_COLUMNS: readonly ColumnSpec[] = [
  ["space_id", "text"],
  ["id", "text"],
  ["account_id", "text"],
  ["adam_id", "text"],
  ["type", "text"],
  ["user_id", "text"],
  ["device_id", "text"],
  ["state", "text"],
  ["reserved", "boolean"],
  ["rule_ids", "text[]"],
  ["created_at", "timestamptz"],
  ["updated_at", "timestamptz"],
  ["requested_at", "timestamptz"],
];

export async function findLicense(db: Db, spaceId: string, id: string): Promise<LicenseRecord | undefined> {
  const row = await db
    .selectFrom("licenses")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toLicense(row);
}

export async function getLicense(db: Db, spaceId: string, id: string): Promise<LicenseRecord> {
  const license = await findLicense(db, spaceId, id);
  if (!license) throw new NotFoundError("license", id);
  return license;
}

/**
 * DB2, LT2: who asked for each of these licenses and why (0016), one read; a license
 * written before 0016 or imported from Apple is left out (its own subject asked, reason unknown).
 */
export async function licenseRequestsOf(
  db: Db,
  spaceId: string,
  ids: readonly string[],
): Promise<Map<string, { subject: Subject; why: RequestReason }>> {
  const out = new Map<string, { subject: Subject; why: RequestReason }>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom("licenses")
    .select(["id", "request_subject", "request_why"])
    .where("space_id", "=", spaceId)
    .where("id", "in", [...ids])
    .execute();
  for (const row of rows) {
    const request = requestOf(row.request_subject, row.request_why);
    if (request) out.set(row.id, request);
  }
  return out;
}

/**
 * Live licenses (LIVE_STATES) of users and devices for one app: the ones `decide` looks
 * at (LT4). One query per kind of subject: one probe of the invariant-2 unique index on
 * (space, app, subject) per id (a LATERAL … LIMIT 1, which the planner cannot turn into
 * a join; there is at most one live license per subject). With `subject = any($ids)`,
 * or a plain join, the planner read every live license of the app and filtered: a
 * storm's tens of thousands for each batch of a thousand check-ins.
 */
export async function findLicensesOfSubjects(
  db: Db,
  spaceId: string,
  adamId: string,
  subjects: { userIds: readonly string[]; deviceIds: readonly string[] },
): Promise<License[]> {
  const out: License[] = [];
  for (const [column, ids] of [
    ["user_id", subjects.userIds],
    ["device_id", subjects.deviceIds],
  ] as const) {
    if (ids.length === 0) continue;
    const { rows } = await sql<{
      id: string;
      account_id: string;
      type: LicenseType;
      user_id: string | null;
      device_id: string | null;
      state: LicenseState;
      grace_until: Date | null;
    }>`select l.id, l.account_id, l.type, l.user_id, l.device_id, l.state, l.grace_until
      from unnest(${[...ids]}::text[]) as s(id)
      cross join lateral (
        select * from licenses
        where space_id = ${unseenSpace(spaceId)} and adam_id = ${adamId} and ${sql.ref(column)} = s.id and live
        limit 1
      ) l`.execute(db);
    for (const row of rows) {
      out.push({
        id: row.id,
        spaceId,
        accountId: row.account_id,
        adamId,
        type: row.type,
        ...(row.user_id ? { userId: row.user_id } : {}),
        ...(row.device_id ? { deviceId: row.device_id } : {}),
        state: row.state,
        ...(row.grace_until ? { graceUntil: new Date(row.grace_until) } : {}),
      });
    }
  }
  return out;
}

export async function listLicensesForApp(
  db: Db,
  spaceId: string,
  adamId: string,
  options: { states?: readonly LicenseState[]; limit?: number } = {},
): Promise<LicenseRecord[]> {
  let query = db
    .selectFrom("licenses")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .orderBy("created_at")
    .orderBy("id");
  if (options.states) query = query.where("state", "in", options.states);
  if (options.limit !== undefined) query = query.limit(options.limit);
  return (await query.execute()).map(toLicense);
}

/** Seats held by Orchard's licenses per account for an app (invariant 1 counts these). */
export async function countSeatsHeld(db: Db, spaceId: string, adamId: string): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom("licenses")
    .select(["account_id", sql<number>`count(*)::int`.as("n")])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where("holds_seat", "=", true) // state IN SEAT_HOLDING_STATES (migration 0009)
    .groupBy("account_id")
    .execute();
  return new Map(rows.map((r) => [r.account_id, r.n]));
}

export function toLicense(row: Selectable<LicenseTable>): LicenseRecord {
  return {
    id: row.id,
    spaceId: row.space_id,
    accountId: row.account_id,
    adamId: row.adam_id,
    type: row.type,
    userId: row.user_id ?? undefined,
    deviceId: row.device_id ?? undefined,
    state: row.state,
    graceUntil: row.grace_until ?? undefined,
    reserved: row.reserved,
    ruleIds: row.rule_ids,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    requestedAt: row.requested_at ?? row.created_at,
    request: requestOf(row.request_subject, row.request_why),
    assignedAt: row.assigned_at ?? undefined,
    releasedAt: row.released_at ?? undefined,
  };
}

/** The request a license was granted for, from its subject key ("u:<id>" / "d:<id>") and reason (0016). */
function requestOf(
  key: string | null,
  why: RequestReason | null,
): { subject: Subject; why: RequestReason } | undefined {
  if (key === null || why === null) return undefined;
  const id = key.slice(2);
  if (id === "") return undefined;
  if (key.startsWith("d:")) return { subject: { kind: "device", deviceId: id }, why };
  if (key.startsWith("u:")) return { subject: { kind: "user", userId: id }, why };
  return undefined;
}
