import { sql } from "kysely";
import type { RequestReason, WaitReason } from "../licensing/index.js";
import type { Db } from "./database.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";

/**
 * DB2, UB3: one request waiting for a license of an app, where it stands in the queue
 * (served in order of request: `requested_at`, then arrival), who asked and why it waits.
 */
export interface WaitingRow {
  /** 1 = served first; counted over the whole queue, whatever the search. */
  position: number;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  /** The waiting device's name, as its MDM named it (0050). */
  deviceName?: string;
  /** The user of a waiting device, if it has one. */
  deviceUserName?: string;
  deviceUserId?: string;
  why: RequestReason;
  reason: WaitReason;
  /** `reason` apple_refused: what Apple said (the request is served again only once sent again). */
  refusal?: AppleRefusal;
  ruleIds: string[];
  waitingSince: Date;
  /** When the request was last decided (it waited again then). */
  decidedAt: Date;
}

/** DB2: Apple's refusal a request waits with (0032). */
export interface AppleRefusal {
  /** 0: Orchard had no serial number or Apple user to send. */
  errorNumber: number;
  message?: string;
  accountId?: string;
  accountName?: string;
  refusedAt: Date;
}

/** The refusal of a queue row's columns, when it waits with one. */
function refusalOf(r: {
  reason: WaitReason;
  apple_error_number: number | null;
  apple_error_message: string | null;
  refused_account_id: string | null;
  refused_account_name: string | null;
  refused_at: Date | string | null;
}): { refusal?: AppleRefusal } {
  if (r.reason !== "apple_refused") return {};
  return {
    refusal: {
      errorNumber: Number(r.apple_error_number ?? 0),
      ...(r.apple_error_message ? { message: r.apple_error_message } : {}),
      ...(r.refused_account_id ? { accountId: r.refused_account_id } : {}),
      ...(r.refused_account_name ? { accountName: r.refused_account_name } : {}),
      refusedAt: new Date(r.refused_at ?? 0),
    },
  };
}

/** The queue's one order: `position` follows (requested_at, seq), the order it is served in. */
export const WAITING_SORTS = { position: "w.requested_at" } as const;

/**
 * The app's waiting queue in the order it is served; `q` searches user names and serial
 * numbers. Positions are numbered on the queue alone, in its index's order, and names are
 * joined after: a page of a queue of 60,000 joins its 50 rows, not the 60,000 (PostgreSQL:
 * 100–140 ms per page when the numbering sat above the joins).
 */
export function listWaitingView(
  db: Db,
  spaceId: string,
  adamId: string,
  page: PageRequest,
): Promise<Page<WaitingRow>> {
  const numbered = db
    .selectFrom("license_queue as q")
    .select([
      "q.space_id",
      "q.seq",
      "q.user_id",
      "q.device_id",
      "q.why",
      "q.reason",
      "q.rule_ids",
      "q.requested_at",
      "q.decided_at",
      "q.apple_error_number",
      "q.apple_error_message",
      "q.refused_account_id",
      "q.refused_at",
      sql<number>`(row_number() over (order by q.requested_at, q.seq))::int`.as("position"),
    ])
    .where("q.space_id", "=", spaceId)
    .where("q.adam_id", "=", adamId);
  let query = db
    .selectFrom(numbered.as("w"))
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "w.space_id").onRef("u.id", "=", "w.user_id"))
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "w.space_id").onRef("d.id", "=", "w.device_id"),
    )
    .leftJoin("users as du", (j) =>
      j.onRef("du.space_id", "=", "d.space_id").onRef("du.id", "=", "d.user_id"),
    )
    .leftJoin("accounts as ra", (j) =>
      j.onRef("ra.space_id", "=", "w.space_id").onRef("ra.id", "=", "w.refused_account_id"),
    )
    .select([
      "w.position",
      "w.user_id",
      "u.name as user_name",
      "w.device_id",
      "d.serial_number",
      "d.name as device_name",
      "du.name as device_user_name",
      "du.id as device_user_id",
      "w.why",
      "w.reason",
      "w.rule_ids",
      "w.requested_at",
      "w.decided_at",
      "w.apple_error_number",
      "w.apple_error_message",
      "w.refused_account_id",
      "ra.display_name as refused_account_name",
      "w.refused_at",
    ]);
  if (page.q) {
    const like = likePattern(page.q);
    query = query.where((eb) =>
      eb.or([
        eb("u.name", "ilike", like),
        eb("d.serial_number", "ilike", like),
        eb("d.name", "ilike", like),
        eb("du.name", "ilike", like),
      ]),
    );
  }
  return paged(query, page, WAITING_SORTS, "position", "w.seq", (r) => ({
    position: r.position,
    userId: r.user_id ?? undefined,
    userName: r.user_name ?? undefined,
    deviceId: r.device_id ?? undefined,
    serialNumber: r.serial_number ?? undefined,
    ...(r.device_name ? { deviceName: r.device_name } : {}),
    deviceUserName: r.device_user_name ?? undefined,
    deviceUserId: r.device_user_id ?? undefined,
    why: r.why,
    reason: r.reason,
    ...refusalOf(r),
    ruleIds: r.rule_ids,
    waitingSince: r.requested_at,
    decidedAt: r.decided_at,
  }));
}

/** Where a waiting subject stands in its app's queue: 1 = served next. */
export interface QueuePlace {
  position: number;
  of: number;
  waitingSince: Date;
}

/**
 * DB2, UB3: the queue places of these subjects ("u:<userId>" / "d:<deviceId>", as queue
 * rows are keyed), those that wait, with the reason each waits with (`why`): one read of
 * the app's queue in the order it is served.
 */
export async function queuePlaces(
  db: Db,
  spaceId: string,
  adamId: string,
  subjects: ReadonlyArray<{ kind: "user"; userId: string } | { kind: "device"; deviceId: string }>,
): Promise<Map<string, QueuePlace & { why: RequestReason }>> {
  const userIds = subjects.flatMap((s) => (s.kind === "user" ? [s.userId] : []));
  const deviceIds = subjects.flatMap((s) => (s.kind === "device" ? [s.deviceId] : []));
  const places = new Map<string, QueuePlace & { why: RequestReason }>();
  if (userIds.length + deviceIds.length === 0) return places;
  const { rows } = await sql<{
    user_id: string | null;
    device_id: string | null;
    why: RequestReason;
    position: number;
    of: number;
    requested_at: Date;
  }>`select w.user_id, w.device_id, w.why, w.position, w.of, w.requested_at from (
      select q.user_id, q.device_id, q.why, q.requested_at,
        (row_number() over (order by q.requested_at, q.seq))::int as position, (count(*) over ())::int as of
      from license_queue q where q.space_id = ${spaceId} and q.adam_id = ${adamId}
    ) w
    where w.user_id = any(${userIds}::text[]) or w.device_id = any(${deviceIds}::text[])`.execute(db);
  for (const r of rows) {
    const key = r.user_id ? `u:${r.user_id}` : `d:${r.device_id}`;
    places.set(key, {
      position: r.position,
      of: r.of,
      waitingSince: new Date(r.requested_at),
      why: r.why,
    });
  }
  return places;
}

/** DB2, UB3: one app a subject waits for, and where it stands in that app's queue. */
export interface SubjectWaitingRow extends QueuePlace {
  adamId: string;
  /** The app's name (an account's asset's, else the catalog's), when it has one. */
  name?: string;
  why: RequestReason;
  reason: WaitReason;
  refusal?: AppleRefusal;
  ruleIds: string[];
}

/**
 * DB2, UB3: every app the device (or user) waits for, with its place in each app's queue,
 * in the order it first asked. Each app's queue is numbered whole (the order it is served).
 */
export async function listWaitingOfSubject(
  db: Db,
  spaceId: string,
  subject: { kind: "user"; userId: string } | { kind: "device"; deviceId: string },
): Promise<SubjectWaitingRow[]> {
  const column = sql.ref(subject.kind === "user" ? "q.user_id" : "q.device_id");
  const id = subject.kind === "user" ? subject.userId : subject.deviceId;
  const { rows } = await sql<{
    adam_id: string;
    name: string | null;
    why: RequestReason;
    reason: WaitReason;
    rule_ids: string[];
    requested_at: Date;
    position: number;
    of: number;
    apple_error_number: number | null;
    apple_error_message: string | null;
    refused_account_id: string | null;
    refused_account_name: string | null;
    refused_at: Date | string | null;
  }>`select w.adam_id, coalesce(
        (select max(a.name) from assets a where a.space_id = ${spaceId} and a.adam_id = w.adam_id),
        (select c.name from catalog_apps c where c.space_id = ${spaceId} and c.adam_id = w.adam_id)
      ) as name, w.why, w.reason, w.rule_ids, w.requested_at, w.position, w.of,
      w.apple_error_number, w.apple_error_message, w.refused_account_id, w.refused_at,
      (select a.display_name from accounts a where a.space_id = ${spaceId} and a.id = w.refused_account_id)
        as refused_account_name
    from (
      select q.adam_id, q.seq, q.user_id, q.device_id, q.why, q.reason, q.rule_ids, q.requested_at,
        q.apple_error_number, q.apple_error_message, q.refused_account_id, q.refused_at,
        (row_number() over (partition by q.adam_id order by q.requested_at, q.seq))::int as position,
        (count(*) over (partition by q.adam_id))::int as of
      from license_queue q
      where q.space_id = ${spaceId}
        and q.adam_id in (select q.adam_id from license_queue q where q.space_id = ${spaceId} and ${column} = ${id})
    ) w
    where ${sql.ref(subject.kind === "user" ? "w.user_id" : "w.device_id")} = ${id}
    order by w.requested_at, w.seq`.execute(db);
  return rows.map((r) => ({
    adamId: r.adam_id,
    ...(r.name ? { name: r.name } : {}),
    why: r.why,
    reason: r.reason,
    ...refusalOf(r),
    ruleIds: r.rule_ids,
    position: r.position,
    of: r.of,
    waitingSince: new Date(r.requested_at),
  }));
}
