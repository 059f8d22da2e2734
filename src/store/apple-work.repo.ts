import { sql } from "kysely";
import type { AccountHealth } from "./account.table.js";
import type { Db, Trx } from "./database.js";
import { OUTBOX_KINDS, type OutboxKind } from "./license.table.js";
import { serialKey } from "./serial-key.js";

/**
 * "Apple work": what each account of a space still owes Apple, for administrators.
 *
 * An operation is in exactly one of three places until Apple confirms it (invariant 3):
 * pending in the outbox (due now, or waiting for a retry at `not_before`), carried by an
 * Apple call in flight (`apple_calls`: sending, then sent with its eventId; a device
 * license's association is written as a sending call by its grant), or back in the outbox
 * as `failed` for the record. Done operations leave both tables. The picture is
 * read in one snapshot (REPEATABLE READ), so an operation moving from the outbox into a
 * call, or back, is counted once and never missed.
 *
 * Reads only: grouped queries (one per place, all accounts at once), no index of its own
 * (the outbox is written with every grant; a failure list does not justify an index every
 * grant would pay for). Pending rows are few and `outbox_due` finds them; failed rows are
 * read per account with a top-N sort, never all returned.
 */

export interface PendingOfKind {
  kind: OutboxKind;
  count: number;
  /** Of `count`, those Apple or the dispatcher put off until a later retry (`not_before` in the future). */
  waitingRetry: number;
  oldestCreatedAt: Date;
}

export const CALL_STATES = ["queued", "sending", "sent"] as const;
export type CallState = (typeof CALL_STATES)[number];

export interface CallInFlight {
  id: string;
  kind: OutboxKind;
  /** Operations the call carries. */
  operations: number;
  /**
   * `queued`: written with its licenses, no worker has taken it yet (a device grant's call);
   * `sending`: being sent, or Apple has not accepted it yet and it is sent again at
   * `notBefore`; `sent`: accepted (eventId), its result awaited.
   */
  state: CallState;
  eventId?: string;
  sentAt?: Date;
  attempts: number;
  lastError?: string;
  /** When it is sent again (`sending`) or its event looked at again (`sent`). */
  notBefore?: Date;
  createdAt: Date;
}

export interface FailedOperation {
  seq: number;
  kind: OutboxKind;
  adamId?: string;
  appName?: string;
  serialNumber?: string;
  deviceId?: string;
  clientUserId?: string;
  userId?: string;
  userName?: string;
  lastError?: string;
  eventId?: string;
  failedAt: Date;
  /** The license a release (or an association) was for. */
  licenseId?: string;
  /**
   * A release Apple refused whose license still holds its seat (`pending_release`):
   * nothing sends it again by itself; an administrator sends it again or abandons it
   * (apple-refusals.repo.ts).
   */
  releaseRefused: boolean;
}

export interface AccountAppleWork {
  accountId: string;
  displayName: string;
  health: AccountHealth;
  /** NT2: a token problem (any health but ok) pauses the account's Apple work; nothing is sent or followed. */
  paused: boolean;
  pending: {
    total: number;
    byKind: PendingOfKind[];
    oldestCreatedAt?: Date;
    waitingRetry: number;
    /** The earliest retry among the waiting ones. */
    nextRetryAt?: Date;
    /** Why the most recently put-off operation waits (its `last_error`). */
    lastRetryReason?: string;
    lastRetryAt?: Date;
  };
  inFlight: {
    /** All calls in flight and the operations they carry; `items` holds the oldest `callLimit`. */
    calls: number;
    operations: number;
    items: CallInFlight[];
  };
  failures: {
    /**
     * All failed operations kept for the record (for their retention: retention.repo.ts);
     * `items` holds the newest `failureLimit`.
     */
    total: number;
    items: FailedOperation[];
  };
  /**
   * What Apple refused for good and waits for an administrator (apple-refusals.repo.ts):
   * requests whose subject no other account can serve (MA2, DB2), releases whose license
   * still holds its seat (RV1-RV5). Nothing here is sent again by itself.
   */
  refusals: { requests: number; releases: number };
}

export interface AppleWorkQuery {
  spaceId: string;
  /** One account only; unset, every account of the space. */
  accountId?: string;
  now: Date;
  failureLimit?: number;
  callLimit?: number;
}

export const DEFAULT_FAILURE_LIMIT = 20;
export const DEFAULT_CALL_LIMIT = 50;

/** The Apple work of the space's accounts (or of one), in priority order; [] when none matches. */
export async function appleWorkOfSpace(db: Db, query: AppleWorkQuery): Promise<AccountAppleWork[]> {
  if (db.isTransaction) return readAppleWork(db as Trx, query);
  return db
    .transaction()
    .setIsolationLevel("repeatable read")
    .setAccessMode("read only")
    .execute((trx) => readAppleWork(trx, query));
}

/** One account's Apple work; undefined when the space has no such account. */
export async function appleWorkOfAccount(
  db: Db,
  query: AppleWorkQuery & { accountId: string },
): Promise<AccountAppleWork | undefined> {
  const [work] = await appleWorkOfSpace(db, query);
  return work;
}

async function readAppleWork(trx: Trx, query: AppleWorkQuery): Promise<AccountAppleWork[]> {
  const { spaceId, now } = query;
  const failureLimit = clamp(query.failureLimit ?? DEFAULT_FAILURE_LIMIT, 0, 500);
  const callLimit = clamp(query.callLimit ?? DEFAULT_CALL_LIMIT, 0, 500);
  // Never the sToken: only the columns shown.
  let accountsQuery = trx
    .selectFrom("accounts")
    .select(["id", "display_name", "health"])
    .where("space_id", "=", spaceId)
    .orderBy("priority");
  if (query.accountId !== undefined) accountsQuery = accountsQuery.where("id", "=", query.accountId);
  const accounts = await accountsQuery.execute();
  if (accounts.length === 0) return [];
  const ids = accounts.map((a) => a.id);
  const onAccounts = (column: string) => sql`${sql.ref(column)} = any(${ids}::text[])`;

  const pending = await sql<{
    account_id: string;
    kind: OutboxKind;
    n: number;
    waiting: number;
    oldest: Date | string;
    next_retry: Date | string | null;
  }>`select o.account_id, o.kind, count(*)::int as n,
        (count(*) filter (where o.not_before > ${now}))::int as waiting,
        min(o.created_at) as oldest,
        min(o.not_before) filter (where o.not_before > ${now}) as next_retry
      from outbox o
      where o.state = 'pending' and o.space_id = ${spaceId} and ${onAccounts("o.account_id")}
      group by o.account_id, o.kind`.execute(trx);

  const reasons = await sql<{ account_id: string; last_error: string; updated_at: Date | string }>`
    select distinct on (o.account_id) o.account_id, o.last_error, o.updated_at
      from outbox o
      where o.state = 'pending' and o.space_id = ${spaceId} and ${onAccounts("o.account_id")}
        and o.not_before > ${now} and o.last_error is not null
      order by o.account_id, o.updated_at desc, o.seq desc`.execute(trx);

  // Calls are few (one per Apple request); the operations they carry are counted, never read.
  // At least one row per account with calls, for its totals.
  const calls = await sql<{
    account_id: string;
    id: string;
    kind: OutboxKind;
    operations: number;
    state: CallState;
    event_id: string | null;
    sent_at: Date | string | null;
    attempts: number;
    last_error: string | null;
    not_before: Date | string | null;
    created_at: Date | string;
    calls_total: number;
    ops_total: number;
    rn: number;
  }>`select * from (
      select c.account_id, c.id, c.kind, jsonb_array_length(c.ops) as operations,
        case when c.state = 'sending' and c.claimed_by is null then 'queued' else c.state end
          as state,
        c.event_id,
        c.sent_at, c.attempts, c.last_error, c.not_before, c.created_at,
        (count(*) over (partition by c.account_id))::int as calls_total,
        (sum(jsonb_array_length(c.ops)) over (partition by c.account_id))::int as ops_total,
        (row_number() over (partition by c.account_id order by c.created_at, c.id))::int as rn
      from apple_calls c
      where c.space_id = ${spaceId} and ${onAccounts("c.account_id")}
    ) t
    where t.rn <= ${Math.max(1, callLimit)}
    order by t.account_id, t.rn`.execute(trx);

  // Failed operations are history (kept for the record, HISTORY_RETENTION_DAYS) and have no index of
  // their own: one pass per account counts them and keeps the newest (top-N), and only
  // those rows get their names. With no failure to list, one row still carries the count.
  // A failure names its device by the serial sent to Apple, which may be a spelling from
  // before 0026 (c02d0000, of the device now C02D0000): the device is found in any case
  // through `devices_serial_key`, the one sent that spelling first.
  const failures = await sql<{
    account_id: string;
    seq: number | string;
    kind: OutboxKind;
    adam_id: string | null;
    app_name: string | null;
    serial_number: string | null;
    device_id: string | null;
    client_user_id: string | null;
    user_id: string | null;
    user_name: string | null;
    last_error: string | null;
    event_id: string | null;
    updated_at: Date | string;
    total: number;
    license_id: string | null;
    release_refused: boolean | null;
  }>`select f.account_id, f.seq, f.kind, f.adam_id, coalesce(s.name, ca.name) as app_name,
      f.serial_number, d.id as device_id, f.client_user_id, u.id as user_id, u.name as user_name,
      f.last_error, f.event_id, f.updated_at, f.total, f.license_id,
      (f.kind in ('disassociate', 'revoke') and l.state = 'pending_release') as release_refused
    from unnest(${ids}::text[]) as acc(id)
    cross join lateral (
      select o.account_id, o.seq, o.kind, o.adam_id, o.serial_number, o.client_user_id, o.last_error,
        o.event_id, o.updated_at, o.license_id, (count(*) over ())::int as total
      from outbox o
      where o.space_id = ${spaceId} and o.account_id = acc.id and o.state = 'failed'
      order by o.updated_at desc, o.seq desc
      limit ${Math.max(1, failureLimit)}
    ) f
    left join assets s on s.space_id = ${spaceId} and s.account_id = f.account_id and s.adam_id = f.adam_id
    left join catalog_apps ca on ca.space_id = ${spaceId} and ca.adam_id = f.adam_id
    left join lateral (
      select d.id from devices d
      where d.space_id = ${spaceId} and ${serialKey("d.serial_number")} = ${serialKey("f.serial_number")}
      order by (d.serial_number = f.serial_number
          or d.apple_serial_number is not distinct from f.serial_number) desc,
        d.created_at, d.id
      limit 1
    ) d on true
    left join users u on u.space_id = ${spaceId} and u.apple_client_user_id = f.client_user_id
    left join licenses l on l.space_id = ${spaceId} and l.id = f.license_id
    order by f.account_id, f.updated_at desc, f.seq desc`.execute(trx);

  // What waits for an administrator, as apple-refusals.repo.ts `openRefusals` counts it,
  // each part from its partial index (license_queue_apple_refused, outbox_failed_releases).
  const refused = await sql<{ account_id: string; requests: number; releases: number }>`
    select account_id, sum(requests)::int as requests, sum(releases)::int as releases from (
      select q.refused_account_id as account_id, count(*)::int as requests, 0 as releases
      from license_queue q
      where q.space_id = ${spaceId} and q.reason = 'apple_refused' and ${onAccounts("q.refused_account_id")}
      group by 1
      union all
      select l.account_id, 0, count(distinct l.id)::int
      from outbox o join licenses l on l.space_id = o.space_id and l.id = o.license_id
      where o.space_id = ${spaceId} and o.state = 'failed' and o.kind in ('disassociate', 'revoke')
        and o.license_id is not null and l.state = 'pending_release' and ${onAccounts("l.account_id")}
      group by 1
    ) r
    group by account_id`.execute(trx);
  const refusals = new Map(
    refused.rows.map((r) => [r.account_id, { requests: Number(r.requests), releases: Number(r.releases) }]),
  );

  return accounts.map((a) => {
    const byKind: PendingOfKind[] = pending.rows
      .filter((r) => r.account_id === a.id)
      .map((r) => ({
        kind: r.kind,
        count: Number(r.n),
        waitingRetry: Number(r.waiting),
        oldestCreatedAt: toDate(r.oldest),
      }))
      .sort((x, y) => OUTBOX_KINDS.indexOf(x.kind) - OUTBOX_KINDS.indexOf(y.kind));
    const total = byKind.reduce((n, k) => n + k.count, 0);
    const waitingRetry = byKind.reduce((n, k) => n + k.waitingRetry, 0);
    const oldest = earliest(byKind.map((k) => k.oldestCreatedAt));
    const nextRetry = earliest(
      pending.rows
        .filter((r) => r.account_id === a.id && r.next_retry !== null)
        .map((r) => toDate(r.next_retry)),
    );
    const reason = reasons.rows.find((r) => r.account_id === a.id);
    const ownCalls = calls.rows.filter((r) => r.account_id === a.id);
    // The first row carries the account's totals even when no call is to be listed.
    const totals = ownCalls[0];
    return {
      accountId: a.id,
      displayName: a.display_name,
      health: a.health,
      paused: a.health !== "ok",
      pending: {
        total,
        byKind,
        ...(oldest ? { oldestCreatedAt: oldest } : {}),
        waitingRetry,
        ...(nextRetry ? { nextRetryAt: nextRetry } : {}),
        ...(reason ? { lastRetryReason: reason.last_error, lastRetryAt: toDate(reason.updated_at) } : {}),
      },
      inFlight: {
        calls: Number(totals?.calls_total ?? 0),
        operations: Number(totals?.ops_total ?? 0),
        items: ownCalls.slice(0, callLimit).map(
          (c): CallInFlight => ({
            id: c.id,
            kind: c.kind,
            operations: Number(c.operations),
            state: c.state,
            ...(c.event_id ? { eventId: c.event_id } : {}),
            ...(c.sent_at ? { sentAt: toDate(c.sent_at) } : {}),
            attempts: Number(c.attempts),
            ...(c.last_error ? { lastError: c.last_error } : {}),
            ...(c.not_before ? { notBefore: toDate(c.not_before) } : {}),
            createdAt: toDate(c.created_at),
          }),
        ),
      },
      failures: {
        total: Number(failures.rows.find((r) => r.account_id === a.id)?.total ?? 0),
        items: failures.rows
          .filter((r) => r.account_id === a.id)
          .slice(0, failureLimit)
          .map(
            (r): FailedOperation => ({
              seq: Number(r.seq),
              kind: r.kind,
              ...(r.adam_id ? { adamId: r.adam_id } : {}),
              ...(r.app_name ? { appName: r.app_name } : {}),
              ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
              ...(r.device_id ? { deviceId: r.device_id } : {}),
              ...(r.client_user_id ? { clientUserId: r.client_user_id } : {}),
              ...(r.user_id ? { userId: r.user_id } : {}),
              ...(r.user_name ? { userName: r.user_name } : {}),
              ...(r.last_error ? { lastError: r.last_error } : {}),
              ...(r.event_id ? { eventId: r.event_id } : {}),
              failedAt: toDate(r.updated_at),
              ...(r.license_id ? { licenseId: r.license_id } : {}),
              releaseRefused: r.release_refused === true,
            }),
          ),
      },
      refusals: refusals.get(a.id) ?? { requests: 0, releases: 0 },
    };
  });
}

function toDate(value: Date | string | null): Date {
  return value instanceof Date ? value : new Date(value ?? 0);
}

function earliest(dates: readonly Date[]): Date | undefined {
  let min: Date | undefined;
  for (const d of dates) if (!min || d < min) min = d;
  return min;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
