import { type RawBuilder, sql } from "kysely";
import type { LicenseRequest, RequestReason } from "../licensing/index.js";
import { type ActivityMessage, activityMessage, renderActivityMessage } from "./activity-messages.js";
import type { Db } from "./database.js";
import type { Actor } from "./sql-helpers.js";

/**
 * DB2: the queue never drops a request silently. Besides a decision (granted, kept,
 * refused), a wait leaves it only when its reason is gone, its subject is gone (a device
 * retired, wiped, inactive or unenrolled; a user deleted) or an administrator cancels it,
 * each with its activity line (invariant 4).
 *
 * What a queue row waits on is its `why`: the reason of the request that first queued it
 * (allocation.ts keeps it when the row is decided again):
 * - `requested`: someone asked for the app. It stays while the app is in the catalog (CA3):
 *   a change of "Install on device" or a check-in does not take back what a user asked.
 * - `mandatory`: "Install on device" (CA1). It stays while the catalog says so; for a
 *   device, also while the device reports the app installed (LT2: its next check-in asks
 *   for it anyway, and would put it back at the end of the queue).
 * - `check_in`: a check-in asked for it, because the app was mandatory or installed on the
 *   device (check-in.ts, move.ts): it stays while either holds.
 * "Installed" is the device's inventory as last reported (installed_apps).
 */
export function waitStillApplies(q: string): RawBuilder<boolean> {
  const row = (column: string) => sql.ref(`${q}.${column}`);
  return sql<boolean>`exists (select 1 from catalog_apps c
    where c.space_id = ${row("space_id")} and c.adam_id = ${row("adam_id")} and c.in_catalog
      and (${row("why")} = 'requested' or c.install_on_device
        or (${row("device_id")} is not null and exists (select 1 from installed_apps i
          where i.space_id = ${row("space_id")} and i.device_id = ${row("device_id")}
            and i.adam_id = ${row("adam_id")}))))`;
}

/** Why a wait left: each line's message and rules. */
const LEFT = {
  catalog: { message: activityMessage("queue.left_catalog"), ruleIds: ["CA3", "DB2"] },
  notMandatory: { message: activityMessage("queue.left_not_mandatory"), ruleIds: ["CA1", "DB2"] },
  checkIn: { message: activityMessage("queue.left_check_in"), ruleIds: ["DB2", "LT2"] },
} as const satisfies Record<string, { message: ActivityMessage; ruleIds: readonly string[] }>;

/** The catalogue's words for the statement: key, English text, rules (comma-separated). */
const LEFT_TEXTS = Object.values(LEFT).map((l) => ({
  key: l.message.key,
  text: renderActivityMessage(l.message),
  rules: l.ruleIds.join(","),
}));

/** A wait that left the queue. */
export interface LeftWait {
  spaceId: string;
  adamId: string;
  userId?: string;
  deviceId?: string;
  why: RequestReason;
  /** The message key of its line: why it left. */
  messageKey: string;
}

/**
 * Which waits to look at: an app's in some spaces (a catalog change: one statement per app,
 * whatever the number of devices), a device's (a check-in), or some subjects' of an app
 * (those a serve is about to decide).
 */
export type StaleScope =
  | { spaceIds: readonly string[]; adamId: string }
  | { spaceId: string; deviceId: string }
  | { spaceId: string; adamId: string; userIds: readonly string[]; deviceIds: readonly string[] };

/**
 * The waits of `scope` whose reason is gone leave the queue, each with its `queue.left`
 * line, in one statement. An app no longer in the catalog says so; otherwise the line says
 * what the caller changed: the catalog ("Install on device" off) or a check-in's list.
 */
export async function removeStaleWaits(
  db: Db,
  input: { scope: StaleScope; cause: "catalog" | "check_in"; actor: Actor; now: Date },
): Promise<LeftWait[]> {
  const { scope, actor } = input;
  const where =
    "deviceId" in scope
      ? sql`q.space_id = ${scope.spaceId} and q.device_id = ${scope.deviceId}`
      : "spaceIds" in scope
        ? sql`q.space_id = any(${[...scope.spaceIds]}::text[]) and q.adam_id = ${scope.adamId}`
        : sql`q.space_id = ${scope.spaceId} and q.adam_id = ${scope.adamId}
            and (q.user_id = any(${[...scope.userIds]}::text[]) or q.device_id = any(${[...scope.deviceIds]}::text[]))`;
  if ("spaceIds" in scope && scope.spaceIds.length === 0) return [];
  const gone = input.cause === "check_in" ? LEFT.checkIn : LEFT.notMandatory;
  const { rows } = await sql<{
    space_id: string;
    adam_id: string;
    user_id: string | null;
    device_id: string | null;
    why: RequestReason;
    message_key: string;
  }>`with gone as (
      delete from license_queue q
      where ${where} and not ${waitStillApplies("q")}
      returning q.space_id, q.adam_id, q.user_id, q.device_id, q.why, q.requested_at,
        case when exists (select 1 from catalog_apps c
            where c.space_id = q.space_id and c.adam_id = q.adam_id and c.in_catalog)
          then ${gone.message.key}::text else ${LEFT.catalog.message.key}::text end as message_key
    ), texts as (
      select * from unnest(${LEFT_TEXTS.map((t) => t.key)}::text[], ${LEFT_TEXTS.map((t) => t.text)}::text[],
        ${LEFT_TEXTS.map((t) => t.rules)}::text[]) as t(key, text, rules)
    ), logged as (
      insert into activity_log (space_id, at, actor_kind, actor_id, action, user_id, device_id, adam_id,
        rule_ids, message, message_key, message_params, details)
      select g.space_id, ${input.now.toISOString()}::timestamptz, ${actor.kind}::text, ${actor.id ?? null}::text,
        'queue.left', g.user_id, g.device_id, g.adam_id, string_to_array(t.rules, ','), t.text, g.message_key,
        '{}'::jsonb, jsonb_build_object('why', g.why, 'waitingSince', g.requested_at)
      from gone g join texts t on t.key = g.message_key
    )
    select space_id, adam_id, user_id, device_id, why, message_key from gone`.execute(db);
  return rows.map((r) => ({
    spaceId: r.space_id,
    adamId: r.adam_id,
    ...(r.user_id ? { userId: r.user_id } : {}),
    ...(r.device_id ? { deviceId: r.device_id } : {}),
    why: r.why,
    messageKey: r.message_key,
  }));
}

/**
 * DB2: of the waiting requests a serve is about to decide (read before its transaction),
 * those that still wait and still apply, their queue rows locked until the decision
 * commits. Called inside the allocation's transaction, after its asset locks: a catalog
 * change that removed a wait meanwhile has deleted its row (skipped here once it commits),
 * one still running waits for this decision, and a wait whose reason went without such a
 * change leaves now with its line. So a seat freed while "Install on device" is turned off
 * cannot install the app on a device that no longer asks for it.
 */
export async function servedWaitsStillApplying(
  trx: Db,
  input: {
    spaceId: string;
    adamId: string;
    requests: readonly LicenseRequest[];
    actor: Actor;
    now: Date;
  },
): Promise<LicenseRequest[]> {
  const { spaceId, adamId } = input;
  const userIds = input.requests.flatMap((r) => (r.subject.kind === "user" ? [r.subject.userId] : []));
  const deviceIds = input.requests.flatMap((r) => (r.subject.kind === "device" ? [r.subject.deviceId] : []));
  await removeStaleWaits(trx, {
    scope: { spaceId, adamId, userIds, deviceIds },
    cause: "catalog",
    actor: input.actor,
    now: input.now,
  });
  const { rows } = await sql<{ user_id: string | null; device_id: string | null }>`select user_id, device_id
    from license_queue
    where space_id = ${spaceId} and adam_id = ${adamId}
      and (user_id = any(${userIds}::text[]) or device_id = any(${deviceIds}::text[]))
    for update`.execute(trx);
  const waiting = new Set(rows.map((r) => (r.user_id ? `u:${r.user_id}` : `d:${r.device_id}`)));
  return input.requests.filter((r) =>
    waiting.has(r.subject.kind === "user" ? `u:${r.subject.userId}` : `d:${r.subject.deviceId}`),
  );
}

/** A subject gone: the event (mdm-events.repo.ts) that takes every wait of it out of the queue. */
export type GoneSubject =
  | {
      kind: "device_retired" | "device_wiped" | "device_inactive" | "mdm_profile_removed";
      spaceId: string;
      deviceId: string;
    }
  | { kind: "user_deleted"; spaceId: string; userId: string };

/** Why a gone subject's waits left: each event's line and rules (RV1, RV5: what the event revokes). */
const SUBJECT_GONE = {
  device_retired: { message: activityMessage("queue.left_device_retired"), ruleIds: ["DB2", "RV1"] },
  device_wiped: { message: activityMessage("queue.left_device_wiped"), ruleIds: ["DB2", "RV1"] },
  device_inactive: { message: activityMessage("queue.left_device_inactive"), ruleIds: ["DB2", "RV1"] },
  mdm_profile_removed: { message: activityMessage("queue.left_device_unenrolled"), ruleIds: ["DB2", "RV5"] },
  user_deleted: { message: activityMessage("queue.left_user_deleted"), ruleIds: ["DB2", "RV5", "UB3"] },
} as const satisfies Record<GoneSubject["kind"], { message: ActivityMessage; ruleIds: readonly string[] }>;

/**
 * DB2: a device retired, wiped, gone inactive or unenrolled, or a user deleted, waits for
 * nothing any more: each of its waits leaves with a `queue.left` line saying why, in one
 * statement whatever their number (index license_queue_one_per_device / _per_user), in the
 * event's transaction. Returns how many left.
 */
export async function removeWaitsOfGoneSubject(
  db: Db,
  input: { gone: GoneSubject; actor: Actor; now: Date },
): Promise<number> {
  const { gone, actor } = input;
  const { message, ruleIds } = SUBJECT_GONE[gone.kind];
  const [column, id] = "userId" in gone ? ["q.user_id", gone.userId] : ["q.device_id", gone.deviceId];
  const { rows } = await sql<{ left: number }>`with gone as (
      delete from license_queue q
      where q.space_id = ${gone.spaceId} and ${sql.ref(column)} = ${id}
      returning q.user_id, q.device_id, q.adam_id, q.why, q.requested_at
    ), logged as (
      insert into activity_log (space_id, at, actor_kind, actor_id, action, user_id, device_id, adam_id,
        rule_ids, message, message_key, message_params, details)
      select ${gone.spaceId}, ${input.now.toISOString()}::timestamptz, ${actor.kind}::text, ${actor.id ?? null}::text,
        'queue.left', g.user_id, g.device_id, g.adam_id, ${[...ruleIds]}::text[], ${renderActivityMessage(message)},
        ${message.key}, '{}'::jsonb, jsonb_build_object('why', g.why, 'waitingSince', g.requested_at)
      from gone g
    )
    select count(*)::int as left from gone`.execute(db);
  return rows[0]?.left ?? 0;
}

/** The waiting request an administrator cancelled. */
export interface CancelledWait {
  adamId: string;
  userId?: string;
  deviceId?: string;
  why: RequestReason;
  waitingSince: Date;
}

/**
 * DB2: an administrator takes a subject's request out of the app's queue: it leaves with a
 * `queue.cancelled` line naming the administrator (its actor). Undefined when the subject
 * does not wait for the app (nothing changed, nothing logged).
 */
export async function cancelWait(
  db: Db,
  input: {
    spaceId: string;
    adamId: string;
    subject: LicenseRequest["subject"];
    actor: Actor;
    now: Date;
  },
): Promise<CancelledWait | undefined> {
  const { spaceId, adamId, subject, actor } = input;
  const message = activityMessage("queue.cancelled");
  const column = sql.ref(subject.kind === "user" ? "q.user_id" : "q.device_id");
  const id = subject.kind === "user" ? subject.userId : subject.deviceId;
  const { rows } = await sql<{
    user_id: string | null;
    device_id: string | null;
    why: RequestReason;
    requested_at: Date | string;
  }>`with gone as (
      delete from license_queue q
      where q.space_id = ${spaceId} and q.adam_id = ${adamId} and ${column} = ${id}
      returning q.user_id, q.device_id, q.why, q.requested_at
    ), logged as (
      insert into activity_log (space_id, at, actor_kind, actor_id, action, user_id, device_id, adam_id,
        rule_ids, message, message_key, message_params, details)
      select ${spaceId}, ${input.now.toISOString()}::timestamptz, ${actor.kind}::text, ${actor.id ?? null}::text,
        'queue.cancelled', g.user_id, g.device_id, ${adamId}, array['DB2'], ${renderActivityMessage(message)},
        ${message.key}, '{}'::jsonb, jsonb_build_object('why', g.why, 'waitingSince', g.requested_at)
      from gone g
    )
    select user_id, device_id, why, requested_at from gone`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    adamId,
    ...(row.user_id ? { userId: row.user_id } : {}),
    ...(row.device_id ? { deviceId: row.device_id } : {}),
    why: row.why,
    waitingSince: new Date(row.requested_at),
  };
}
