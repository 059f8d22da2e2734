import { type Selectable, sql } from "kysely";
import type { Db, Trx } from "./database.js";
import type { OutboxKind, OutboxState, OutboxTable } from "./license.table.js";
import { type ColumnSpec, insertColumns } from "./sql-helpers.js";

/** One Apple operation to perform (invariant 3: written with the change that needs it). */
export interface OutboxEntry {
  spaceId: string;
  accountId: string;
  kind: OutboxKind;
  adamId?: string;
  pricingParam?: string;
  serialNumber?: string;
  clientUserId?: string;
  licenseId?: string;
  now: Date;
}

export interface OutboxRecord extends Omit<OutboxEntry, "now"> {
  /** Identifies the entry within its space, and orders the outbox. */
  seq: number;
  state: OutboxState;
  attempts: number;
  lastError?: string;
  eventId?: string;
  notBefore?: Date;
  claimedBy?: string;
  claimedUntil?: Date;
  /** When Apple accepted the call that carries it (0002_sync). */
  sentAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

export async function appendOutbox(db: Db, entries: readonly OutboxEntry[]): Promise<void> {
  await insertColumns(
    db,
    "outbox",
    OUTBOX_COLUMNS,
    entries.map((e) => [
      e.spaceId,
      e.accountId,
      e.kind,
      e.adamId,
      e.pricingParam,
      e.serialNumber,
      e.clientUserId,
      e.licenseId,
      e.now,
      e.now,
    ]),
  );
}

const OUTBOX_COLUMNS: readonly ColumnSpec[] = [
  ["space_id", "text"],
  ["account_id", "text"],
  ["kind", "text"],
  ["adam_id", "text"],
  ["pricing_param", "text"],
  ["serial_number", "text"],
  ["client_user_id", "text"],
  ["license_id", "text"],
  ["created_at", "timestamptz"],
  ["updated_at", "timestamptz"],
];

/**
 * The associations of these licenses still waiting to be sent are closed unsent: pending
 * in the outbox, or carried by a call no worker ever took (a device grant's call:
 * claimed_by null, releaseCallLeases). Returned: the licenses whose
 * association never left Orchard (an outbox row sent before and back for a retry,
 * attempts > 0, may have reached Apple). A dispatcher turning outbox rows into a call, or
 * claiming a call, holds its row lock: this waits for it, then finds the row gone or
 * claimed, and leaves the association to Apple (the release follows it, dispatch.ts).
 */
export async function closeUnsentAssociations(
  trx: Trx,
  spaceId: string,
  input: {
    licenseIds: readonly string[];
    /** Of those, the ones Apple never confirmed: only theirs can be in a call never taken. */
    unconfirmed: ReadonlyArray<{ id: string; accountId: string }>;
  },
  now: Date,
): Promise<Set<string>> {
  const closed = new Set<string>();
  if (input.licenseIds.length === 0) return closed;
  // Calls before outbox rows, as an account's deletion locks them (lockAccountWork).
  // Locked first, then rewritten from the version locked: two releases of one call's
  // licenses each remove their own operations, never put back the other's.
  const ids = input.unconfirmed.map((l) => l.id);
  const accounts = [...new Set(input.unconfirmed.map((l) => l.accountId))];
  const calls =
    ids.length === 0
      ? []
      : await trx
          .selectFrom("apple_calls as c")
          .select("c.id")
          .where("c.space_id", "=", spaceId)
          .where("c.account_id", "in", accounts)
          .where("c.kind", "=", "associate")
          .where("c.state", "=", "sending")
          .where("c.claimed_by", "is", null)
          .where(
            sql<boolean>`exists (select 1 from jsonb_array_elements(c.ops) as op
              where op->>'licenseId' = any(${ids}::text[]))`,
          )
          .forUpdate()
          .execute();
  const rows = await trx
    .updateTable("outbox")
    .set({ state: "done", last_error: "overtaken: license released before it was sent", updated_at: now })
    .where("space_id", "=", spaceId)
    .where("kind", "=", "associate")
    .where("state", "=", "pending")
    .where(sql<boolean>`license_id = any(${[...input.licenseIds]}::text[])`)
    .returning(["license_id", "attempts"])
    .execute();
  for (const r of rows) if (r.license_id && r.attempts === 0) closed.add(r.license_id);
  if (calls.length === 0) return closed;
  const { rows: rewritten } = await sql<{ id: string; closed: string[]; left: number }>`
    update apple_calls c set ops = f.kept, updated_at = ${now}
    from (
      select c2.id,
        coalesce(jsonb_agg(e.op order by e.n) filter (where not (e.op->>'licenseId' = any(${ids}::text[]))),
          '[]'::jsonb) as kept,
        array_agg(e.op->>'licenseId') filter (where e.op->>'licenseId' = any(${ids}::text[])) as closed
      from apple_calls c2 cross join lateral jsonb_array_elements(c2.ops) with ordinality as e(op, n)
      where c2.space_id = ${spaceId} and c2.id = any(${calls.map((c) => c.id)}::text[])
      group by c2.id
    ) f
    where c.space_id = ${spaceId} and c.id = f.id
    returning c.id, f.closed, jsonb_array_length(c.ops) as left`.execute(trx);
  for (const r of rewritten) for (const id of r.closed ?? []) closed.add(id);
  const empty = rewritten.filter((r) => Number(r.left) === 0).map((r) => r.id);
  if (empty.length > 0) {
    await trx.deleteFrom("apple_calls").where("space_id", "=", spaceId).where("id", "in", empty).execute();
  }
  return closed;
}

export async function listOutbox(
  db: Db,
  filter: { spaceId: string; state?: OutboxState; licenseId?: string; kind?: OutboxKind; limit?: number },
): Promise<OutboxRecord[]> {
  let query = db.selectFrom("outbox").selectAll().where("space_id", "=", filter.spaceId).orderBy("seq");
  if (filter.state) query = query.where("state", "=", filter.state);
  if (filter.licenseId) query = query.where("license_id", "=", filter.licenseId);
  if (filter.kind) query = query.where("kind", "=", filter.kind);
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  return (await query.execute()).map(toOutbox);
}

/** What an outbox row asks of Apple, from the columns that say it (also read alone: lockPendingOps). */
export function operationOf(
  row: Pick<
    Selectable<OutboxTable>,
    "adam_id" | "pricing_param" | "serial_number" | "client_user_id" | "license_id"
  >,
): Pick<OutboxRecord, "adamId" | "pricingParam" | "serialNumber" | "clientUserId" | "licenseId"> {
  return {
    adamId: row.adam_id ?? undefined,
    pricingParam: row.pricing_param ?? undefined,
    serialNumber: row.serial_number ?? undefined,
    clientUserId: row.client_user_id ?? undefined,
    licenseId: row.license_id ?? undefined,
  };
}

export function toOutbox(row: Selectable<OutboxTable>): OutboxRecord {
  return {
    seq: row.seq,
    spaceId: row.space_id,
    accountId: row.account_id,
    kind: row.kind,
    ...operationOf(row),
    state: row.state,
    attempts: row.attempts,
    lastError: row.last_error ?? undefined,
    eventId: row.event_id ?? undefined,
    notBefore: row.not_before ?? undefined,
    claimedBy: row.claimed_by ?? undefined,
    claimedUntil: row.claimed_until ?? undefined,
    sentAt: row.sent_at ?? undefined,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
