import { sql } from "kysely";
import type { Db, Trx } from "./database.js";

/**
 * AC7: "release all unmatched": every assignment an account's list of those made outside
 * Orchard holds (of one app, optionally), released at Apple in one request. The list is
 * named as the administrator saw it: its count and a fingerprint of exactly which
 * assignments it holds; the release is refused when either changed since (a resync read
 * another list, a release was confirmed, a device adopted its own). The releases are set
 * based (one statement, whatever the list's size) and go through the outbox, which groups
 * them into Apple's calls as its limits allow (plan.ts).
 */

export interface OutsideListState {
  /** Assignments the list holds (of the app, when one is named). */
  count: number;
  /** sha256 (hex) of what the list holds, app, pricing, kind and subjects, in the list's order. */
  fingerprint: string;
  /** When the list was read from Apple; absent before the account's first full sync. */
  syncedAt?: Date;
}

/**
 * The list (of one app) as a release of all of it names it, read in one statement. Within a
 * transaction, `lock` takes the account's snapshot row first: releases of the whole list,
 * and incremental syncs adding to it (appendOutside), wait for each other.
 */
export async function outsideListState(
  db: Db,
  input: { spaceId: string; accountId: string; adamId?: string | undefined; lock?: boolean },
): Promise<OutsideListState & { generation?: number }> {
  const { spaceId, accountId } = input;
  const snapshot = await db
    .selectFrom("outside_assignment_snapshots")
    .select(["generation", "synced_at"])
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .$if(input.lock === true, (q) => q.forUpdate())
    .executeTakeFirst();
  const generation = snapshot ? Number(snapshot.generation) : -1;
  // Each row hashed on its own, then the rows' hashes: no string the size of the whole list.
  const { rows } = await sql<{ count: number; fingerprint: string }>`
    select coalesce(sum(o.size), 0)::int as count,
      encode(sha256(convert_to(coalesce(string_agg(
        o.adam_id || '|' || o.pricing_param || '|' || o.kind || '|' ||
          encode(sha256(convert_to(array_to_string(o.subjects, chr(10)), 'UTF8')), 'hex'),
        chr(10) order by o.adam_id, o.pricing_param, o.kind, o.page), ''), 'UTF8')), 'hex') as fingerprint
    from outside_assignments o
    where o.space_id = ${spaceId} and o.account_id = ${accountId} and o.generation = ${generation}
      and ${ofApp(input.adamId)}`.execute(db);
  return {
    count: Number(rows[0]?.count ?? 0),
    fingerprint: rows[0]?.fingerprint ?? "",
    ...(snapshot ? { generation, syncedAt: snapshot.synced_at } : {}),
  };
}

/**
 * Queues at Apple the release of every assignment of the list's `generation` (of one app)
 * that is not on its way already (a release pending in the outbox or in an Apple call, or a
 * revoke of the subject's every app), in one statement. Never one whose subject holds a
 * license of the app in the account (`held`): Apple holds one assignment per subject and app
 * in a location, so that one is Orchard's now (a device that adopted it or was given the app
 * since the list was read), and releasing it would take the license away. Returns how many
 * were queued, held, and listed. The seats come back as Apple confirms (settleOutsideReleases).
 */
export async function queueReleaseOfList(
  trx: Trx,
  input: { spaceId: string; accountId: string; adamId?: string | undefined; generation: number; now: Date },
): Promise<{ requested: number; held: number; listed: number }> {
  const { spaceId, accountId, generation } = input;
  const at = input.now.toISOString();
  const ofAppL = input.adamId === undefined ? sql`true` : sql`l.adam_id = ${input.adamId}`;
  const { rows } = await sql<{ requested: number; held: number; listed: number }>`with listed as (
      select o.adam_id, o.pricing_param, o.kind, x.subject,
        case when o.subjects_are_keys then x.subject
          else translate(x.subject, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') end as key
      from outside_assignments o cross join lateral unnest(o.subjects) as x(subject)
      where o.space_id = ${spaceId} and o.account_id = ${accountId} and o.generation = ${generation}
        and ${ofApp(input.adamId)}
    ), orchards as materialized (
      select l.adam_id, 'device' as kind,
        translate(d.serial_number, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') as key
      from licenses l join devices d on d.space_id = l.space_id and d.id = l.device_id
      where l.space_id = ${spaceId} and l.account_id = ${accountId} and l.holds_seat and ${ofAppL}
      union all
      select l.adam_id, 'user', u.apple_client_user_id
      from licenses l join users u on u.space_id = l.space_id and u.id = l.user_id
      where l.space_id = ${spaceId} and l.account_id = ${accountId} and l.holds_seat and ${ofAppL}
        and u.apple_client_user_id is not null
    ), releasable as (
      select * from listed l
      where not exists (select 1 from orchards h where h.adam_id = l.adam_id and h.kind = l.kind and h.key = l.key)
    ), on_its_way as materialized (
      select kind, adam_id, case when serial_number is not null then 'device' else 'user' end as subject_kind,
        coalesce(serial_number, client_user_id) as subject
      from outbox
      where space_id = ${spaceId} and account_id = ${accountId} and state = 'pending'
        and kind in ('disassociate', 'revoke')
      union all
      select c.kind, op->>'adamId', case when op->>'serialNumber' is not null then 'device' else 'user' end,
        coalesce(op->>'serialNumber', op->>'clientUserId')
      from apple_calls c cross join lateral jsonb_array_elements(c.ops) as op
      where c.space_id = ${spaceId} and c.account_id = ${accountId} and c.kind in ('disassociate', 'revoke')
    ), queued as (
      insert into outbox (space_id, account_id, kind, adam_id, pricing_param, serial_number, client_user_id,
        created_at, updated_at)
      select ${spaceId}, ${accountId}, 'disassociate', l.adam_id, l.pricing_param,
        case when l.kind = 'device' then l.subject end, case when l.kind = 'user' then l.subject end,
        ${at}::timestamptz, ${at}::timestamptz
      from releasable l
      where not exists (select 1 from on_its_way w
        where w.subject = l.subject and w.subject_kind = l.kind and (w.kind = 'revoke' or w.adam_id = l.adam_id))
      returning 1
    )
    select (select count(*) from queued)::int as requested, (select count(*) from listed)::int as listed,
      (select count(*) from listed)::int - (select count(*) from releasable)::int as held`.execute(trx);
  return {
    requested: Number(rows[0]?.requested ?? 0),
    held: Number(rows[0]?.held ?? 0),
    listed: Number(rows[0]?.listed ?? 0),
  };
}

const ofApp = (adamId: string | undefined) => (adamId === undefined ? sql`true` : sql`o.adam_id = ${adamId}`);
