import { sql } from "kysely";
import type { LicenseState } from "../licensing/index.js";
import type { Db } from "./database.js";
import type { OutboxState } from "./license.table.js";
import { type OutboxRecord, toOutbox } from "./outbox.repo.js";
import { inList } from "./sql-helpers.js";

/**
 * The sync engine's outbox moves, beside `claimOutbox`/`settleOutbox`:
 *
 *   pending --claimDispatchable--> pending (claimed) --recordSent--> sent (eventId kept, still claimed)
 *   sent (claimed by me) --ownSentEvents--> read, no write
 *   sent (unclaimed or lease run out) --claimSentEvents--> sent (claimed)
 *   sent (claimed) --finishOutbox--> done | failed | pending (resend) | sent (unclaimed, next look later)
 *
 * A claim is a lease (`claimed_until`): a worker that dies leaves rows that any worker
 * claims again once the lease runs out. The worker that sent a call keeps the lease on
 * its rows to follow the event itself, so following costs no second write per row.
 */
interface Claim {
  workerId: string;
  limit: number;
  now: Date;
  leaseMs: number;
}

/**
 * Pending operations of healthy accounts only (NT2: a token problem pauses the account's
 * operations until the token is replaced), oldest first, skipping rows other workers hold.
 */
export async function claimDispatchable(db: Db, input: Claim): Promise<ClaimedOutbox[]> {
  return claim(db, input, "pending");
}

/** A claimed row with the current state of its license (read in the claim, not after it). */
export interface ClaimedOutbox extends OutboxRecord {
  licenseState?: LicenseState;
}

/** Sent operations whose event is due for a look (`not_before` is the next poll). */
export async function claimSentEvents(db: Db, input: Claim): Promise<OutboxRecord[]> {
  return claim(db, input, "sent");
}

async function claim(db: Db, input: Claim, state: OutboxState): Promise<ClaimedOutbox[]> {
  if (input.limit <= 0) return [];
  const until = new Date(input.now.getTime() + input.leaseMs);
  const rows = await db
    .updateTable("outbox")
    .set({ claimed_by: input.workerId, claimed_until: until, updated_at: input.now })
    .where((eb) =>
      eb(
        eb.refTuple("space_id", "seq"),
        "in",
        eb
          .selectFrom("outbox as o")
          .select(["o.space_id", "o.seq"])
          .where("o.state", "=", state)
          .where((eb) => eb.or([eb("o.not_before", "is", null), eb("o.not_before", "<=", input.now)]))
          .where((eb) => eb.or([eb("o.claimed_until", "is", null), eb("o.claimed_until", "<", input.now)]))
          .where(({ exists, selectFrom }) =>
            exists(
              selectFrom("accounts as a")
                .select("a.id")
                .whereRef("a.space_id", "=", "o.space_id")
                .whereRef("a.id", "=", "o.account_id")
                .where("a.health", "=", "ok"),
            ),
          )
          .orderBy("o.seq")
          .limit(input.limit)
          .forUpdate("o")
          .skipLocked()
          .$asTuple("space_id", "seq"),
      ),
    )
    .returningAll()
    // The dispatcher skips associations already overtaken: their license's state comes along.
    .$if(state === "pending", (qb) =>
      qb.returning((eb) =>
        eb
          .selectFrom("licenses as l")
          .select("l.state")
          .whereRef("l.space_id", "=", "outbox.space_id")
          .whereRef("l.id", "=", "outbox.license_id")
          .as("license_state"),
      ),
    )
    .execute();
  return rows
    .map((row) => {
      const record: ClaimedOutbox = toOutbox(row);
      if (row.license_state) record.licenseState = row.license_state;
      return record;
    })
    .sort((a, b) => a.seq - b.seq);
}

/**
 * Sent rows this worker still holds the lease on (it sent them, `recordSent`) whose
 * event is due for a look: read, not written (the lease already keeps others away).
 */
export async function ownSentEvents(
  db: Db,
  input: { workerId: string; limit: number; now: Date },
): Promise<OutboxRecord[]> {
  if (input.limit <= 0) return [];
  const rows = await db
    .selectFrom("outbox")
    .selectAll()
    .where("state", "=", "sent")
    .where("claimed_by", "=", input.workerId)
    .where("claimed_until", ">=", input.now)
    .where((eb) => eb.or([eb("not_before", "is", null), eb("not_before", "<=", input.now)]))
    .orderBy("seq")
    .limit(input.limit)
    .execute();
  return rows.map(toOutbox);
}

/** A stopping worker hands the events it was following to the others at once. */
export async function releaseFollowLeases(db: Db, input: { workerId: string; now: Date }): Promise<void> {
  await db
    .updateTable("outbox")
    .set({ claimed_by: null, claimed_until: null, updated_at: input.now })
    .where("state", "=", "sent")
    .where("claimed_by", "=", input.workerId)
    .execute();
}

/**
 * Apple accepted the call: keep its eventId before anything else (crash-safe follow-up).
 * With `lease`, the sender keeps its claim to follow the event (`ownSentEvents`): one
 * write per row instead of a release here and a claim again later. A sender that dies
 * leaves the lease to run out, then any worker claims the rows (`claimSentEvents`).
 */
export async function recordSent(
  db: Db,
  input: {
    spaceId: string;
    seqs: readonly number[];
    eventId: string;
    now: Date;
    nextLookAt: Date;
    lease?: { workerId: string; until: Date };
  },
): Promise<void> {
  if (input.seqs.length === 0) return;
  await db
    .updateTable("outbox")
    .set({
      state: "sent",
      event_id: input.eventId,
      sent_at: input.now,
      not_before: input.nextLookAt,
      last_error: null,
      claimed_by: input.lease?.workerId ?? null,
      claimed_until: input.lease?.until ?? null,
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where(seqIn(input.seqs))
    .execute();
}

/**
 * Ends a claim: `done`/`failed` close the rows (eventId kept for the record), `pending`
 * sends them again (Apple's associate and disassociate are idempotent), `sent` keeps
 * following the event (next look at `notBefore`).
 */
export async function finishOutbox(
  db: Db,
  input: {
    spaceId: string;
    seqs: readonly number[];
    state: OutboxState;
    error?: string;
    notBefore?: Date;
    now: Date;
  },
): Promise<void> {
  if (input.seqs.length === 0) return;
  const resend = input.state === "pending";
  await db
    .updateTable("outbox")
    .set({
      state: input.state,
      last_error: input.error ?? null,
      not_before: input.notBefore ?? null,
      claimed_by: null,
      claimed_until: null,
      updated_at: input.now,
      ...(resend ? { attempts: sql`attempts + 1`, event_id: null, sent_at: null } : {}),
    })
    .where("space_id", "=", input.spaceId)
    .where(seqIn(input.seqs))
    .execute();
}

/** Open (still sent) rows of an event, for Apple's ASSET_MANAGEMENT notifications. */
export async function findSentRowsOfEvent(db: Db, eventId: string): Promise<OutboxRecord[]> {
  const rows = await db
    .selectFrom("outbox")
    .selectAll()
    .where("event_id", "=", eventId)
    .where("state", "=", "sent")
    .orderBy("seq")
    .execute();
  return rows.map(toOutbox);
}

/**
 * Licenses among `licenseIds` whose association is still open (pending or sent): their
 * release must wait, or Apple could see the disassociation before the association.
 */
export async function licensesWithOpenAssociation(
  db: Db,
  spaceId: string,
  licenseIds: readonly string[],
): Promise<Set<string>> {
  if (licenseIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("outbox")
    .select("license_id")
    .where("space_id", "=", spaceId)
    .where("state", "in", ["pending", "sent"])
    .where("kind", "=", "associate")
    .where(inList("license_id", licenseIds))
    .execute();
  return new Set(rows.flatMap((r) => (r.license_id ? [r.license_id] : [])));
}

/** Open operations left, per state (tests, health endpoints). */
export async function countOpenOutbox(db: Db): Promise<{ pending: number; sent: number }> {
  const rows = await db
    .selectFrom("outbox")
    .select(["state", sql<number>`count(*)::int`.as("n")])
    .where("state", "in", ["pending", "sent"])
    .groupBy("state")
    .execute();
  const of = (s: string) => rows.find((r) => r.state === s)?.n ?? 0;
  return { pending: of("pending"), sent: of("sent") };
}

/** `seq = any($1::bigint[])`: one parameter however many rows (thousands per Apple call). */
function seqIn(seqs: readonly number[]) {
  return sql<boolean>`seq = any(${[...seqs]}::bigint[])`;
}
