import { sql } from "kysely";
import type { Db } from "./database.js";

/**
 * One figure of what Orchard holds, for the metrics endpoint: `metric` names it, `spaceId`,
 * `accountId` and `labels` (a kind, a state, a reason, in the metric's order) say of what.
 */
export interface StateFigure {
  metric: StateMetric;
  spaceId: string;
  accountId: string | null;
  labels: string[];
  value: number;
}

export type StateMetric =
  | "space_info"
  | "account_info"
  | "account_health"
  | "account_token_expiry_seconds"
  | "licenses_purchased"
  | "licenses_used"
  | "waiting_requests"
  | "apple_operations_pending"
  | "apple_oldest_pending_seconds"
  | "apple_calls"
  | "mdm_commands"
  | "notifications_open"
  | "notification_deliveries";

/**
 * Every figure in one statement, each from an index or a small table: the queue, pending
 * Apple operations, pending and failed MDM commands and deliveries are read through
 * their partial indexes (a scrape every 15 s must not read the license or activity
 * tables). `labels` carries the name for the two `_info` figures.
 */
export async function operationalState(db: Db, now: Date): Promise<StateFigure[]> {
  const at = now.toISOString();
  const { rows } = await sql<{
    metric: StateMetric;
    space_id: string;
    account_id: string | null;
    labels: string[];
    value: number | string;
  }>`select 'space_info' as metric, id as space_id, null::text as account_id, array[name] as labels,
        1::float8 as value from spaces
    union all
    select 'account_info', space_id, id, array[display_name], 1 from accounts
    union all
    select 'account_health', space_id, id, array[health], 1 from accounts
    union all
    select 'account_token_expiry_seconds', space_id, id, array[]::text[],
      extract(epoch from token_expires_at - ${at}::timestamptz)::float8
    from accounts where token_expires_at is not null
    union all
    select 'licenses_purchased', space_id, account_id, array[]::text[], sum(total_count)::float8
    from assets group by space_id, account_id
    union all
    select 'licenses_used', space_id, account_id, array[]::text[], sum(used)::float8
    from assets group by space_id, account_id
    union all
    select 'waiting_requests', space_id, null, array[reason], count(*)::float8
    from license_queue group by space_id, reason
    union all
    select 'apple_operations_pending', space_id, account_id, array[kind], count(*)::float8
    from outbox where state = 'pending' group by space_id, account_id, kind
    union all
    select 'apple_oldest_pending_seconds', space_id, account_id, array[]::text[],
      greatest(0, extract(epoch from ${at}::timestamptz - min(created_at)))::float8
    from outbox where state = 'pending' group by space_id, account_id
    union all
    select 'apple_calls', space_id, account_id, array[state], count(*)::float8
    from apple_calls group by space_id, account_id, state
    union all
    select 'mdm_commands', space_id, null, array[state], count(*)::float8
    from mdm_commands where state in ('pending', 'failed') group by space_id, state
    union all
    select 'notifications_open', space_id, null, array[severity], count(*)::float8
    from notifications where cleared_at is null group by space_id, severity
    union all
    select 'notification_deliveries', space_id, null, array[channel, state], count(*)::float8
    from notification_deliveries where state in ('pending', 'failed') group by space_id, channel, state`.execute(
    db,
  );
  return rows.map((r) => ({
    metric: r.metric,
    spaceId: r.space_id,
    accountId: r.account_id,
    labels: r.labels,
    value: Number(r.value),
  }));
}
