import { type Selectable, sql } from "kysely";
import { type ActivityMessage, type ActivityParamValue, renderActivityMessage } from "./activity-messages.js";
import type { Db } from "./database.js";
import type { ActivityTable, ActorKind } from "./license.table.js";
import { type Actor, type ColumnSpec, insertColumns } from "./sql-helpers.js";

/** One line of the activity log: who or what caused a change, and the rules behind it (invariant 4). */
export interface ActivityEntry {
  spaceId: string;
  actor: Actor;
  action: string;
  userId?: string;
  deviceId?: string;
  adamId?: string;
  accountId?: string;
  licenseId?: string;
  ruleIds?: readonly string[];
  /** What happened, from the catalogue: stored as its English text, its key and its params. */
  message: ActivityMessage;
  details?: Record<string, unknown>;
  at: Date;
}

export interface ActivityRecord extends Omit<ActivityEntry, "message"> {
  /** Identifies the entry within its space; newer entries have larger numbers. */
  seq: number;
  ruleIds: string[];
  /** The English text, as written. */
  message?: string;
  /** The catalogue key and params (activity-messages.ts); absent on lines written before keys. */
  messageKey?: string;
  messageParams?: Record<string, ActivityParamValue>;
}

export async function appendActivity(db: Db, entries: readonly ActivityEntry[]): Promise<void> {
  await insertColumns(
    db,
    "activity_log",
    ACTIVITY_COLUMNS,
    entries.map((e) => [
      e.spaceId,
      e.at,
      e.actor.kind,
      e.actor.id,
      e.action,
      e.userId,
      e.deviceId,
      e.adamId,
      e.accountId,
      e.licenseId,
      e.ruleIds ?? [],
      renderActivityMessage(e.message),
      e.message.key,
      e.message.params,
      e.details,
    ]),
  );
}

const ACTIVITY_COLUMNS: readonly ColumnSpec[] = [
  ["space_id", "text"],
  ["at", "timestamptz"],
  ["actor_kind", "text"],
  ["actor_id", "text"],
  ["action", "text"],
  ["user_id", "text"],
  ["device_id", "text"],
  ["adam_id", "text"],
  ["account_id", "text"],
  ["license_id", "text"],
  ["rule_ids", "text[]"],
  ["message", "text"],
  ["message_key", "text"],
  ["message_params", "jsonb"],
  ["details", "jsonb"],
];

/** Newest first. */
export async function listActivity(
  db: Db,
  spaceId: string,
  filter: { licenseId?: string; adamId?: string; action?: string; limit?: number } = {},
): Promise<ActivityRecord[]> {
  let query = db
    .selectFrom("activity_log")
    .selectAll()
    .where("space_id", "=", spaceId)
    .orderBy("seq", "desc")
    .limit(filter.limit ?? 100);
  if (filter.licenseId) query = query.where("license_id", "=", filter.licenseId);
  if (filter.adamId) query = query.where("adam_id", "=", filter.adamId);
  if (filter.action) query = query.where("action", "=", filter.action);
  return (await query.execute()).map(toActivity);
}

/** One row of the log as the API, the CLI and the exports read it. */
export function toActivity(row: Selectable<ActivityTable>): ActivityRecord {
  const actor: Actor = { kind: row.actor_kind satisfies ActorKind };
  if (row.actor_id !== null) actor.id = row.actor_id;
  return {
    seq: Number(row.seq),
    spaceId: row.space_id,
    actor,
    action: row.action,
    userId: row.user_id ?? undefined,
    deviceId: row.device_id ?? undefined,
    adamId: row.adam_id ?? undefined,
    accountId: row.account_id ?? undefined,
    licenseId: row.license_id ?? undefined,
    ruleIds: row.rule_ids,
    message: row.message ?? undefined,
    messageKey: row.message_key ?? undefined,
    messageParams: row.message_key === null ? undefined : (row.message_params ?? {}),
    details: row.details ?? undefined,
    at: row.at,
  };
}

/**
 * A database restored into another PostgreSQL cluster (pg_dump, pg_restore) keeps its lines'
 * transaction ids while the new cluster counts its own from lower: new lines would sort
 * before the restored ones, and a change-feed reader (readActivityFeed) past them would wait
 * for them for ever. So at start, lines past every transaction this cluster has run go back
 * to 0, keeping their seq order; a reader's position from before the restore is refused.
 * One index probe per space when there is nothing to do. Returns the lines changed.
 */
export async function settleFeedAfterRestore(db: Db): Promise<number> {
  const result = await sql`update activity_log set xid = '0'
    where space_id in (select s.id from spaces s
        where (select a.xid from activity_log a where a.space_id = s.id order by a.xid desc limit 1)
          >= pg_snapshot_xmax(pg_current_snapshot()))
      and xid >= pg_snapshot_xmax(pg_current_snapshot())`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
