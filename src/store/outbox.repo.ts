import { type Selectable, sql } from "kysely";
import type { Db } from "./database.js";
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
 * Associations of these licenses not yet taken into an Apple call are closed unsent: the
 * license was released first. A dispatcher turning one into a call holds its row lock;
 * this waits for it, and then finds the row gone (sent: the release will follow it).
 */
export async function closePendingAssociations(
  db: Db,
  spaceId: string,
  licenseIds: readonly string[],
  now: Date,
): Promise<void> {
  if (licenseIds.length === 0) return;
  await db
    .updateTable("outbox")
    .set({ state: "done", last_error: "overtaken: license released before it was sent", updated_at: now })
    .where("space_id", "=", spaceId)
    .where("kind", "=", "associate")
    .where("state", "=", "pending")
    .where(sql<boolean>`license_id = any(${[...licenseIds]}::text[])`)
    .execute();
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
