import { sql } from "kysely";
import {
  type LicenseRequest,
  type LicenseState,
  type RequestReason,
  SEAT_HOLDING_STATES,
} from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { type Refusal, recordRefusals } from "./apple-refusals.repo.js";
import { type Db, withTransaction } from "./database.js";
import { type LicenseRecord, toLicense } from "./license.repo.js";
import { lockAssetsOfAccount, lockAssetsOfLicenses, returnSeatsOf } from "./seats.js";
import { serialKey } from "./serial-key.js";
import { type Actor, inList, unique } from "./sql-helpers.js";

/** A seat-holding license of an account with the name Apple knows its subject by. */
export interface LicenseAtApple {
  id: string;
  adamId: string;
  state: LicenseState;
  serialNumber?: string;
  clientUserId?: string;
  updatedAt: Date;
}

/**
 * Every seat-holding license of an account, keyed for comparison with Apple's assignments
 * (AC3); with `naming`, only those of the devices (serial numbers, normalizeSerial) and
 * users (clientUserIds) an incremental sync's page names: index look-ups, not the account.
 */
export async function seatHoldingLicensesOfAccount(
  db: Db,
  spaceId: string,
  accountId: string,
  naming?: { serialKeys: readonly string[]; clientUserIds: readonly string[] },
): Promise<LicenseAtApple[]> {
  const rows = await db
    .selectFrom("licenses as l")
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "l.space_id").onRef("d.id", "=", "l.device_id"),
    )
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "l.space_id").onRef("u.id", "=", "l.user_id"))
    .select((eb) => [
      "l.id",
      "l.adam_id",
      "l.state",
      "l.updated_at",
      // The spelling Apple was sent (0026), as its assignments name the device.
      eb.fn.coalesce("d.apple_serial_number", "d.serial_number").as("serial_number"),
      "u.apple_client_user_id",
    ])
    .where("l.space_id", "=", spaceId)
    .where("l.account_id", "=", accountId)
    .where("l.state", "in", SEAT_HOLDING_STATES)
    .$if(naming !== undefined, (q) =>
      q.where((eb) =>
        eb.or([
          eb(
            "l.device_id",
            "in",
            eb
              .selectFrom("devices")
              .select("id")
              .where("space_id", "=", spaceId)
              .where(
                serialKey("serial_number"),
                "=",
                sql<string>`any(${[...(naming?.serialKeys ?? [])]}::text[])`,
              ),
          ),
          eb(
            "l.user_id",
            "in",
            eb
              .selectFrom("users")
              .select("id")
              .where("space_id", "=", spaceId)
              .where(
                "apple_client_user_id",
                "=",
                sql<string>`any(${[...(naming?.clientUserIds ?? [])]}::text[])`,
              ),
          ),
        ]),
      ),
    )
    .execute();
  return rows.map((r) => ({
    id: r.id,
    adamId: r.adam_id,
    state: r.state,
    updatedAt: r.updated_at,
    ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
    ...(r.apple_client_user_id ? { clientUserId: r.apple_client_user_id } : {}),
  }));
}

/**
 * Sets an asset's counts from Apple under its row lock (the lock allocation takes):
 * `used` = Orchard's seat-holding licenses + assignments made outside Orchard. Without an
 * exact `outside` (a full resync counts it), it is inferred from Apple's assigned count:
 * what Apple holds beyond Orchard's assigned and releasing licenses.
 */
export async function setAssetCounts(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    adamId: string;
    total?: number;
    appleAssigned?: number;
    appleAvailable?: number;
    appleRetired?: number;
    outside?: number;
    now: Date;
  },
): Promise<{ used: number; total: number; outside: number } | undefined> {
  return withTransaction(db, async (trx) => {
    const asset = await trx
      .selectFrom("assets")
      .select(["total_count", "apple_assigned_count"])
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("adam_id", "=", input.adamId)
      .forUpdate()
      .executeTakeFirst();
    if (!asset) return undefined;
    const counts = await trx
      .selectFrom("licenses")
      .select(["state", sql<number>`count(*)::int`.as("n")])
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("adam_id", "=", input.adamId)
      .where("holds_seat", "=", true)
      .groupBy("state")
      .execute();
    const of = (s: LicenseState) => counts.find((c) => c.state === s)?.n ?? 0;
    const held = of("pending_assign") + of("assigned") + of("pending_release");
    const appleAssigned = input.appleAssigned ?? asset.apple_assigned_count;
    const outside = input.outside ?? Math.max(0, appleAssigned - of("assigned") - of("pending_release"));
    const total = input.total ?? asset.total_count;
    await trx
      .updateTable("assets")
      .set({
        total_count: total,
        used: held + outside,
        apple_assigned_count: appleAssigned,
        ...(input.appleAvailable !== undefined ? { apple_available_count: input.appleAvailable } : {}),
        ...(input.appleRetired !== undefined ? { apple_retired_count: input.appleRetired } : {}),
        updated_at: input.now,
      })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("adam_id", "=", input.adamId)
      .execute();
    return { used: held + outside, total, outside };
  });
}

/**
 * AC3: every asset's `used` of an account after a full walk of its assignments, in one
 * transaction and three statements whatever the number of apps: Orchard's seat-holding
 * licenses plus the exact number made outside Orchard (`outside`, per app). The account's
 * asset rows are locked first, in (app, account) order as allocation locks them; a row
 * whose count did not change is not written.
 */
export async function setUsedOfAccount(
  db: Db,
  input: { spaceId: string; accountId: string; outside: ReadonlyMap<string, number>; now: Date },
): Promise<void> {
  const { spaceId, accountId } = input;
  await withTransaction(db, async (trx) => {
    await lockAssetsOfAccount(trx, spaceId, accountId);
    await sql`with held as (
        select adam_id, count(*)::int as n from licenses
        where space_id = ${spaceId} and account_id = ${accountId} and holds_seat
        group by adam_id
      ), outside as (
        select * from unnest(${[...input.outside.keys()]}::text[], ${[...input.outside.values()]}::int[])
          as o(adam_id, n)
      ), next as (
        select x.adam_id, coalesce(h.n, 0) + coalesce(o.n, 0) as used
        from assets x left join held h on h.adam_id = x.adam_id left join outside o on o.adam_id = x.adam_id
        where x.space_id = ${spaceId} and x.account_id = ${accountId}
      )
      update assets a set used = n.used, updated_at = ${input.now.toISOString()}::timestamptz
      from next n
      where a.space_id = ${spaceId} and a.account_id = ${accountId} and a.adam_id = n.adam_id
        and a.used <> n.used`.execute(trx);
  });
}

/** Assets Apple no longer lists for the account: no license left to give (kept for history and rules). */
export async function zeroMissingAssets(
  db: Db,
  input: { spaceId: string; accountId: string; present: readonly string[]; now: Date },
): Promise<string[]> {
  const rows = await db
    .updateTable("assets")
    .set({ total_count: 0, apple_assigned_count: 0, apple_available_count: 0, updated_at: input.now })
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where((eb) => eb.not(inList("adam_id", input.present)))
    .where("total_count", ">", 0)
    .returning("adam_id")
    .execute();
  return rows.map((r) => r.adam_id);
}

/**
 * AC3: licenses Orchard thinks assigned that Apple no longer holds (released outside
 * Orchard): released here, their seats given back, the log says so.
 */
export async function releaseVanished(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  if (input.licenseIds.length === 0) return [];
  return withTransaction(db, async (trx) => {
    await lockAssetsOfLicenses(trx, input.spaceId, input.licenseIds);
    const rows = await trx
      .updateTable("licenses")
      .set({ state: "released", released_at: input.now, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where(inList("id", input.licenseIds))
      .where("state", "=", "assigned")
      .returningAll()
      .execute();
    const changed = rows.map(toLicense);
    await returnSeatsOf(trx, input.spaceId, changed, input.now);
    await appendActivity(
      trx,
      changed.map((l) => ({
        spaceId: l.spaceId,
        actor: input.actor,
        action: "license.released_outside",
        userId: l.userId,
        deviceId: l.deviceId,
        adamId: l.adamId,
        accountId: l.accountId,
        licenseId: l.id,
        ruleIds: ["AC3"],
        message: activityMessage("license.released_outside"),
        at: input.now,
      })),
    );
    return changed;
  });
}

/**
 * DB2, UB3: a subject whose assignment Apple refused waits again, in its place. Without a
 * `refusal` (9709: no license left) it waits for the next free license, and one already
 * waiting keeps its place as it was. With Apple's `refusal` for good it waits with Apple's
 * reason (`apple_refused`, apple-refusals.repo.ts), one already waiting taking the refusal,
 * and the refusal is kept for its account (MA2): decided again (sync/effects.ts), another
 * account may serve it.
 * One INSERT … SELECT FROM unnest per subject kind and kind of wait: a round's refused
 * associations (up to 10,000, 25 apps × 1,000 devices in one Apple call) are 9 bound
 * parameters each as rows of VALUES, past PostgreSQL's 65,535.
 */
export async function requeueSubjects(
  db: Db,
  entries: ReadonlyArray<{
    spaceId: string;
    adamId: string;
    userId?: string;
    deviceId?: string;
    /** The reason the subject first asked (the license's `request_why`, 0016). */
    why: RequestReason;
    ruleIds: readonly string[];
    requestedAt: Date;
    now: Date;
    refusal?: Refusal;
  }>,
): Promise<void> {
  for (const kind of ["user", "device"] as const) {
    for (const refused of [false, true]) {
      const rows = entries.flatMap((e) => {
        const id = kind === "user" ? e.userId : e.deviceId;
        return id === undefined || (e.refusal !== undefined) !== refused ? [] : [{ ...e, id }];
      });
      if (rows.length === 0) continue;
      const column = <T>(of: (row: (typeof rows)[number]) => T) => rows.map(of);
      const subject = sql.ref(kind === "user" ? "user_id" : "device_id");
      const refusal = <T>(of: (r: Refusal) => T) => column((row) => (row.refusal ? of(row.refusal) : null));
      await sql`insert into license_queue
          (space_id, adam_id, ${subject}, why, reason, rule_ids, requested_at, decided_at,
            apple_error_number, apple_error_message, refused_account_id, refused_at)
        select t.space_id, t.adam_id, t.id, t.why, ${refused ? "apple_refused" : "no_license"}::text,
          coalesce(string_to_array(t.rules, ','), '{}'), t.requested_at, t.decided_at,
          t.error_number, t.error_message, t.account_id, case when ${refused} then t.decided_at end
        from unnest(${column((r) => r.spaceId)}::text[], ${column((r) => r.adamId)}::text[],
          ${column((r) => r.id)}::text[], ${column((r) => r.why)}::text[],
          ${column((r) => r.ruleIds.join(","))}::text[],
          ${column((r) => r.requestedAt.toISOString())}::timestamptz[],
          ${column((r) => r.now.toISOString())}::timestamptz[],
          ${refusal((r) => r.errorNumber)}::int[],
          ${refusal((r) => r.message?.slice(0, 500) ?? null)}::text[],
          ${refusal((r) => r.accountId)}::text[])
          with ordinality as t(space_id, adam_id, id, why, rules, requested_at, decided_at, error_number,
            error_message, account_id, ord)
        order by t.ord
        on conflict (space_id, adam_id, ${subject}) where ${subject} is not null
        ${
          refused
            ? sql`do update set reason = 'apple_refused', apple_error_number = excluded.apple_error_number,
          apple_error_message = excluded.apple_error_message, refused_account_id = excluded.refused_account_id,
          refused_at = excluded.refused_at, decided_at = excluded.decided_at`
            : sql`do nothing`
        }`.execute(db);
      if (refused)
        await recordRefusals(
          db,
          rows.flatMap((r) =>
            r.refusal
              ? [{ ...r, subject: `${kind === "user" ? "u" : "d"}:${r.id}`, refusal: r.refusal }]
              : [],
          ),
        );
    }
  }
}

/**
 * (space, app) pairs with someone waiting and a free seat in a healthy account: serve them
 * (DB2). A request waiting for an administrator counts only once an account that did not
 * refuse it has a free seat (servable).
 */
export async function waitingAppsWithFreeSeats(db: Db): Promise<Array<{ spaceId: string; adamId: string }>> {
  const rows = await db
    .selectFrom("license_queue as q")
    .select(["q.space_id", "q.adam_id"])
    .distinct()
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("assets as a")
          .innerJoin("accounts as c", (j) =>
            j.onRef("c.space_id", "=", "a.space_id").onRef("c.id", "=", "a.account_id"),
          )
          .select("a.adam_id")
          .whereRef("a.space_id", "=", "q.space_id")
          .whereRef("a.adam_id", "=", "q.adam_id")
          .whereRef("a.used", "<", "a.total_count")
          .where("c.health", "=", "ok"),
      ),
    )
    .where(servable("q"))
    .execute();
  return rows.map((r) => ({ spaceId: r.space_id, adamId: r.adam_id }));
}

/**
 * A wait the queue serves. One Apple refused (`apple_refused`, MA2) waits for an
 * administrator while only the accounts that refused its subject could serve it; once
 * another healthy account has a free seat of the app (it bought the app, or was added
 * since), it is served like the others. `queue` names the queue row's table (or alias).
 */
function servable(queue: "q" | "license_queue") {
  const col = (name: string) => sql.ref(`${queue}.${name}`);
  return sql<boolean>`(${col("reason")} <> 'apple_refused' or exists (
    select 1 from assets a join accounts c on c.space_id = a.space_id and c.id = a.account_id
    where a.space_id = ${col("space_id")} and a.adam_id = ${col("adam_id")}
      and a.used < a.total_count and c.health = 'ok'
      and not exists (select 1 from association_refusals r
        where r.space_id = a.space_id and r.adam_id = a.adam_id and r.account_id = a.account_id
          and r.subject = case when ${col("user_id")} is not null then 'u:' || ${col("user_id")}
            else 'd:' || ${col("device_id")} end)))`;
}

/** Which of these apps of the space have someone waiting (one query, not one per app). */
export async function appsWithWaiting(
  db: Db,
  spaceId: string,
  adamIds: readonly string[],
): Promise<string[]> {
  if (adamIds.length === 0) return [];
  const { rows } = await sql<{
    adam_id: string;
  }>`select a.adam_id from unnest(${[...adamIds]}::text[]) as a(adam_id)
    where exists (select 1 from license_queue q where q.space_id = ${spaceId} and q.adam_id = a.adam_id)`.execute(
    db,
  );
  return rows.map((r) => r.adam_id);
}

/** UB4: the waiting requests of these users and of their devices, per app, in order of request. */
export async function waitingRequestsOfUsers(
  db: Db,
  spaceId: string,
  userIds: readonly string[],
): Promise<Map<string, LicenseRequest[]>> {
  const out = new Map<string, LicenseRequest[]>();
  if (userIds.length === 0) return out;
  const ids = unique(userIds);
  const rows = await db
    .selectFrom("license_queue as q")
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "q.space_id").onRef("d.id", "=", "q.device_id"),
    )
    .select(["q.adam_id", "q.user_id", "q.device_id", "q.why"])
    .where("q.space_id", "=", spaceId)
    .where((eb) => eb.or([inList("q.user_id", ids), inList("d.user_id", ids)]))
    .orderBy("q.requested_at")
    .orderBy("q.seq")
    .execute();
  for (const r of rows) {
    const list = out.get(r.adam_id) ?? [];
    list.push({
      spaceId,
      adamId: r.adam_id,
      subject: r.user_id
        ? { kind: "user", userId: r.user_id }
        : { kind: "device", deviceId: r.device_id ?? "" },
      why: r.why,
    });
    out.set(r.adam_id, list);
  }
  return out;
}

/**
 * A place in an app's queue: (requested_at, seq) of a row. The time is kept as
 * PostgreSQL's text, not a Date: a time written by the database (microseconds) would come
 * back rounded to the millisecond, and the page after it would start with the same row.
 */
export interface QueuePosition {
  requestedAt: string;
  seq: number;
}

/**
 * Waiting requests of an app after `after` (from the start when unset), in order of
 * request: (requested_at, seq) (DB2: served page by page; index license_queue_in_order).
 */
export async function waitingAfter(
  db: Db,
  spaceId: string,
  adamId: string,
  after: QueuePosition | undefined,
  limit: number,
): Promise<Array<LicenseRequest & { position: QueuePosition }>> {
  let query = db
    .selectFrom("license_queue")
    .select(["seq", "user_id", "device_id", "why", sql<string>`requested_at::text`.as("position_at")])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where(servable("license_queue"));
  if (after) {
    query = query.where(
      sql<boolean>`(requested_at, seq) > (${after.requestedAt}::timestamptz, ${after.seq}::bigint)`,
    );
  }
  const rows = await query.orderBy("requested_at").orderBy("seq").limit(limit).execute();
  return rows.map((r) => ({
    position: { requestedAt: r.position_at, seq: r.seq },
    spaceId,
    adamId,
    subject: r.user_id
      ? { kind: "user", userId: r.user_id }
      : { kind: "device", deviceId: r.device_id ?? "" },
    why: r.why,
  }));
}
