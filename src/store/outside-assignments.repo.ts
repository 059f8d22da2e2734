import { type RawBuilder, sql } from "kysely";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import type { OutboxRecord } from "./outbox.repo.js";
import type { Page } from "./paging.js";
import { returnSeats } from "./seats.js";
import { normalizeSerial } from "./serial-number.js";
import { type Actor, textArray } from "./sql-helpers.js";

/**
 * AC3, AC7: assignments Apple holds for an account that Orchard neither holds nor adopted
 * (made outside Orchard), as the last full sync read them (migration 0031): written page by
 * page during the walk, shown once the walk is complete, released at Apple on an
 * administrator's request through the outbox, and taken out of the list when Apple confirms.
 * They count in their asset's `used` (sync-licenses.repo.ts): a release gives the seat back.
 */

/** One assignment at Apple: an app (and its pricing) and the serial number or clientUserId it is assigned to. */
export interface OutsideAssignment {
  adamId: string;
  pricingParam: string;
  /** Apple's spelling. */
  serialNumber?: string;
  clientUserId?: string;
}

type Kind = "device" | "user";
const kindOf = (a: { serialNumber?: string | undefined }): Kind =>
  a.serialNumber !== undefined ? "device" : "user";
const subjectOf = (a: { serialNumber?: string | undefined; clientUserId?: string | undefined }) =>
  a.serialNumber ?? a.clientUserId ?? "";
const asAssignment = (adamId: string, pricingParam: string, kind: Kind, subject: string) =>
  kind === "device"
    ? { adamId, pricingParam, serialNumber: subject }
    : { adamId, pricingParam, clientUserId: subject };

/** A new generation of the list, for one full sync to write (0031). */
export async function newOutsideGeneration(db: Db): Promise<number> {
  const { rows } = await sql<{ g: number }>`select nextval('outside_assignment_generations') as g`.execute(
    db,
  );
  return Number(rows[0]?.g);
}

/**
 * One page's assignments made outside Orchard, in one statement: one row per app, pricing
 * and kind of subject, the subjects in an array (a slice of one array parameter: textArray).
 */
export async function writeOutsidePage(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    generation: number;
    page: number;
    assignments: readonly OutsideAssignment[];
  },
): Promise<void> {
  if (input.assignments.length === 0) return;
  const groups = new Map<string, { adamId: string; pricingParam: string; kind: Kind; subjects: string[] }>();
  for (const a of input.assignments) {
    const kind = kindOf(a);
    const key = `${a.adamId}\u0000${a.pricingParam}\u0000${kind}`;
    let group = groups.get(key);
    if (!group) {
      group = { adamId: a.adamId, pricingParam: a.pricingParam, kind, subjects: [] };
      groups.set(key, group);
    }
    group.subjects.push(subjectOf(a));
  }
  const subjects: string[] = [];
  const [adamIds, pricings, kinds, firsts, lasts, keyed]: [
    string[],
    string[],
    string[],
    number[],
    number[],
    boolean[],
  ] = [[], [], [], [], [], []];
  for (const g of groups.values()) {
    adamIds.push(g.adamId);
    pricings.push(g.pricingParam);
    kinds.push(g.kind);
    firsts.push(subjects.length + 1);
    subjects.push(...g.subjects);
    lasts.push(subjects.length);
    keyed.push(g.kind === "user" || g.subjects.every((s) => !/[a-z]/.test(s)));
  }
  await sql`insert into outside_assignments
      (space_id, account_id, generation, adam_id, pricing_param, kind, page, subjects, size, subjects_are_keys)
    select ${input.spaceId}, ${input.accountId}, ${input.generation}, g.adam_id, g.pricing_param, g.kind,
      ${input.page}, (${textArray(subjects)})[g.first:g.last], g.last - g.first + 1, g.keyed
    from unnest(${adamIds}::text[], ${pricings}::text[], ${kinds}::text[], ${firsts}::int[], ${lasts}::int[],
      ${keyed}::boolean[]) as g(adam_id, pricing_param, kind, first, last, keyed)`.execute(db);
}

/**
 * Whether the array `column` holds one of `subjects`: an overlap for a few (no per-subject
 * work beyond the comparisons), a hashed look-up for many (an overlap compares every pair:
 * a thousand against a row of a thousand, row after row, took seconds).
 */
export function holdsAny(column: RawBuilder<string[]>, subjects: readonly string[]): RawBuilder<boolean> {
  return subjects.length <= FEW
    ? sql<boolean>`${column} && ${[...subjects]}::text[]`
    : sql<boolean>`exists (select 1 from unnest(${column}) as x(s) where x.s in (select unnest(${[...subjects]}::text[])))`;
}
const FEW = 16;

/** A subject of an `o` row as the lists are searched by: its key (0037, normalizeSerial for a serial number). */
const keyOfSubject = (subject: RawBuilder<string>) =>
  sql<string>`case when o.subjects_are_keys then ${subject}
    else translate(${subject}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') end`;

/**
 * AC7: the assignments the accounts' lists (each its last complete generation) hold for
 * these serial numbers (normalizeSerial: Apple's spelling in any case) and clientUserIds,
 * with the account of each; of one account when `accountId` is given. Rows whose subjects
 * are their own keys (0037: nearly all) are filtered by an overlap first; only the others
 * are folded subject by subject.
 */
export async function listedNaming(
  db: Db,
  input: {
    spaceId: string;
    accountId?: string;
    serialKeys: readonly string[];
    clientUserIds: readonly string[];
  },
): Promise<Array<OutsideAssignment & { accountId: string }>> {
  const serialKeys = [...new Set(input.serialKeys)];
  const clientUserIds = [...new Set(input.clientUserIds)];
  if (serialKeys.length + clientUserIds.length === 0) return [];
  const ofAccount = input.accountId === undefined ? sql`true` : sql`o.account_id = ${input.accountId}`;
  const subjects = sql<string[]>`o.subjects`;
  const { rows } = await sql<{
    account_id: string;
    adam_id: string;
    pricing_param: string;
    kind: Kind;
    subject: string;
  }>`with wanted(kind, key) as (
      select 'device', k from unnest(${serialKeys}::text[]) as k
      union all select 'user', k from unnest(${clientUserIds}::text[]) as k
    )
    select o.account_id, o.adam_id, o.pricing_param, o.kind, x.subject
    from outside_assignments o
    join outside_assignment_snapshots n on n.space_id = o.space_id and n.account_id = o.account_id
      and n.generation = o.generation
    cross join lateral unnest(o.subjects) as x(subject)
    join wanted w on w.kind = o.kind and w.key = ${keyOfSubject(sql`x.subject`)}
    where o.space_id = ${input.spaceId} and ${ofAccount}
      and ((o.kind = 'device' and (not o.subjects_are_keys or ${holdsAny(subjects, serialKeys)}))
        or (o.kind = 'user' and ${holdsAny(subjects, clientUserIds)}))`.execute(db);
  return rows.map((r) => ({
    accountId: r.account_id,
    ...asAssignment(r.adam_id, r.pricing_param, r.kind, r.subject),
  }));
}

/**
 * AC7: assignments an incremental sync found outside Orchard, added to the account's list
 * (as a page of their own, after the others) unless it holds them already. Nothing before
 * the account's first complete full sync: the list is a full sync's, completed since.
 * Serialized per account by the lock on its snapshot row. Returns those added.
 */
export async function appendOutside(
  db: Db,
  input: { spaceId: string; accountId: string; assignments: readonly OutsideAssignment[] },
): Promise<OutsideAssignment[]> {
  const { spaceId, accountId } = input;
  if (input.assignments.length === 0) return [];
  return withTransaction(db, async (trx) => {
    const snapshot = await trx
      .selectFrom("outside_assignment_snapshots")
      .select("generation")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .forUpdate()
      .executeTakeFirst();
    if (!snapshot) return [];
    const listed = await listedNaming(trx, {
      spaceId,
      accountId,
      serialKeys: input.assignments.flatMap((a) => (a.serialNumber ? [normalizeSerial(a.serialNumber)] : [])),
      clientUserIds: input.assignments.flatMap((a) => (a.clientUserId ? [a.clientUserId] : [])),
    });
    const known = new Set(listed.map(listedKey));
    const fresh: OutsideAssignment[] = [];
    for (const a of input.assignments) {
      const key = listedKey(a);
      if (known.has(key)) continue;
      known.add(key);
      fresh.push(a);
    }
    if (fresh.length === 0) return [];
    const { rows } = await sql<{ next: number }>`select coalesce(max(page), -1)::int + 1 as next
      from outside_assignments
      where space_id = ${spaceId} and account_id = ${accountId} and generation = ${snapshot.generation}`.execute(
      trx,
    );
    await writeOutsidePage(trx, {
      spaceId,
      accountId,
      generation: Number(snapshot.generation),
      page: Number(rows[0]?.next ?? 0),
      assignments: fresh,
    });
    return fresh;
  });
}

/** One assignment of a list, whatever the case of its serial number. */
const listedKey = (a: OutsideAssignment) =>
  `${a.adamId}|${a.pricingParam}|${kindOf(a)}|${a.serialNumber !== undefined ? normalizeSerial(a.serialNumber) : (a.clientUserId ?? "")}`;

/**
 * Takes these subjects (Apple's spelling) of one app and kind out of every generation of an
 * account's list: released at Apple, or adopted. Returns how many the account's list (its
 * last complete generation) held: the seats a release gives back. The caller holds the
 * app's asset row lock (seats.ts `lockAssets`) when seats follow.
 */
export async function unlistOutside(
  trx: Trx,
  input: { spaceId: string; accountId: string; adamId: string; kind: Kind; subjects: readonly string[] },
): Promise<number> {
  const { spaceId, accountId, adamId, kind } = input;
  const subjects = [...new Set(input.subjects)];
  if (subjects.length === 0) return 0;
  const { rows } = await sql<{ removed: number }>`with hit as (
      select o.generation, o.pricing_param, o.page, o.size,
        array(select s from unnest(o.subjects) with ordinality as u(s, n)
          where s not in (select unnest(${subjects}::text[])) order by n) as kept
      from outside_assignments o
      where o.space_id = ${spaceId} and o.account_id = ${accountId} and o.adam_id = ${adamId}
        and o.kind = ${kind} and ${holdsAny(sql<string[]>`o.subjects`, subjects)}
      for update
    ), changed as (
      update outside_assignments o set subjects = h.kept, size = cardinality(h.kept)
      from hit h
      where o.space_id = ${spaceId} and o.account_id = ${accountId} and o.generation = h.generation
        and o.adam_id = ${adamId} and o.pricing_param = h.pricing_param and o.kind = ${kind} and o.page = h.page
      returning o.generation, h.size - cardinality(h.kept) as removed
    )
    select coalesce(sum(c.removed), 0)::int as removed from changed c
    join outside_assignment_snapshots s on s.space_id = ${spaceId} and s.account_id = ${accountId}
      and s.generation = c.generation`.execute(trx);
  await trx
    .deleteFrom("outside_assignments")
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("adam_id", "=", adamId)
    .where("size", "=", 0)
    .execute();
  return Number(rows[0]?.removed ?? 0);
}

/**
 * The walk that wrote `generation` is complete: it becomes the account's list and the
 * older ones go. When a walk that began later finished first, this one's rows go instead
 * (returns false). Rows of a walk that stopped half way go with the next complete one.
 */
export async function completeOutsideSnapshot(
  db: Db,
  input: { spaceId: string; accountId: string; generation: number; now: Date },
): Promise<boolean> {
  const { spaceId, accountId, generation } = input;
  return withTransaction(db, async (trx) => {
    const taken = await trx
      .insertInto("outside_assignment_snapshots")
      .values({ space_id: spaceId, account_id: accountId, generation, synced_at: input.now })
      .onConflict((oc) =>
        oc
          .columns(["space_id", "account_id"])
          .doUpdateSet({ generation, synced_at: input.now })
          .where("outside_assignment_snapshots.generation", "<", generation),
      )
      .returning("generation")
      .executeTakeFirst();
    await trx
      .deleteFrom("outside_assignments")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .where("generation", taken ? "<" : "=", generation)
      .execute();
    return taken !== undefined;
  });
}

/** A walk that failed: what it wrote goes. */
export async function discardOutsideGeneration(
  db: Db,
  input: { spaceId: string; accountId: string; generation: number },
): Promise<void> {
  await db
    .deleteFrom("outside_assignments")
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where("generation", "=", input.generation)
    .execute();
}

/** When the account's list was read from Apple (its last complete full sync), if ever. */
export async function outsideSnapshotOf(
  db: Db,
  spaceId: string,
  accountId: string,
): Promise<{ generation: number; syncedAt: Date } | undefined> {
  const row = await db
    .selectFrom("outside_assignment_snapshots")
    .select(["generation", "synced_at"])
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row && { generation: Number(row.generation), syncedAt: row.synced_at };
}

/**
 * A page of the account's list, by app, pricing, kind and Apple's order. The rows before
 * the page are counted (their `size`), not read: only the rows the page falls in are
 * unnested, so a deep page of a million costs what the first does.
 */
export async function listOutsidePage(
  db: Db,
  input: { spaceId: string; accountId: string; adamId?: string | undefined; page: number; pageSize: number },
): Promise<Page<OutsideAssignment> & { syncedAt?: Date }> {
  const { spaceId, accountId, page, pageSize } = input;
  const snapshot = await outsideSnapshotOf(db, spaceId, accountId);
  const empty = { items: [], total: 0, page, pageSize };
  if (!snapshot) return empty;
  const { generation } = snapshot;
  const ofApp = input.adamId === undefined ? sql`true` : sql`adam_id = ${input.adamId}`;
  const { rows: totals } = await sql<{ total: number }>`select coalesce(sum(size), 0)::int as total
    from outside_assignments
    where space_id = ${spaceId} and account_id = ${accountId} and generation = ${generation} and ${ofApp}`.execute(
    db,
  );
  const offset = (page - 1) * pageSize;
  const { rows } = await sql<{ adam_id: string; pricing_param: string; kind: Kind; subject: string }>`
    with r as (
      select adam_id, pricing_param, kind, page, size,
        coalesce(sum(size) over (order by adam_id, pricing_param, kind, page
          rows between unbounded preceding and 1 preceding), 0) as before
      from outside_assignments
      where space_id = ${spaceId} and account_id = ${accountId} and generation = ${generation} and ${ofApp}
    )
    select r.adam_id, r.pricing_param, r.kind, s.subject
    from r
    join outside_assignments o on o.space_id = ${spaceId} and o.account_id = ${accountId}
      and o.generation = ${generation} and o.adam_id = r.adam_id and o.pricing_param = r.pricing_param
      and o.kind = r.kind and o.page = r.page
    cross join lateral unnest(o.subjects[(greatest(${offset} - r.before, 0) + 1):least(r.size, ${offset + pageSize} - r.before)])
      with ordinality as s(subject, n)
    where r.before < ${offset + pageSize} and r.before + r.size > ${offset}
    order by r.adam_id, r.pricing_param, r.kind, r.page, s.n`.execute(db);
  return {
    items: rows.map((r) => asAssignment(r.adam_id, r.pricing_param, r.kind, r.subject)),
    total: Number(totals[0]?.total ?? 0),
    page,
    pageSize,
    syncedAt: snapshot.syncedAt,
  };
}

/**
 * Which of these assignments the account's list holds, as listed (Apple's spelling and
 * pricing). A serial number is found in any case (Apple reads them so: normalizeSerial).
 */
export async function findOutside(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    wanted: ReadonlyArray<{ adamId: string; serialNumber?: string; clientUserId?: string }>;
  },
): Promise<OutsideAssignment[]> {
  const snapshot = await outsideSnapshotOf(db, input.spaceId, input.accountId);
  if (!snapshot || input.wanted.length === 0) return [];
  const serials = [
    ...new Set(
      input.wanted.flatMap((w) => (w.serialNumber !== undefined ? [normalizeSerial(w.serialNumber)] : [])),
    ),
  ];
  const clientUserIds = [
    ...new Set(
      input.wanted.flatMap((w) => (w.serialNumber === undefined && w.clientUserId ? [w.clientUserId] : [])),
    ),
  ];
  // One pass over the rows of the apps named, each kept when a subject is wanted.
  const { rows } = await sql<{ adam_id: string; pricing_param: string; kind: Kind; subject: string }>`
    select o.adam_id, o.pricing_param, o.kind, s.subject
    from outside_assignments o cross join lateral unnest(o.subjects) as s(subject)
    where o.space_id = ${input.spaceId} and o.account_id = ${input.accountId} and o.generation = ${snapshot.generation}
      and o.adam_id = any(${[...new Set(input.wanted.map((w) => w.adamId))]}::text[])
      and ((o.kind = 'device' and translate(s.subject, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')
          = any(${serials}::text[]))
        or (o.kind = 'user' and s.subject = any(${clientUserIds}::text[])))`.execute(db);
  const listed = new Map<string, OutsideAssignment>();
  for (const r of rows) {
    const key =
      r.kind === "device" ? `${r.adam_id}|s|${normalizeSerial(r.subject)}` : `${r.adam_id}|u|${r.subject}`;
    listed.set(key, asAssignment(r.adam_id, r.pricing_param, r.kind, r.subject));
  }
  const found = new Map<string, OutsideAssignment>();
  for (const w of input.wanted) {
    const key =
      w.serialNumber !== undefined
        ? `${w.adamId}|s|${normalizeSerial(w.serialNumber)}`
        : `${w.adamId}|u|${w.clientUserId ?? ""}`;
    const hit = listed.get(key);
    if (hit) found.set(key, hit);
  }
  return [...found.values()];
}

/** Where a release of an outside assignment stands: on its way to Apple, or refused by Apple. */
export interface OutsideRelease {
  state: "pending" | "failed";
  adamId?: string;
  serialNumber?: string;
  clientUserId?: string;
  /** Apple's reason, when refused. */
  error?: string;
  at: Date;
}

/**
 * The releases of these subjects in the account that Apple has not confirmed: pending in
 * the outbox or in an Apple call (a release of the app, or a revoke of every app), or
 * refused (disassociations of an outside assignment, newest first).
 */
export async function outsideReleasesOf(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    serialNumbers: readonly string[];
    clientUserIds: readonly string[];
  },
): Promise<OutsideRelease[]> {
  const { spaceId, accountId } = input;
  if (input.serialNumbers.length + input.clientUserIds.length === 0) return [];
  const serials = [...input.serialNumbers];
  const users = [...input.clientUserIds];
  const { rows } = await sql<{
    state: "pending" | "failed";
    kind: string;
    adam_id: string | null;
    serial_number: string | null;
    client_user_id: string | null;
    error: string | null;
    at: Date;
  }>`select 'pending' as state, kind, adam_id, serial_number, client_user_id, null as error, created_at as at
      from outbox
      where space_id = ${spaceId} and account_id = ${accountId} and state = 'pending'
        and kind in ('disassociate', 'revoke')
        and (serial_number = any(${serials}::text[]) or client_user_id = any(${users}::text[]))
    union all
    select 'pending', c.kind, op->>'adamId', op->>'serialNumber', op->>'clientUserId', null, c.created_at
      from apple_calls c cross join lateral jsonb_array_elements(c.ops) as op
      where c.space_id = ${spaceId} and c.account_id = ${accountId} and c.kind in ('disassociate', 'revoke')
        and (op->>'serialNumber' = any(${serials}::text[]) or op->>'clientUserId' = any(${users}::text[]))
    union all
    select 'failed', kind, adam_id, serial_number, client_user_id, last_error, updated_at
      from outbox
      where space_id = ${spaceId} and account_id = ${accountId} and state = 'failed'
        and kind = 'disassociate' and license_id is null
        and (serial_number = any(${serials}::text[]) or client_user_id = any(${users}::text[]))
    order by at desc`.execute(db);
  return rows.map((r) => ({
    state: r.state,
    ...(r.kind !== "revoke" && r.adam_id ? { adamId: r.adam_id } : {}),
    ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
    ...(r.client_user_id ? { clientUserId: r.client_user_id } : {}),
    ...(r.error ? { error: r.error } : {}),
    at: new Date(r.at),
  }));
}

/** The release that concerns `a`: pending first (a release asked again after a refusal), else the latest refusal. */
export function releaseOf(
  a: OutsideAssignment,
  releases: readonly OutsideRelease[],
): OutsideRelease | undefined {
  const mine = releases.filter(
    (r) =>
      (r.adamId === undefined || r.adamId === a.adamId) &&
      (a.serialNumber !== undefined
        ? r.serialNumber === a.serialNumber
        : r.clientUserId !== undefined && r.clientUserId === a.clientUserId),
  );
  return mine.find((r) => r.state === "pending") ?? mine[0];
}

/**
 * Asks Apple to release these assignments (found in the list: findOutside), through the
 * outbox as every release goes (invariant 3), each with its activity-log line (invariant
 * 4). The seat stays counted until Apple confirms (settleOutsideReleases).
 */
export async function requestOutsideReleases(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    assignments: readonly OutsideAssignment[];
    subjectIds: ReadonlyMap<string, { deviceId?: string; userId?: string }>;
    actor: Actor;
    now: Date;
  },
): Promise<void> {
  const { spaceId, accountId, now } = input;
  if (input.assignments.length === 0) return;
  await withTransaction(db, async (trx) => {
    await trx
      .insertInto("outbox")
      .values(
        input.assignments.map((a) => ({
          space_id: spaceId,
          account_id: accountId,
          kind: "disassociate" as const,
          adam_id: a.adamId,
          pricing_param: a.pricingParam,
          serial_number: a.serialNumber ?? null,
          client_user_id: a.clientUserId ?? null,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    await appendActivity(
      trx,
      input.assignments.map((a) => ({
        spaceId,
        actor: input.actor,
        action: "outside.release_requested",
        adamId: a.adamId,
        accountId,
        ...input.subjectIds.get(outsideKey(a)),
        ruleIds: ["AC7"],
        message: activityMessage("outside.release_queued", { subject: subjectOf(a) }),
        details: { ...a },
        at: now,
      })),
    );
  });
}

/** An assignment's key in the maps of this module: app, kind, subject as Apple spells it. */
export const outsideKey = (a: { adamId: string; serialNumber?: string; clientUserId?: string }) =>
  `${a.adamId}|${kindOf(a)}|${subjectOf(a)}`;

/** An outbox operation that releases an assignment made outside Orchard (no license of Orchard's). */
export const isOutsideRelease = (row: Pick<OutboxRecord, "kind" | "licenseId" | "adamId">) =>
  row.kind === "disassociate" && row.licenseId === undefined && row.adamId !== undefined;

/**
 * Apple's answer to releases of outside assignments, in the transaction that settles their
 * operations (outcomes.ts; the caller locked the asset rows first: seats.ts `lockAssets`).
 * Released: taken out of every generation of the list; a seat comes back (and the app is
 * returned, for its queue: DB2) for each one the account's list held, so a release Apple
 * confirms twice gives one seat back. Refused: the log says why. Each with its line.
 */
export async function settleOutsideReleases(
  trx: Trx,
  input: {
    spaceId: string;
    released: readonly OutboxRecord[];
    refused: ReadonlyArray<{ row: OutboxRecord; reason: string }>;
    now: Date;
  },
): Promise<Array<{ spaceId: string; accountId: string; adamId: string }>> {
  const { spaceId, now } = input;
  const touched: Array<{ spaceId: string; accountId: string; adamId: string }> = [];
  if (input.released.length + input.refused.length === 0) return touched;
  const groups = new Map<string, { accountId: string; adamId: string; kind: Kind; subjects: string[] }>();
  for (const row of input.released) {
    const kind = kindOf(row);
    const key = `${row.accountId}\u0000${row.adamId}\u0000${kind}`;
    const group = groups.get(key) ?? {
      accountId: row.accountId,
      adamId: row.adamId ?? "",
      kind,
      subjects: [],
    };
    group.subjects.push(subjectOf(row));
    groups.set(key, group);
  }
  const seats = new Map<string, { accountId: string; adamId: string; n: number }>();
  for (const g of groups.values()) {
    const removed = await unlistOutside(trx, { spaceId, ...g });
    if (removed > 0) {
      const key = `${g.accountId}/${g.adamId}`;
      const entry = seats.get(key) ?? { accountId: g.accountId, adamId: g.adamId, n: 0 };
      entry.n += removed;
      seats.set(key, entry);
    }
    touched.push({ spaceId, accountId: g.accountId, adamId: g.adamId });
  }
  await returnSeats(trx, spaceId, seats, now);
  const subjects = await subjectIdsOf(trx, spaceId, [...input.released, ...input.refused.map((r) => r.row)]);
  await appendActivity(trx, [
    ...input.released.map((row) => ({
      spaceId,
      actor: { kind: "apple" } as const,
      action: "outside.released",
      adamId: row.adamId,
      accountId: row.accountId,
      ...subjects.get(outsideKey({ ...row, adamId: row.adamId ?? "" })),
      ruleIds: ["AC7"],
      message: activityMessage("outside.released", { subject: subjectOf(row) }),
      at: now,
    })),
    ...input.refused.map(({ row, reason }) => ({
      spaceId,
      actor: { kind: "apple" } as const,
      action: "outside.release_failed",
      adamId: row.adamId,
      accountId: row.accountId,
      ...subjects.get(outsideKey({ ...row, adamId: row.adamId ?? "" })),
      ruleIds: ["AC7"],
      message: activityMessage("outside.release_failed", { subject: subjectOf(row), reason }),
      at: now,
    })),
  ]);
  return touched;
}

/**
 * The keys (outsideKey) of the assignments whose subject holds a seat of the app in the
 * account through a license of Orchard's: Apple holds one assignment per subject and app in
 * a location, so that one is Orchard's now (adopted, or the app given since the list was
 * read), and releasing it would take the license away (queueReleaseOfList's `held`).
 */
export async function heldByOrchard(
  db: Db,
  input: { spaceId: string; accountId: string; assignments: readonly OutsideAssignment[] },
): Promise<Set<string>> {
  const { spaceId, accountId, assignments } = input;
  if (assignments.length === 0) return new Set();
  const adamIds = [...new Set(assignments.map((a) => a.adamId))];
  const { rows } = await sql<{ adam_id: string; serial_key: string | null; client_user_id: string | null }>`
    select l.adam_id,
      translate(d.serial_number, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') as serial_key,
      case when l.type = 'user' then u.apple_client_user_id end as client_user_id
    from licenses l
      left join devices d on d.space_id = l.space_id and d.id = l.device_id
      left join users u on u.space_id = l.space_id and u.id = l.user_id
    where l.space_id = ${spaceId} and l.account_id = ${accountId} and l.holds_seat
      and l.adam_id = any(${adamIds}::text[])`.execute(db);
  const held = new Set(
    rows.flatMap((r) => [
      ...(r.serial_key ? [`${r.adam_id}|s|${r.serial_key}`] : []),
      ...(r.client_user_id ? [`${r.adam_id}|u|${r.client_user_id}`] : []),
    ]),
  );
  return new Set(assignments.filter((a) => held.has(refKey(a))).map(outsideKey));
}

/** An assignment's key whatever the case of its serial number (the list's is Apple's spelling). */
export const refKey = (a: {
  adamId: string;
  serialNumber?: string | undefined;
  clientUserId?: string | undefined;
}) =>
  a.serialNumber !== undefined
    ? `${a.adamId}|s|${normalizeSerial(a.serialNumber)}`
    : `${a.adamId}|u|${a.clientUserId ?? ""}`;

/**
 * The device or user of the space each assignment names now (a serial number in any case;
 * a user by clientUserId), for the log lines: their history shows the release.
 */
export async function subjectIdsOf(
  db: Db,
  spaceId: string,
  assignments: ReadonlyArray<{ adamId?: string; serialNumber?: string; clientUserId?: string }>,
): Promise<Map<string, { deviceId?: string; userId?: string }>> {
  const out = new Map<string, { deviceId?: string; userId?: string }>();
  const serials = [
    ...new Set(assignments.flatMap((a) => (a.serialNumber ? [normalizeSerial(a.serialNumber)] : []))),
  ];
  const clientUserIds = [...new Set(assignments.flatMap((a) => (a.clientUserId ? [a.clientUserId] : [])))];
  const devices = new Map<string, string>();
  const users = new Map<string, string>();
  if (serials.length > 0) {
    const { rows } = await sql<{ id: string; serial_key: string }>`select id,
        translate(serial_number, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') as serial_key
      from devices where space_id = ${spaceId}
        and translate(serial_number, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = any(${serials}::text[])`.execute(
      db,
    );
    for (const r of rows) devices.set(r.serial_key, r.id);
  }
  if (clientUserIds.length > 0) {
    const rows = await db
      .selectFrom("users")
      .select(["id", "apple_client_user_id"])
      .where("space_id", "=", spaceId)
      .where("apple_client_user_id", "=", sql<string>`any(${clientUserIds}::text[])`)
      .execute();
    for (const r of rows) if (r.apple_client_user_id) users.set(r.apple_client_user_id, r.id);
  }
  for (const a of assignments) {
    const key = outsideKey({ ...a, adamId: a.adamId ?? "" });
    const deviceId = a.serialNumber ? devices.get(normalizeSerial(a.serialNumber)) : undefined;
    const userId = a.clientUserId ? users.get(a.clientUserId) : undefined;
    if (deviceId) out.set(key, { deviceId });
    else if (userId) out.set(key, { userId });
  }
  return out;
}

/**
 * Of the operations one Apple answer settles, the releases of outside assignments Apple
 * did (`done`) and those it refused for good (`failed`, by reason), for settleOutsideReleases.
 */
export function outsideOutcomes(
  rows: readonly OutboxRecord[],
  done: readonly number[],
  failed: ReadonlyMap<string, readonly number[]>,
): { released: OutboxRecord[]; refused: Array<{ row: OutboxRecord; reason: string }> } {
  const outside = rows.filter(isOutsideRelease);
  if (outside.length === 0) return { released: [], refused: [] };
  const isDone = new Set(done);
  const reasonOf = new Map<number, string>();
  for (const [reason, seqs] of failed) for (const seq of seqs) reasonOf.set(seq, reason);
  return {
    released: outside.filter((r) => isDone.has(r.seq)),
    refused: outside.flatMap((row) => {
      const reason = reasonOf.get(row.seq);
      return reason === undefined ? [] : [{ row, reason }];
    }),
  };
}
