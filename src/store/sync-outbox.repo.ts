import { sql } from "kysely";
import type { Db } from "./database.js";
import type { OutboxState } from "./license.table.js";
import { inList } from "./sql-helpers.js";

/**
 * The outbox's own moves, beside `apple-calls.repo.ts` (where operations go once a
 * worker turns them into an Apple request): operations still in the outbox are
 * postponed, closed or failed here.
 */

/**
 * Settles operations still in the outbox: `done`/`failed` close them, `pending` leaves
 * them for later (`notBefore`) with `error` saying why.
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

/**
 * Licenses among `licenseIds` whose association is still open (pending in the outbox, or
 * in a call Apple has not answered): their release must wait, or Apple could see the
 * disassociation before the association.
 */
export async function licensesWithOpenAssociation(
  db: Db,
  spaceId: string,
  licenseIds: readonly string[],
): Promise<Set<string>> {
  if (licenseIds.length === 0) return new Set();
  const pending = await db
    .selectFrom("outbox")
    .select("license_id")
    .where("space_id", "=", spaceId)
    .where("state", "=", "pending")
    .where("kind", "=", "associate")
    .where(inList("license_id", licenseIds))
    .execute();
  const { rows: inFlight } = await sql<{ license_id: string }>`
    select op->>'licenseId' as license_id
    from apple_calls c cross join lateral jsonb_array_elements(c.ops) as op
    where c.space_id = ${spaceId} and c.kind = 'associate'
      and op->>'licenseId' = any(${[...licenseIds]}::text[])`.execute(db);
  return new Set([...pending, ...inFlight].flatMap((r) => (r.license_id ? [r.license_id] : [])));
}

/** Operations not finished yet: `pending` in the outbox or in a call not accepted yet, `sent` in calls Apple accepted. */
export async function countOpenOutbox(db: Db): Promise<{ pending: number; sent: number }> {
  const { rows } = await sql<{ state: string; n: number }>`
    select 'pending' as state, count(*)::int as n from outbox where state = 'pending'
    union all
    select state, coalesce(sum(jsonb_array_length(ops)), 0)::int from apple_calls group by state`.execute(db);
  const of = (s: string) => rows.filter((r) => r.state === s).reduce((n, r) => n + Number(r.n), 0);
  return { pending: of("pending") + of("sending"), sent: of("sent") };
}

/** `seq = any($1::bigint[])`: one parameter however many rows. */
function seqIn(seqs: readonly number[]) {
  return sql<boolean>`seq = any(${[...seqs]}::bigint[])`;
}

/**
 * Releases (disassociate, revoke) still open for these subjects: pending in the outbox or
 * in a call Apple has not answered. A new association of the same subject and app must
 * wait for them, or Apple could see it first and then take the subject's license away.
 */
export async function openReleasesOf(
  db: Db,
  spaceId: string,
  subjects: { serialNumbers: readonly string[]; clientUserIds: readonly string[] },
): Promise<
  Array<{ seq: number; kind: string; adamId?: string; serialNumber?: string; clientUserId?: string }>
> {
  if (subjects.serialNumbers.length + subjects.clientUserIds.length === 0) return [];
  const serials = [...subjects.serialNumbers];
  const users = [...subjects.clientUserIds];
  const { rows } = await sql<{
    seq: number;
    kind: string;
    adam_id: string | null;
    serial_number: string | null;
    client_user_id: string | null;
  }>`select seq, kind, adam_id, serial_number, client_user_id from outbox
      where space_id = ${spaceId} and state = 'pending' and kind in ('disassociate', 'revoke')
        and (serial_number = any(${serials}::text[]) or client_user_id = any(${users}::text[]))
    union all
    select (op->>'seq')::bigint, c.kind, op->>'adamId', op->>'serialNumber', op->>'clientUserId'
      from apple_calls c cross join lateral jsonb_array_elements(c.ops) as op
      where c.space_id = ${spaceId} and c.kind in ('disassociate', 'revoke')
        and (op->>'serialNumber' = any(${serials}::text[]) or op->>'clientUserId' = any(${users}::text[]))`.execute(
    db,
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    kind: r.kind,
    ...(r.adam_id ? { adamId: r.adam_id } : {}),
    ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
    ...(r.client_user_id ? { clientUserId: r.client_user_id } : {}),
  }));
}
