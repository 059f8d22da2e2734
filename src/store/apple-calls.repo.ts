import { randomUUID } from "node:crypto";
import { type Selectable, sql, type UpdateQueryBuilder, type UpdateResult } from "kysely";
import { type Database, type Db, type Trx, withTransaction } from "./database.js";
import type { OutboxKind } from "./license.table.js";
import { type OutboxRecord, operationOf } from "./outbox.repo.js";
import type { AppleCallTable, CallOpJson } from "./sync.table.js";

/**
 * Apple calls in flight (0010_apple_calls):
 *
 *   outbox (pending) --formCalls--> apple_calls (sending, claimed) --recordCallSent--> sent (eventId, claimed)
 *   device grants --writeGrants (allocation.ts)--> sending (never claimed: claimed_by null, the only
 *     calls that can be; once taken, a call keeps its last holder even when its lease ends)
 *   sending (claimed), planned again --replaceCalls--> sending (claimed): split to the account's limits, or
 *     associations of several apps for the same devices merged
 *   sending (unclaimed or lease run out, due) --claimCalls--> sending (claimed): sent again
 *   sent (due; mine, or lease run out) --claimCalls--> sent (claimed): Apple's result looked at
 *   sent --settleCallOps--> ops done (gone), failed or resent (back in the outbox, same seq); call gone when empty
 *
 * A call is one Apple request: it is written once per request, not once per operation.
 * Its lease (`claimed_until`) keeps other workers away while one sends or follows it; a
 * worker that dies leaves it to any worker once the lease runs out, which sends it again
 * (associate and disassociate are idempotent) or looks at its event.
 */
export interface AppleCall {
  spaceId: string;
  id: string;
  accountId: string;
  kind: OutboxKind;
  assets: Array<{ adamId: string; pricingParam?: string }>;
  /** The operations carried, as outbox records (state `sent` once Apple accepted the call). */
  ops: OutboxRecord[];
  state: "sending" | "sent";
  eventId?: string;
  attempts: number;
  lastError?: string;
  sentAt?: Date;
  createdAt: Date;
}

export interface NewCall {
  kind: OutboxKind;
  assets: Array<{ adamId: string; pricingParam?: string }>;
  ops: readonly OutboxRecord[];
}

/** Accounts (healthy: NT2 pauses the others) with pending operations due now, oldest work first. */
export async function accountsWithDueOps(
  db: Db,
  now: Date,
  limit = 100,
): Promise<Array<{ spaceId: string; accountId: string }>> {
  // Per healthy account, its oldest due operation: an index probe each (outbox_pending),
  // whatever the number of operations waiting.
  const { rows } = await sql<{ space_id: string; account_id: string }>`
    select a.space_id, a.id as account_id
    from accounts a
    cross join lateral (
      select o.seq from outbox o
      where o.space_id = a.space_id and o.account_id = a.id and o.state = 'pending'
        and (o.not_before is null or o.not_before <= ${now})
      order by o.seq
      limit 1
    ) first
    where a.health = 'ok'
    order by first.seq
    limit ${limit}`.execute(db);
  return rows.map((r) => ({ spaceId: r.space_id, accountId: r.account_id }));
}

/**
 * An account's pending operations due now, oldest first, locked until the transaction
 * ends; rows another worker is turning into calls are skipped (SKIP LOCKED). None while
 * the account is not healthy, or is being marked for deletion: its row is locked
 * FOR KEY SHARE first, as claims do (claimCalls), so the calls formed from these rows are
 * committed before a deletion's mark, or never formed (AC5).
 */
export async function lockPendingOps(
  trx: Trx,
  input: { spaceId: string; accountId: string; now: Date; limit: number },
): Promise<OutboxRecord[]> {
  const healthy = await trx
    .selectFrom("accounts")
    .select("id")
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.accountId)
    .where("health", "=", "ok")
    .forKeyShare()
    .skipLocked()
    .executeTakeFirst();
  if (!healthy) return [];
  const rows = await trx
    .selectFrom("outbox as o")
    // What a call carries, not the row's bookkeeping: a storm reads tens of thousands.
    .select([
      "o.seq",
      "o.kind",
      "o.adam_id",
      "o.pricing_param",
      "o.serial_number",
      "o.client_user_id",
      "o.license_id",
      "o.attempts",
      "o.created_at",
    ])
    .where("o.space_id", "=", input.spaceId)
    .where("o.account_id", "=", input.accountId)
    .where("o.state", "=", "pending")
    .where((eb) => eb.or([eb("o.not_before", "is", null), eb("o.not_before", "<=", input.now)]))
    .orderBy("o.seq")
    .limit(input.limit)
    .forUpdate("o")
    .skipLocked()
    .execute();
  return rows.map((row) => ({
    seq: row.seq,
    spaceId: input.spaceId,
    accountId: input.accountId,
    kind: row.kind,
    ...operationOf(row),
    state: "pending" as const,
    attempts: row.attempts,
    createdAt: row.created_at,
    updatedAt: row.created_at,
  }));
}

interface CallsInput {
  spaceId: string;
  accountId: string;
  calls: readonly NewCall[];
  workerId: string;
  now: Date;
  leaseMs: number;
  /** Attempts and last error of the calls these replace (replaceCalls). */
  history?: { attempts: number; lastError?: string | undefined };
}

/** Turns operations into calls claimed by `workerId`: the calls are written, the rows leave the outbox. */
export async function formCalls(trx: Trx, input: CallsInput): Promise<AppleCall[]> {
  const calls = await insertCalls(trx, input);
  const seqs = input.calls.flatMap((c) => c.ops.map((o) => o.seq));
  if (seqs.length > 0) {
    await trx
      .deleteFrom("outbox")
      .where("space_id", "=", input.spaceId)
      .where(sql<boolean>`seq = any(${seqs}::bigint[])`)
      .execute();
  }
  return calls;
}

/**
 * Replaces calls Apple has not accepted by `calls` (their operations, planned again:
 * dispatch.ts `planAgain`), in one transaction, if `workerId` still holds every one of
 * them; else changes nothing and returns undefined. The operations stay in calls with
 * their seqs throughout: nothing else can take them for unsent (a release closes only
 * outbox associations and calls no worker ever took), which matters when an earlier holder
 * may have sent a call before it stopped (associate and disassociate are idempotent).
 */
export async function replaceCalls(
  db: Db,
  replaced: ReadonlyArray<Pick<AppleCall, "spaceId" | "id" | "accountId">>,
  input: Omit<CallsInput, "spaceId" | "accountId">,
): Promise<AppleCall[] | undefined> {
  const [first] = replaced;
  if (!first) return undefined;
  return withTransaction(db, async (trx) => {
    const gone = await trx
      .deleteFrom("apple_calls")
      .where("space_id", "=", first.spaceId)
      .where(
        "id",
        "in",
        replaced.map((c) => c.id),
      )
      .where("state", "=", "sending")
      .where("claimed_by", "=", input.workerId)
      .returning(["attempts", "last_error"])
      .execute();
    // One of them is another worker's now (its lease ran out): put everything back.
    if (gone.length !== replaced.length) throw new NotAllHeld();
    // The new calls keep the history of the old (the Apple work view shows it).
    const tried = gone.reduce((a, b) => (b.attempts > a.attempts ? b : a));
    return insertCalls(trx, {
      ...input,
      spaceId: first.spaceId,
      accountId: first.accountId,
      history: { attempts: tried.attempts, lastError: tried.last_error ?? undefined },
    });
  }).catch((error: unknown) => {
    if (error instanceof NotAllHeld) return undefined;
    throw error;
  });
}

class NotAllHeld extends Error {}

async function insertCalls(trx: Trx, input: CallsInput): Promise<AppleCall[]> {
  const { spaceId, accountId, now } = input;
  if (input.calls.length === 0) return [];
  const until = new Date(now.getTime() + input.leaseMs);
  const calls: AppleCall[] = input.calls.map((c) => ({
    spaceId,
    id: randomUUID(),
    accountId,
    kind: c.kind,
    assets: c.assets,
    ops: [...c.ops],
    state: "sending",
    attempts: input.history?.attempts ?? 0,
    ...(input.history?.lastError ? { lastError: input.history.lastError } : {}),
    createdAt: now,
  }));
  await trx
    .insertInto("apple_calls")
    .values(
      calls.map((c) => ({
        space_id: spaceId,
        id: c.id,
        account_id: accountId,
        kind: c.kind,
        assets: JSON.stringify(c.assets),
        ops: JSON.stringify(c.ops.map(toOpJson)),
        state: "sending" as const,
        attempts: c.attempts,
        last_error: c.lastError ?? null,
        claimed_by: input.workerId,
        claimed_until: until,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
  return calls;
}

/**
 * Claims calls in `state` due now: for `sent`, the claimant's own (it keeps the lease
 * after sending) and those whose lease ran out; for `sending`, calls not accepted yet
 * whose lease ran out (Apple asked to wait, or the sender stopped). Healthy accounts only
 * (NT2 pauses the others' work; AC5 stops a deleted one's sending, not its following).
 */
export async function claimCalls(
  db: Db,
  input: { state: "sending" | "sent"; workerId: string; now: Date; leaseMs: number; limit: number },
): Promise<AppleCall[]> {
  const { now, workerId } = input;
  const until = new Date(now.getTime() + input.leaseMs);
  const rows = await db
    .updateTable("apple_calls")
    .set({ claimed_by: workerId, claimed_until: until, updated_at: now })
    .where((eb) =>
      eb(
        eb.refTuple("space_id", "id"),
        "in",
        eb
          .selectFrom("apple_calls as c")
          .innerJoin("accounts as a", (j) =>
            j.onRef("a.space_id", "=", "c.space_id").onRef("a.id", "=", "c.account_id"),
          )
          .select(["c.space_id", "c.id"])
          .where("c.state", "=", input.state)
          .where((eb) => eb.or([eb("c.not_before", "is", null), eb("c.not_before", "<=", now)]))
          .where((eb) =>
            eb.or([
              eb("c.claimed_until", "is", null),
              eb("c.claimed_until", "<", now),
              ...(input.state === "sent" ? [eb("c.claimed_by", "=", workerId)] : []),
            ]),
          )
          // A deleting account's accepted calls are still followed: its deletion waits for
          // Apple's results of its associations before it releases them (AC5).
          .where("a.health", "in", input.state === "sent" ? ["ok", "deleting"] : ["ok"])
          .orderBy("c.created_at")
          .limit(input.limit)
          // The account row too, shared with other claimers: a deletion marking it waits for
          // this claim to commit, and a claim meanwhile skips it (markAccountDeleting, AC5).
          .modifyEnd(sql`for update of c skip locked for key share of a skip locked`)
          .$asTuple("space_id", "id"),
      ),
    )
    .returningAll()
    .execute();
  return rows.map(toCall).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}

/**
 * Before each attempt to send a call (retries included): the worker still holds it, and its
 * account is healthy; its lease is renewed. Else the worker lets it go (its lease ends) and
 * false is returned: the account is being deleted (AC5: no attempt starts after the mark,
 * and the deletion stops waiting for this call) or paused (NT2), or another worker took it.
 */
export async function holdCall(
  db: Db,
  input: { spaceId: string; id: string; workerId: string; now: Date; leaseMs: number },
): Promise<boolean> {
  const mine = (q: UpdateQueryBuilder<Database, "apple_calls", "apple_calls", UpdateResult>) =>
    q
      .where("space_id", "=", input.spaceId)
      .where("id", "=", input.id)
      .where("state", "=", "sending")
      .where("claimed_by", "=", input.workerId);
  const held = await mine(
    db
      .updateTable("apple_calls")
      .set({ claimed_until: new Date(input.now.getTime() + input.leaseMs), updated_at: input.now }),
  )
    .where(
      sql<boolean>`exists (select 1 from accounts a where a.space_id = apple_calls.space_id
        and a.id = apple_calls.account_id and a.health = 'ok')`,
    )
    .executeTakeFirst();
  if (held.numUpdatedRows > 0n) return true;
  await mine(db.updateTable("apple_calls").set({ claimed_until: null, updated_at: input.now })).execute();
  return false;
}

/**
 * Apple accepted the call: its eventId first (crash-safe follow-up); the sender keeps the
 * lease to follow it. Only while the sender still holds the call: one whose lease ran out
 * mid-round belongs to the worker that took it over, which sends and records it itself.
 */
export async function recordCallSent(
  db: Db,
  input: {
    spaceId: string;
    id: string;
    workerId: string;
    eventId: string;
    now: Date;
    nextLookAt: Date;
    leaseUntil: Date;
  },
): Promise<void> {
  await db
    .updateTable("apple_calls")
    .set({
      state: "sent",
      event_id: input.eventId,
      sent_at: input.now,
      not_before: input.nextLookAt,
      last_error: null,
      claimed_until: input.leaseUntil,
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .where("claimed_by", "=", input.workerId)
    .execute();
}

/**
 * Leaves a call for later and frees its claim: `sent` looks at its event again at
 * `notBefore`; `sending` sends it (again) then, without the old eventId (Apple lost the
 * event, or it stayed PENDING past Apple's 10 minutes).
 */
export async function postponeCall(
  db: Db,
  input: {
    spaceId: string;
    id: string;
    state: "sending" | "sent";
    notBefore?: Date;
    error?: string;
    now: Date;
  },
): Promise<void> {
  await db
    .updateTable("apple_calls")
    .set({
      state: input.state,
      not_before: input.notBefore ?? null,
      last_error: input.error?.slice(0, 500) ?? null,
      // The lease ends; `claimed_by` stays: a call once taken may have reached Apple.
      claimed_until: null,
      updated_at: input.now,
      ...(input.state === "sending" ? { attempts: sql`attempts + 1`, event_id: null, sent_at: null } : {}),
    })
    .where("space_id", "=", input.spaceId)
    .where("id", "=", input.id)
    .execute();
}

/** What became of a call's operations (by seq); the others stay in the call, waiting for Apple. */
export interface CallSettlement {
  done: readonly number[];
  failed: ReadonlyMap<string, readonly number[]>;
  resend: { seqs: readonly number[]; notBefore: Date; error: string };
  now: Date;
}

/**
 * Settles operations of a call, under its row lock: done ones leave, failed ones go back
 * to the outbox as `failed` (kept for the record, with the eventId), resent ones as
 * `pending`, both with their original seq. The call goes when nothing is left in it.
 * Returns the seqs that were still in the call: an operation settled twice (a
 * notification and a poll) is acted on once.
 */
export async function settleCallOps(
  trx: Trx,
  call: Pick<AppleCall, "spaceId" | "id">,
  settlement: CallSettlement,
): Promise<Set<number>> {
  const row = await trx
    .selectFrom("apple_calls")
    .selectAll()
    .where("space_id", "=", call.spaceId)
    .where("id", "=", call.id)
    .forUpdate()
    .executeTakeFirst();
  if (!row) return new Set();
  const current = toCall(row);
  const inCall = new Set(current.ops.map((o) => o.seq));
  const owned = new Set<number>();
  const back: Array<{ op: OutboxRecord; state: "failed" | "pending"; error: string; notBefore?: Date }> = [];
  const bySeq = new Map(current.ops.map((o) => [o.seq, o]));
  const take = (seq: number) => {
    if (!inCall.has(seq) || owned.has(seq)) return undefined;
    owned.add(seq);
    return bySeq.get(seq);
  };
  for (const seq of settlement.done) take(seq);
  for (const [error, seqs] of settlement.failed) {
    for (const seq of seqs) {
      const op = take(seq);
      if (op) back.push({ op, state: "failed", error });
    }
  }
  for (const seq of settlement.resend.seqs) {
    const op = take(seq);
    if (op)
      back.push({
        op: { ...op, attempts: op.attempts + 1 },
        state: "pending",
        error: settlement.resend.error,
        notBefore: settlement.resend.notBefore,
      });
  }
  if (owned.size === 0) return owned;
  await returnToOutbox(trx, current, back, settlement.now);
  const left = current.ops.filter((o) => !owned.has(o.seq));
  if (left.length === 0) {
    await trx
      .deleteFrom("apple_calls")
      .where("space_id", "=", call.spaceId)
      .where("id", "=", call.id)
      .execute();
  } else {
    await trx
      .updateTable("apple_calls")
      .set({ ops: JSON.stringify(left.map(toOpJson)), updated_at: settlement.now })
      .where("space_id", "=", call.spaceId)
      .where("id", "=", call.id)
      .execute();
  }
  return owned;
}

/** Operations back in the outbox with their original seq (order kept), in one INSERT. */
async function returnToOutbox(
  trx: Trx,
  call: AppleCall,
  back: ReadonlyArray<{ op: OutboxRecord; state: "failed" | "pending"; error: string; notBefore?: Date }>,
  now: Date,
): Promise<void> {
  if (back.length === 0) return;
  const col = <T>(f: (b: (typeof back)[number]) => T) => back.map(f);
  const at = now.toISOString();
  await sql`insert into outbox (space_id, seq, account_id, kind, adam_id, pricing_param, serial_number,
      client_user_id, license_id, state, attempts, last_error, event_id, not_before, created_at, updated_at)
    overriding system value
    select ${call.spaceId}, t.seq, ${call.accountId}, ${call.kind}, t.adam_id, t.pricing_param, t.serial_number,
      t.client_user_id, t.license_id, t.state, t.attempts, t.last_error,
      case when t.state = 'failed' then ${call.eventId ?? null}::text end,
      t.not_before::timestamptz, t.created_at::timestamptz, ${at}::timestamptz
    from unnest(${col((b) => b.op.seq)}::bigint[], ${col((b) => b.op.adamId ?? null)}::text[],
      ${col((b) => b.op.pricingParam ?? null)}::text[], ${col((b) => b.op.serialNumber ?? null)}::text[],
      ${col((b) => b.op.clientUserId ?? null)}::text[], ${col((b) => b.op.licenseId ?? null)}::text[],
      ${col((b) => b.state)}::text[], ${col((b) => b.op.attempts)}::int[], ${col((b) => b.error.slice(0, 500))}::text[],
      ${col((b) => b.notBefore?.toISOString() ?? null)}::text[], ${col((b) => b.op.createdAt.toISOString())}::text[])
      as t(seq, adam_id, pricing_param, serial_number, client_user_id, license_id, state, attempts, last_error,
        not_before, created_at)`.execute(trx);
}

/** Open calls (sending or sent) of an Apple event: notifications name the event. */
export async function findCallsOfEvent(db: Db, eventId: string): Promise<AppleCall[]> {
  const rows = await db
    .selectFrom("apple_calls")
    .selectAll()
    .where("event_id", "=", eventId)
    .where("state", "=", "sent")
    .execute();
  return rows.map(toCall);
}

/**
 * Whether a worker is sending one of the account's calls right now (taken, not yet
 * recorded as sent): Apple's notification of its event may arrive before the eventId does.
 */
export async function accountHasCallsInFlight(
  db: Db,
  input: { spaceId: string; accountId: string; now: Date },
): Promise<boolean> {
  const row = await db
    .selectFrom("apple_calls")
    .select("id")
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where("state", "=", "sending")
    .where("claimed_by", "is not", null)
    .where("claimed_until", ">", input.now)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * A stopping worker hands the calls it holds to the others at once: their leases end.
 * `claimed_by` stays, as everywhere once a worker took a call: a null `claimed_by` means no
 * worker ever took it, so it never reached Apple (closeUnsentAssociations, the Apple work view).
 */
export async function releaseCallLeases(db: Db, input: { workerId: string; now: Date }): Promise<void> {
  await db
    .updateTable("apple_calls")
    .set({ claimed_until: null, updated_at: input.now })
    .where("claimed_by", "=", input.workerId)
    .execute();
}

function toOpJson(op: OutboxRecord): CallOpJson {
  return {
    seq: op.seq,
    ...(op.adamId !== undefined ? { adamId: op.adamId } : {}),
    ...(op.pricingParam !== undefined ? { pricingParam: op.pricingParam } : {}),
    ...(op.serialNumber !== undefined ? { serialNumber: op.serialNumber } : {}),
    ...(op.clientUserId !== undefined ? { clientUserId: op.clientUserId } : {}),
    ...(op.licenseId !== undefined ? { licenseId: op.licenseId } : {}),
    attempts: op.attempts,
    createdAt: op.createdAt.toISOString(),
  };
}

function parseJson<T>(value: T | string): T {
  return typeof value === "string" ? (JSON.parse(value) as T) : value;
}

export function toCall(row: Selectable<AppleCallTable>): AppleCall {
  const eventId = row.event_id ?? undefined;
  const ops = parseJson<CallOpJson[]>(row.ops).map(
    (o): OutboxRecord => ({
      seq: Number(o.seq),
      spaceId: row.space_id,
      accountId: row.account_id,
      kind: row.kind,
      adamId: o.adamId,
      pricingParam: o.pricingParam,
      serialNumber: o.serialNumber,
      clientUserId: o.clientUserId,
      licenseId: o.licenseId,
      state: row.state === "sent" ? "sent" : "pending",
      attempts: o.attempts,
      eventId,
      sentAt: row.sent_at ?? undefined,
      createdAt: new Date(o.createdAt),
      updatedAt: row.updated_at,
    }),
  );
  return {
    spaceId: row.space_id,
    id: row.id,
    accountId: row.account_id,
    kind: row.kind,
    assets: parseJson(row.assets),
    ops,
    state: row.state,
    ...(eventId ? { eventId } : {}),
    attempts: row.attempts,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    ...(row.sent_at ? { sentAt: row.sent_at } : {}),
    createdAt: row.created_at,
  };
}
