import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "./database.js";
import { IDEMPOTENCY_KEY_TTL_MS } from "./idempotency.repo.js";

const DAY_MS = 86_400_000;

/**
 * How long history is kept, in days; 0 keeps it forever. What is still at work is never
 * pruned, whatever its age: pending notification deliveries, open notifications, MDM
 * commands still pending (claimed or awaiting their license included), operations for
 * Apple not finished (pending in the outbox, or in an Apple call), licenses not released.
 */
export interface RetentionPolicy {
  /** Console sessions, after they expired (they open nothing by then). */
  expiredSessionDays: number;
  /** Apple's notifications acted on (the dedupe record by notificationId), after they came. */
  appleNotificationDays: number;
  /** Notification deliveries a channel took, after they were delivered. */
  deliveredDeliveryDays: number;
  /** Notification deliveries given up on, after their last attempt (the Notifications page lists them). */
  failedDeliveryDays: number;
  /** Notifications after they were cleared, once none of their deliveries is left. */
  clearedNotificationDays: number;
  /** MDM commands delivered, cancelled or failed, after they were. */
  finishedMdmCommandDays: number;
  /**
   * Operations for Apple done or failed (the outbox's record of them; the Apple work panel
   * lists the failed ones), after they finished. Apple calls are never pruned: every one is
   * still at work (sending, or sent and awaiting Apple's answer), and goes once answered.
   */
  finishedAppleOperationDays: number;
  /**
   * Licenses released (a seat given back, grace over), after they were: the licenses list and
   * export show them. Decisions, explain and the device and user pages read only licenses
   * still held, and the activity log keeps its own lines about them.
   */
  releasedLicenseDays: number;
  /** The activity log (the audit trail, invariant 4). */
  activityDays: number;
  /**
   * `Idempotency-Key`s and the answers kept for them, after they were first sent. A key is
   * answered for 24 hours whatever this says (IDEMPOTENCY_KEY_TTL_MS), and is new after.
   */
  idempotencyKeyDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  expiredSessionDays: 1,
  appleNotificationDays: 30,
  deliveredDeliveryDays: 30,
  failedDeliveryDays: 90,
  clearedNotificationDays: 365,
  finishedMdmCommandDays: 90,
  finishedAppleOperationDays: 90,
  releasedLicenseDays: 730,
  activityDays: 730,
  idempotencyKeyDays: IDEMPOTENCY_KEY_TTL_MS / DAY_MS,
};

/**
 * How much one run may delete: `batchSize` rows per statement (one short transaction each,
 * never a long lock), at most `maxBatches` statements' worth of rows per table. What is
 * left goes on the next run.
 */
export interface PruneLimits {
  batchSize: number;
  maxBatches: number;
}

export const DEFAULT_PRUNE_LIMITS: PruneLimits = { batchSize: 5_000, maxBatches: 20 };

/**
 * Where a walk through the MDM commands stopped, for the next run to go on from: the
 * caller keeps one between runs (the worker, for its life). Without one, each run starts
 * at the beginning again.
 */
export interface PruneCursor {
  mdmCommands?: { spaceId: string; seq: number };
}

/** Rows deleted, per table. */
export interface PruneCounts {
  sessions: number;
  apple_notifications: number;
  notification_deliveries: number;
  notifications: number;
  mdm_commands: number;
  outbox: number;
  licenses: number;
  activity_log: number;
  idempotency_keys: number;
}

/**
 * Deletes what is past its retention, table by table, in batches (the worker's
 * housekeeping, once an hour); returns how many rows went from each. Each statement deletes
 * at most `batchSize` rows, picked by a subselect with LIMIT, its conditions checked again
 * on the rows it deletes (a row another transaction changed meanwhile goes only if it still
 * qualifies). The small tables are searched by their conditions (sessions and idempotency
 * keys by their time's index; the others hold only what their own retention keeps, the
 * outbox besides its few pending rows); released licenses by the index on their release
 * (0030: they are mixed on every page with the live ones); the MDM commands and the activity log are
 * walked by primary key (below). Deliveries go before notifications: a
 * cleared notification goes once its deliveries have (the foreign key would take them with
 * it, pending ones included).
 */
export async function pruneExpired(
  db: Db,
  policy: RetentionPolicy,
  now: Date,
  options: { limits?: PruneLimits; cursor?: PruneCursor } = {},
): Promise<PruneCounts> {
  const limits = options.limits ?? DEFAULT_PRUNE_LIMITS;
  const cursor = options.cursor ?? {};
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  const byCtid = (table: string, alias: string, where: RawBuilder<SqlBool> | undefined) =>
    where === undefined
      ? Promise.resolve(0)
      : inBatches(limits, (limit) => deleteByCtid(db, table, alias, where, limit));
  const kept = (days: number) => days <= 0;

  const sessions = await byCtid(
    "sessions",
    "s",
    kept(policy.expiredSessionDays)
      ? undefined
      : sql<SqlBool>`s.expires_at < ${before(policy.expiredSessionDays)}::timestamptz`,
  );
  const appleNotifications = await byCtid(
    "apple_notifications",
    "a",
    kept(policy.appleNotificationDays)
      ? undefined
      : sql<SqlBool>`a.received_at < ${before(policy.appleNotificationDays)}::timestamptz`,
  );
  const deliveryStates = [
    ...(kept(policy.deliveredDeliveryDays)
      ? []
      : [
          sql`(d.state = 'delivered' and d.updated_at < ${before(policy.deliveredDeliveryDays)}::timestamptz)`,
        ]),
    ...(kept(policy.failedDeliveryDays)
      ? []
      : [sql`(d.state = 'failed' and d.updated_at < ${before(policy.failedDeliveryDays)}::timestamptz)`]),
  ];
  const deliveries = await byCtid(
    "notification_deliveries",
    "d",
    deliveryStates.length === 0 ? undefined : sql<SqlBool>`(${sql.join(deliveryStates, sql` or `)})`,
  );
  const notifications = await byCtid(
    "notifications",
    "n",
    kept(policy.clearedNotificationDays)
      ? undefined
      : sql<SqlBool>`n.cleared_at < ${before(policy.clearedNotificationDays)}::timestamptz
          and not exists (select 1 from notification_deliveries d
            where d.space_id = n.space_id and d.notification_id = n.id)`,
  );
  const mdmCommands = kept(policy.finishedMdmCommandDays)
    ? 0
    : await pruneMdmCommands(db, before(policy.finishedMdmCommandDays), limits, cursor);
  // Only what finished: pending rows are work still to send ('sent' is no longer written:
  // operations sent are in apple_calls since 0010). A release Apple refused whose license
  // still waits for it (pending_release) is kept however old: it is what the admin retries
  // or abandons from (refusals.routes.ts), and what keeps its notification up. No index of its own: besides its few
  // pending rows the outbox holds what this retention keeps (Apple's refusals, rare), and an
  // index on the time of finishing would make every retry of a pending row a non-HOT update.
  const appleOperations = await byCtid(
    "outbox",
    "o",
    kept(policy.finishedAppleOperationDays)
      ? undefined
      : sql<SqlBool>`o.state in ('done', 'failed')
          and o.updated_at < ${before(policy.finishedAppleOperationDays)}::timestamptz
          and not (o.state = 'failed' and o.license_id is not null and exists (select 1 from licenses l
            where l.space_id = o.space_id and l.id = o.license_id and l.state = 'pending_release'))`,
  );
  // Released is final: nothing is owed to Apple for such a license any more, and nothing
  // decides from it (decisions read live licenses; MDM commands whose license is gone are
  // cancelled as for a released one).
  const licenses = await byCtid(
    "licenses",
    "l",
    kept(policy.releasedLicenseDays)
      ? undefined
      : sql<SqlBool>`l.state = 'released'
          and l.released_at < ${before(policy.releasedLicenseDays)}::timestamptz`,
  );
  const activity = kept(policy.activityDays)
    ? 0
    : await pruneActivity(db, before(policy.activityDays), limits);
  const idempotencyKeys = await byCtid(
    "idempotency_keys",
    "i",
    kept(policy.idempotencyKeyDays)
      ? undefined
      : sql<SqlBool>`i.created_at < ${before(policy.idempotencyKeyDays)}::timestamptz`,
  );
  return {
    sessions,
    apple_notifications: appleNotifications,
    notification_deliveries: deliveries,
    notifications,
    mdm_commands: mdmCommands,
    outbox: appleOperations,
    licenses,
    activity_log: activity,
    idempotency_keys: idempotencyKeys,
  };
}

/**
 * A delivered command that still stands for "done" where Orchard decides whether to send
 * one again: an install of a license the device still holds (LT2: one install per license,
 * queueInstallsUnlessPresent), and an update to the app's newest known version (DB4: one
 * update per version, findOutdatedInstalls), and an invite of a user still invited (UB2: one
 * per device and link, queueInvitations). Pruned, each would be sent again. They stay while
 * they matter: one per live device license, one per device and app updated, one per device of
 * a user who has not accepted yet.
 */
const stillDeduping = sql<SqlBool>`(
  (m.kind = 'install' and m.app_version is null and m.license_id is not null
    and exists (select 1 from licenses l where l.space_id = m.space_id and l.id = m.license_id and l.live))
  or (m.app_version is not null
    and exists (select 1 from app_versions v where v.adam_id = m.adam_id and v.version = m.app_version))
  or (m.kind = 'invite'
    and exists (select 1 from users u where u.space_id = m.space_id and u.id = m.user_id
      and u.apple_status = 'Registered' and u.deleted_at is null)))`;

/**
 * MDM commands finished before the cutoff. Those that must stay (pending ones, and the
 * delivered ones above) may be many and old (the first rollout's installs, one per device
 * license), so a search for old finished rows would read past all of them on every
 * statement (1M kept of 4M rows on PostgreSQL: 5.9 s a statement). The commands are
 * walked in primary-key order instead, `batchSize` of them a statement, from where the
 * last statement, or the last run (`cursor`), stopped: each statement reads a bounded
 * number of rows (35 to 95 ms on the same table), and a pass over the whole table takes
 * (rows / (batchSize × maxBatches)) runs; then the walk starts again.
 */
async function pruneMdmCommands(
  db: Db,
  cutoff: string,
  limits: PruneLimits,
  cursor: PruneCursor,
): Promise<number> {
  let deleted = 0;
  for (let i = 0; i < limits.maxBatches; i++) {
    const after = cursor.mdmCommands;
    const { rows } = await sql<{
      deleted: number;
      examined: number;
      space_id: string | null;
      seq: string | null;
    }>`
      with w as (
        select space_id, seq from mdm_commands
        where ${after ? sql`(space_id, seq) > (${after.spaceId}::text, ${after.seq}::bigint)` : sql`true`}
        order by space_id, seq
        limit ${limits.batchSize}
      ), d as (
        delete from mdm_commands m using w
        where m.space_id = w.space_id and m.seq = w.seq
          and m.state in ('delivered', 'cancelled', 'failed') and m.updated_at < ${cutoff}::timestamptz
          and not (m.state = 'delivered' and ${stillDeduping})
        returning 1
      )
      select (select count(*) from d)::int as deleted, (select count(*) from w)::int as examined,
        last.space_id, last.seq
      from (select 1) as one
      left join lateral (select space_id, seq from w order by space_id desc, seq desc limit 1) as last on true`.execute(
      db,
    );
    const row = rows[0];
    deleted += Number(row?.deleted ?? 0);
    if (!row?.space_id || row.seq === null || Number(row.examined) < limits.batchSize) {
      // The end of the table: the next run starts again from the beginning.
      delete cursor.mdmCommands;
      break;
    }
    cursor.mdmCommands = { spaceId: row.space_id, seq: Number(row.seq) };
  }
  return deleted;
}

/** Statements of at most `batchSize` rows until one deletes fewer, or the run's share is spent. */
async function inBatches(
  limits: PruneLimits,
  statement: (limit: number) => Promise<number>,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < limits.maxBatches; i++) {
    const deleted = await statement(limits.batchSize);
    total += deleted;
    if (deleted < limits.batchSize) break;
  }
  return total;
}

async function deleteByCtid(
  db: Db,
  table: string,
  alias: string,
  where: RawBuilder<SqlBool>,
  limit: number,
): Promise<number> {
  const t = sql.table(table);
  const a = sql.ref(alias);
  const result = await sql`delete from ${t} as ${a}
    where ${a}.ctid = any(array(select ${a}.ctid from ${t} as ${a} where ${where} limit ${limit}))
      and ${where}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * The activity log is the largest table (a line per license change) and has no index on
 * time: a search for old lines would read all of it every hour (5M lines on PostgreSQL: a
 * scan of 800 MB). Each space's lines are read in the order written instead, by the primary
 * key (`seq` follows time), a window of `batchSize` at a time, and those in it older than
 * the cutoff go. The spaces come from the log itself (it outlives what it describes), each
 * with its first line, one index probe a space; a space whose first line is within the
 * retention is not read further. A line stamped out of order (writers' clocks differ by
 * milliseconds) goes with its window, or at worst waits for the lines written before it.
 */
async function pruneActivity(db: Db, cutoff: string, limits: PruneLimits): Promise<number> {
  const { rows: spaces } = await sql<{ space_id: string }>`with recursive s as (
      (select space_id, at from activity_log order by space_id, seq limit 1)
      union all
      select n.space_id, n.at from s
      cross join lateral (select a.space_id, a.at from activity_log a
        where a.space_id > s.space_id order by a.space_id, a.seq limit 1) as n
    )
    select space_id from s where at < ${cutoff}::timestamptz`.execute(db);
  const bound = limits.batchSize * limits.maxBatches;
  let deleted = 0;
  for (const { space_id: spaceId } of spaces) {
    while (deleted < bound) {
      const window = Math.min(limits.batchSize, bound - deleted);
      const result = await sql`delete from activity_log
        where space_id = ${spaceId} and at < ${cutoff}::timestamptz
          and seq = any(array(select w.seq from (
            select seq, at from activity_log where space_id = ${spaceId} order by seq limit ${window}) as w
            where w.at < ${cutoff}::timestamptz))`.execute(db);
      const n = Number(result.numAffectedRows ?? 0n);
      deleted += n;
      if (n < window) break;
    }
    if (deleted >= bound) break;
  }
  return deleted;
}

/**
 * PGlite has no autovacuum: rows deleted leave their space unused, and the files keep
 * growing, until a VACUUM marks it free. The worker runs this after a prune on PGlite, for
 * the tables it deleted from (PostgreSQL's autovacuum does it by itself).
 */
export async function vacuumPruned(db: Db, counts: PruneCounts): Promise<void> {
  for (const [table, deleted] of Object.entries(counts)) {
    if (deleted > 0) await sql`vacuum ${sql.table(table)}`.execute(db);
  }
}
