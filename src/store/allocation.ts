import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import {
  type Decision,
  decide,
  type License,
  type LicenseRequest,
  type RequestReason,
} from "../licensing/index.js";
import { activityMessage, renderActivityMessage } from "./activity-messages.js";
import type { AccountRefusal } from "./apple-refusals.repo.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { StoreError, sqlState, UNIQUE_VIOLATION } from "./errors.js";
import { decidedForGood, dequeue, subjectKey } from "./queue.repo.js";
import { lockedSeats } from "./seats.js";
import type { Actor } from "./sql-helpers.js";
import { servedWaitsStillApplying } from "./stale-waits.repo.js";
import { addLicense, loadWorldSnapshot, type WorldSnapshot, worldFor } from "./world.js";

export interface AllocationInput {
  spaceId: string;
  adamId: string;
  /** Decided in this order: an earlier grant can fill the last seat a later request wanted. */
  requests: readonly LicenseRequest[];
  actor: Actor;
  now: Date;
  /**
   * DB2: the requests are the queue's, being served (sync/queue.ts): only those that still
   * wait and still apply are decided (servedWaitsStillApplying); the others have no result.
   */
  served?: boolean;
}

export interface AllocationResult {
  request: LicenseRequest;
  decision: Decision;
  /** The new license (state pending_assign) when the decision is a grant. */
  licenseId?: string;
  /** The display name of the account a grant or a keep names (read with the world). */
  accountName?: string;
  /** MA2, DB2: the accounts passed over because Apple refused this subject there. */
  appleRefusedAccountIds?: readonly string[];
}

/**
 * Decides a batch of requests for one app and makes the grants real, in one transaction:
 * the app's asset rows are locked first (FOR UPDATE, account order), so allocators of
 * the same app run one after the other and each sees the seats the previous one took
 * (invariant 1). Grants become licenses (pending_assign) with their association for Apple
 * (an Apple call, or an outbox entry: writeGrants) and activity-log entry (rule ids from
 * `because`); waits join the queue.
 *
 * A second live license for a subject is refused by the schema (invariant 2); should one
 * slip in through another path, the batch is rolled back and decided once more (the
 * subject then keeps its license), and only then fails with `live_license_exists`.
 */
export async function requestLicenses(db: Db, input: AllocationInput): Promise<AllocationResult[]> {
  const stray = input.requests.find((r) => r.spaceId !== input.spaceId || r.adamId !== input.adamId);
  if (stray) {
    throw new StoreError("invalid_request", "every request of a batch is for the batch's space and app", {
      spaceId: stray.spaceId,
      adamId: stray.adamId,
    });
  }
  if (input.requests.length === 0) return [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(db, (trx) => allocate(trx, input));
    } catch (error) {
      if (!isLiveLicenseConflict(error)) throw error;
      if (attempt >= 2 || db.isTransaction) {
        throw new StoreError(
          "live_license_exists",
          "a subject already holds a live license for this app",
          undefined,
          {
            cause: error,
          },
        );
      }
    }
  }
}

async function allocate(trx: Trx, input: AllocationInput): Promise<AllocationResult[]> {
  const { spaceId, adamId, now } = input;
  const snapshot = await loadWorldSnapshot(trx, {
    spaceId,
    adamId,
    subjects: input.requests.map((r) => r.subject),
    lockAssets: true,
  });
  const seats = lockedSeats(snapshot);
  // DB2: a served wait is decided only while it still waits and applies, under its row's lock.
  const requests = input.served ? await servedWaitsStillApplying(trx, input) : input.requests;
  const results: AllocationResult[] = [];
  const granted: Grant[] = [];
  for (const request of requests) {
    // MA2, DB2: accounts Apple refused for the subject are passed over (the world says which):
    // another may serve it; when none can, it waits until an administrator sends it again.
    const world = worldFor(snapshot, request);
    const decision = decide(request, world);
    const result: AllocationResult = { request, decision };
    if (world.appleRefusedAccountIds) result.appleRefusedAccountIds = world.appleRefusedAccountIds;
    results.push(result);
    if ("accountId" in decision) {
      const accountName = snapshot.accountNames.get(decision.accountId);
      if (accountName) result.accountName = accountName;
    }
    if (decision.outcome !== "grant") continue;
    seats.take(decision.accountId, decision.reserved);
    const license = newLicense(snapshot, request, decision);
    addLicense(snapshot, license); // a later request of the same subject now keeps it (LT4)
    granted.push({
      license,
      reserved: decision.reserved,
      because: decision.because,
      subject: subjectKey(request.subject),
      why: request.why,
    });
    result.licenseId = license.id;
  }
  if (granted.length > 0) {
    // One statement under the lock: licenses, outbox, log, seats taken, queue left.
    await writeGrants(trx, snapshot, granted, input, seats.taken(), decidedForGood(results));
  } else {
    await dequeue(trx, spaceId, adamId, results);
  }
  await enqueueWaiting(trx, spaceId, adamId, results, snapshot.appleRefusals, now);
  return results;
}

/**
 * Device licenses granted go to Apple as calls written with them, in full calls of this
 * many serials per account (Apple's documented `maxSerialNumbers`), in state `sending` for
 * any worker to send, instead of outbox rows a worker would read, lock, delete and group
 * into the same calls. What does not fill a call (a single check-in, a storm batch's
 * remainder) goes to the outbox, where the dispatcher groups it with whatever else is
 * pending: Apple sees ceil(N / 1,000) calls either way, not a call per request. The
 * dispatcher splits a call that an account's own limits say is too large (dispatch.ts).
 * User licenses go through the outbox too: their user may have to be created at Apple first.
 */
export const DIRECT_CALL_SUBJECTS = 1000;

/**
 * A grant to write; `subject` is the request's ("u:<userId>" or "d:<deviceId>"), as its
 * queue row is keyed, and `why` its reason: both are kept on the license (0016).
 */
interface Grant {
  license: License;
  reserved: boolean;
  because: readonly string[];
  subject: string;
  why: RequestReason;
}

function newLicense(
  snapshot: WorldSnapshot,
  request: LicenseRequest,
  decision: Extract<Decision, { outcome: "grant" }>,
): License {
  const { spaceId, adamId } = snapshot;
  const { accountId } = decision;
  if (decision.type === "device") {
    if (request.subject.kind !== "device")
      throw new StoreError("invalid_request", "a device license needs a device");
    const deviceId = request.subject.deviceId;
    return {
      id: randomUUID(),
      spaceId,
      accountId,
      adamId,
      state: "pending_assign",
      type: "device",
      deviceId,
    };
  }
  const userId =
    request.subject.kind === "user"
      ? request.subject.userId
      : snapshot.devices.get(request.subject.deviceId)?.userId;
  if (!userId) throw new StoreError("invalid_request", "a user license needs a user");
  return { id: randomUUID(), spaceId, accountId, adamId, state: "pending_assign", type: "user", userId };
}

/**
 * The grants' licenses (pending_assign), their associations for Apple and their
 * activity-log lines (rule ids from `because`), the seats they take and the queue rows of
 * subjects decided for good, in one statement: each column is sent once as an array and
 * the INSERTs read the same unnest. Device licenses of a healthy account (NT2) that fill a
 * call are written into it (DIRECT_CALL_SUBJECTS), unless a release of the serial is pending
 * in the outbox, or any release is in a call Apple has not answered: then they wait in the
 * outbox, where the dispatcher holds it until the release is done, so Apple never sees the
 * two in the wrong order. (Calls are not searched subject by subject here: a mass
 * revocation's calls carry tens of thousands of operations, and every grant would read
 * them; the dispatcher does it once a round.) Its seq comes
 * from the outbox's sequence (looked up once: per row, the name lookup cost six times the
 * nextval), as if it had been written there first (invariant 3: the
 * license and its Apple operation commit together either way). A second live license still fails the whole
 * statement on the schema's unique index (invariant 2); a seat past an asset's total
 * leaves its row unchanged, and the batch is refused (invariant 1 does not rest on the
 * engine alone).
 *
 * DB2, UB3: each license keeps when its subject first asked (`requested_at`): the time of
 * the queue row the grant takes it out of, read from the DELETE's RETURNING in the same
 * statement and matched on the request's subject (a device's request can be granted a
 * user-based license, which names the user, not the device); `now` when it did not wait.
 * DB2, LT2: each license also keeps that request's subject and reason (`request_subject`,
 * `request_why`, 0016), so that a refused assignment puts back the subject that asked.
 */
async function writeGrants(
  trx: Trx,
  snapshot: WorldSnapshot,
  granted: readonly Grant[],
  input: AllocationInput,
  taken: ReadonlyMap<string, number>,
  leaving: { userIds: readonly string[]; deviceIds: readonly string[] },
): Promise<void> {
  const { now, actor } = input;
  const n = granted.length;
  const ids = new Array<string>(n);
  const accountIds = new Array<string>(n);
  const types = new Array<string>(n);
  const userIds = new Array<string | null>(n);
  const deviceIds = new Array<string | null>(n);
  const reserved = new Array<boolean>(n);
  const rules = new Array<string>(n);
  const pricing = new Array<string | null>(n);
  const serials = new Array<string | null>(n);
  const clientUserIds = new Array<string | null>(n);
  const subjects = new Array<string>(n);
  const whys = new Array<string>(n);
  const sendable = new Array<boolean>(n);
  const usable = new Set(snapshot.accounts.flatMap((a) => (a.usable ? [a.id] : [])));
  granted.forEach(({ license, reserved: r, because, subject, why }, i) => {
    ids[i] = license.id;
    accountIds[i] = license.accountId;
    types[i] = license.type;
    userIds[i] = license.type === "user" ? (license.userId ?? null) : null;
    deviceIds[i] = license.type === "device" ? (license.deviceId ?? null) : null;
    reserved[i] = r;
    rules[i] = because.join(",");
    pricing[i] = snapshot.assets.get(license.accountId)?.pricingParam ?? null;
    serials[i] = license.deviceId ? (snapshot.devices.get(license.deviceId)?.serialNumber ?? null) : null;
    clientUserIds[i] = license.userId ? (snapshot.users.get(license.userId)?.clientUserId ?? null) : null;
    subjects[i] = subject;
    whys[i] = why;
    sendable[i] = serials[i] !== null && usable.has(license.accountId);
  });
  const at = now.toISOString();
  const { spaceId, adamId } = snapshot;
  const { rows } = await sql<{ seats: number }>`with g as (
      select * from unnest(${ids}::text[], ${accountIds}::text[], ${types}::text[], ${userIds}::text[],
        ${deviceIds}::text[], ${reserved}::boolean[], ${rules}::text[], ${pricing}::text[],
        ${serials}::text[], ${clientUserIds}::text[], ${subjects}::text[], ${whys}::text[], ${sendable}::boolean[])
        with ordinality as t(id, account_id, type, user_id, device_id, reserved, rules, pricing_param, serial_number,
          client_user_id, subject, why, sendable, ord)
    ), sendable as (
      select g.id, g.account_id, g.pricing_param, g.serial_number,
        (row_number() over (partition by g.account_id order by g.ord) - 1) / ${DIRECT_CALL_SUBJECTS} as chunk
      from g
      where g.sendable
        and not exists (select 1 from apple_calls c where c.space_id = ${spaceId}
          and c.kind in ('disassociate', 'revoke'))
        and not exists (select 1 from outbox o where o.space_id = ${spaceId} and o.state = 'pending'
          and o.kind in ('disassociate', 'revoke') and o.serial_number = g.serial_number)
    ), chunked as (
      select s.*, count(*) over (partition by s.account_id, s.chunk) as size from sendable s
    ), direct as (
      select c.id, c.account_id, c.pricing_param, c.serial_number, c.chunk,
        nextval((select pg_get_serial_sequence('outbox', 'seq'))::regclass) as seq
      from chunked c
      where c.size = ${DIRECT_CALL_SUBJECTS}
    ), called as (
      insert into apple_calls (space_id, id, account_id, kind, assets, ops, state, created_at, updated_at)
      select ${spaceId}, gen_random_uuid()::text, d.account_id, 'associate',
        jsonb_build_array(jsonb_strip_nulls(jsonb_build_object('adamId', ${adamId}::text,
          'pricingParam', d.pricing_param))),
        jsonb_agg(jsonb_strip_nulls(jsonb_build_object('seq', d.seq, 'adamId', ${adamId}::text,
          'pricingParam', d.pricing_param, 'serialNumber', d.serial_number, 'licenseId', d.id, 'attempts', 0,
          'createdAt', ${at}::text)) order by d.seq),
        'sending', ${at}::timestamptz, ${at}::timestamptz
      from direct d
      group by d.account_id, d.pricing_param, d.chunk
    ), dequeued as (
      delete from license_queue q
      where q.space_id = ${spaceId} and q.adam_id = ${adamId}
        and (q.user_id = any(${[...leaving.userIds]}::text[]) or q.device_id = any(${[...leaving.deviceIds]}::text[]))
      returning case when q.user_id is not null then 'u:' || q.user_id else 'd:' || q.device_id end as subject,
        q.requested_at
    ), licensed as (
      insert into licenses (space_id, id, account_id, adam_id, type, user_id, device_id, state, reserved,
        rule_ids, created_at, updated_at, requested_at, request_subject, request_why)
      select ${spaceId}, g.id, g.account_id, ${adamId}, g.type, g.user_id, g.device_id, 'pending_assign',
        g.reserved, coalesce(string_to_array(g.rules, ','), '{}'), ${at}::timestamptz, ${at}::timestamptz,
        coalesce(w.requested_at, ${at}::timestamptz), g.subject, g.why
      from g left join dequeued w on w.subject = g.subject
    ), queued as (
      insert into outbox (space_id, account_id, kind, adam_id, pricing_param, serial_number, client_user_id,
        license_id, created_at, updated_at)
      select ${spaceId}, g.account_id, 'associate', ${adamId}, g.pricing_param, g.serial_number,
        g.client_user_id, g.id, ${at}::timestamptz, ${at}::timestamptz
      from g
      where not exists (select 1 from direct d where d.id = g.id)
    ), logged as (
      insert into activity_log (space_id, at, actor_kind, actor_id, action, user_id, device_id, adam_id,
        account_id, license_id, rule_ids, message, message_key, message_params)
      select ${spaceId}, ${at}::timestamptz, ${actor.kind}::text, ${actor.id ?? null}::text, 'license.granted',
        g.user_id, g.device_id, ${adamId}, g.account_id, g.id, coalesce(string_to_array(g.rules, ','), '{}'),
        ${GRANTED_TEXTS}::jsonb ->> m.key, m.key, '{}'::jsonb
      from g cross join lateral
        (select 'license.granted_' || g.type || case when g.reserved then '_reserved' else '' end as key) m
    ), seats as (
      update assets a set used = a.used + t.n, updated_at = ${at}::timestamptz
      from unnest(${[...taken.keys()]}::text[], ${[...taken.values()]}::int[]) as t(account_id, n)
      where a.space_id = ${spaceId} and a.adam_id = ${adamId} and a.account_id = t.account_id
        and a.used + t.n <= a.total_count
      returning a.account_id
    )
    select (select count(*) from seats)::int as seats`.execute(trx);
  const updated = Number(rows[0]?.seats ?? 0);
  if (updated !== taken.size) {
    throw new StoreError("overcommit", `a grant would pass an account's total for ${adamId}`, { adamId });
  }
}

/**
 * The English text of each grant's line (activity-messages.ts), by key: license type ×
 * reserved. The statement names the key of each grant and reads its text here, so that the
 * catalogue stays the one source of the words.
 */
const GRANTED_TEXTS = JSON.stringify(
  Object.fromEntries(
    [
      activityMessage("license.granted_user"),
      activityMessage("license.granted_user_reserved"),
      activityMessage("license.granted_device"),
      activityMessage("license.granted_device_reserved"),
    ].map((message) => [message.key, renderActivityMessage(message)]),
  ),
);

/**
 * DB2, UB3: requests that wait join the queue; one already queued keeps its place (its
 * reason and rules are brought up to date). The last decision per subject counts. One
 * INSERT … SELECT FROM unnest per subject kind: a storm queues thousands per batch, and
 * a row of bound parameters per request would cost more than the rows themselves.
 * A request that waits for an administrator (`apple_refused`, MA2) carries the newest of
 * Apple's refusals of it, for the views; any other wait carries none.
 */
async function enqueueWaiting(
  trx: Trx,
  spaceId: string,
  adamId: string,
  results: readonly AllocationResult[],
  refusals: ReadonlyMap<string, readonly AccountRefusal[]>,
  now: Date,
): Promise<void> {
  const last = new Map<string, AllocationResult>();
  for (const r of results) {
    const s = r.request.subject;
    last.set(s.kind === "user" ? `u:${s.userId}` : `d:${s.deviceId}`, r);
  }
  for (const kind of ["user", "device"] as const) {
    const ids: string[] = [];
    const whys: string[] = [];
    const reasons: string[] = [];
    const rules: string[] = [];
    const refused: Array<AccountRefusal | undefined> = [];
    for (const [key, { request, decision }] of last) {
      if (decision.outcome !== "wait" || request.subject.kind !== kind) continue;
      ids.push(request.subject.kind === "user" ? request.subject.userId : request.subject.deviceId);
      whys.push(request.why);
      reasons.push(decision.reason);
      rules.push(decision.because.join(","));
      refused.push(decision.reason === "apple_refused" ? refusals.get(key)?.[0] : undefined);
    }
    if (ids.length === 0) continue;
    const column = sql.ref(kind === "user" ? "user_id" : "device_id");
    const at = now.toISOString();
    const refusal = <T>(of: (r: AccountRefusal) => T) => refused.map((r) => (r ? of(r) : null));
    await sql`insert into license_queue
        (space_id, adam_id, ${column}, why, reason, rule_ids, requested_at, decided_at,
          apple_error_number, apple_error_message, refused_account_id, refused_at)
      select ${spaceId}, ${adamId}, t.id, t.why, t.reason,
        coalesce(string_to_array(t.rules, ','), '{}'), ${at}::timestamptz, ${at}::timestamptz,
        t.error_number, t.error_message, t.account_id, t.refused_at
      from unnest(${ids}::text[], ${whys}::text[], ${reasons}::text[], ${rules}::text[],
          ${refusal((r) => r.errorNumber)}::int[], ${refusal((r) => r.message ?? null)}::text[],
          ${refusal((r) => r.accountId)}::text[], ${refusal((r) => r.refusedAt.toISOString())}::timestamptz[])
        as t(id, why, reason, rules, error_number, error_message, account_id, refused_at)
      on conflict (space_id, adam_id, ${column}) where ${column} is not null
      do update set reason = excluded.reason, rule_ids = excluded.rule_ids, decided_at = excluded.decided_at,
        -- MA2, DB2: the refusal it waits with, when it waits for an administrator.
        apple_error_number = excluded.apple_error_number, apple_error_message = excluded.apple_error_message,
        refused_account_id = excluded.refused_account_id, refused_at = excluded.refused_at`.execute(trx);
  }
}

function isLiveLicenseConflict(error: unknown): boolean {
  if (sqlState(error) !== UNIQUE_VIOLATION) return false;
  const constraint =
    typeof error === "object" && error !== null && "constraint" in error ? error.constraint : "";
  return typeof constraint === "string" && constraint.startsWith("licenses_one_live");
}
