import { sql } from "kysely";
import type { Subject } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { type ActivityMessage, activityMessage } from "./activity-messages.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { type LicenseRecord, toLicense } from "./license.repo.js";
import { clearNotifications } from "./notification.repo.js";
import { subjectKey } from "./queue.repo.js";
import { announceSeatsFreed, lockAssetsOfLicenses, returnSeatsOf } from "./seats.js";
import { type Actor, inList, unique } from "./sql-helpers.js";

/**
 * What Apple refused for good, and what an administrator does about it (0032, 0038).
 *
 * Associations (MA2, DB2, UB3): each refusal is kept per (subject, app, account)
 * (`association_refusals`): the engine passes that account over for that subject, so
 * another eligible account may serve it (MA2), and the refusing one is never asked again
 * (no loop). When no other account can, the subject waits in its place with Apple's reason
 * (`reason = 'apple_refused'`, the refusal it waits with on its queue row) until an
 * administrator sends it again: its refusals are lifted and it waits as any request, the
 * next free seat of the app serving it in its turn.
 *
 * Releases (RV1-RV5): a release Apple refused leaves its license `pending_release`, which
 * holds a seat; its operation stays `failed` in the outbox. An administrator sends it again
 * (the same operation, back to pending) or abandons it (the license is released here, its
 * seat given back, whatever Apple still holds: a sync counts that as outside Orchard).
 */

/** Apple's refusal of one association, as the queue keeps it. */
export interface Refusal {
  /** 0: Orchard had nothing to send (no serial number, no Apple user). */
  errorNumber: number;
  message?: string | undefined;
  /** The account whose association Apple refused. */
  accountId: string;
}

/** One account's refusal of a subject, as decisions and Explain read it. */
export interface AccountRefusal {
  accountId: string;
  errorNumber: number;
  message?: string;
  refusedAt: Date;
}

/**
 * MA2, DB2: Apple's refusals of these subjects for the app, by subject ("u:<userId>" /
 * "d:<deviceId>"), newest first: the accounts each decision passes over. One probe of the
 * table's key per subject; nothing to read when Apple refused nothing.
 */
export async function refusalsOfSubjects(
  db: Db,
  spaceId: string,
  adamId: string,
  subjects: readonly Subject[],
): Promise<Map<string, AccountRefusal[]>> {
  const out = new Map<string, AccountRefusal[]>();
  if (subjects.length === 0) return out;
  const rows = await db
    .selectFrom("association_refusals")
    .select(["subject", "account_id", "error_number", "error_message", "refused_at"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where(inList("subject", unique(subjects.map(subjectKey))))
    .orderBy("refused_at", "desc")
    .execute();
  for (const r of rows) {
    const refusal: AccountRefusal = {
      accountId: r.account_id,
      errorNumber: r.error_number,
      ...(r.error_message ? { message: r.error_message } : {}),
      refusedAt: new Date(r.refused_at),
    };
    const list = out.get(r.subject);
    if (list) list.push(refusal);
    else out.set(r.subject, [refusal]);
  }
  return out;
}

/**
 * Keeps Apple's refusals for good (one per subject, app and account; a newer one of the
 * same replaces it), in the refusal's transaction (sync-licenses.repo.ts `requeueSubjects`).
 */
export async function recordRefusals(
  trx: Db,
  entries: ReadonlyArray<{ spaceId: string; adamId: string; subject: string; refusal: Refusal; now: Date }>,
): Promise<void> {
  const rows = entries.filter((e) => e.refusal.accountId !== "");
  if (rows.length === 0) return;
  const col = <T>(of: (e: (typeof rows)[number]) => T) => rows.map(of);
  await sql`insert into association_refusals
      (space_id, adam_id, subject, account_id, error_number, error_message, refused_at)
    select * from unnest(${col((e) => e.spaceId)}::text[], ${col((e) => e.adamId)}::text[],
      ${col((e) => e.subject)}::text[], ${col((e) => e.refusal.accountId)}::text[],
      ${col((e) => e.refusal.errorNumber)}::int[], ${col((e) => e.refusal.message?.slice(0, 500) ?? null)}::text[],
      ${col((e) => e.now.toISOString())}::timestamptz[])
    on conflict (space_id, adam_id, subject, account_id) do update set
      error_number = excluded.error_number, error_message = excluded.error_message,
      refused_at = excluded.refused_at`.execute(trx);
}

/** A request an administrator sent again. */
export interface RetriedRequest {
  adamId: string;
  userId?: string;
  deviceId?: string;
  accountId?: string;
}

/**
 * An administrator sends refused requests again (MA2, DB2, UB3): of one app, these
 * subjects (none named: all the app's). Their refusals are lifted, every account may serve
 * them again, and one waiting for an administrator waits again as any request, in its place;
 * its app's queue is served once this commits (announceSeatsFreed), so a free seat goes
 * out at once. A subject named whom Apple refused nothing is a `not_refused` refusal.
 */
export async function retryRefusedRequests(
  db: Db,
  input: {
    spaceId: string;
    adamId: string;
    userIds?: readonly string[];
    deviceIds?: readonly string[];
    actor: Actor;
    now: Date;
  },
): Promise<RetriedRequest[]> {
  const userIds = unique(input.userIds ?? []);
  const deviceIds = unique(input.deviceIds ?? []);
  const keys = [...userIds.map((id) => `u:${id}`), ...deviceIds.map((id) => `d:${id}`)];
  const all = keys.length === 0;
  return withTransaction(db, async (trx) => {
    const named = all
      ? sql`true`
      : sql`(user_id = any(${userIds}::text[]) or device_id = any(${deviceIds}::text[]))`;
    // The refusal lifted is read in the same statement, for the log.
    const { rows: held } = await sql<{
      user_id: string | null;
      device_id: string | null;
      apple_error_number: number | null;
      apple_error_message: string | null;
    }>`with held as (
        select seq, apple_error_number, apple_error_message from license_queue
        where space_id = ${input.spaceId} and adam_id = ${input.adamId} and reason = 'apple_refused' and ${named}
        for update
      )
      update license_queue q set reason = 'no_license', decided_at = ${input.now.toISOString()}::timestamptz,
        apple_error_number = null, apple_error_message = null, refused_account_id = null, refused_at = null
      from held h
      where q.space_id = ${input.spaceId} and q.seq = h.seq
      returning q.user_id, q.device_id, h.apple_error_number, h.apple_error_message`.execute(trx);
    // MA2: every account's refusal of them goes, those of subjects served by another account too.
    const { rows: lifted } = await sql<{
      subject: string;
      error_number: number;
      error_message: string | null;
    }>`
      delete from association_refusals
      where space_id = ${input.spaceId} and adam_id = ${input.adamId}
        and ${all ? sql`true` : sql`subject = any(${keys}::text[])`}
      returning subject, error_number, error_message, refused_at`.execute(trx);
    const retried = new Map(
      held.map((r) => [
        r.user_id ? `u:${r.user_id}` : `d:${r.device_id}`,
        { errorNumber: r.apple_error_number, message: r.apple_error_message },
      ]),
    );
    for (const r of lifted)
      if (!retried.has(r.subject))
        retried.set(r.subject, { errorNumber: r.error_number, message: r.error_message });
    const missing = keys.find((k) => !retried.has(k));
    if (missing !== undefined) {
      const subject = missing.slice(2);
      throw new StoreError(
        "not_refused",
        `${subject} waits with no refusal of Apple's for app ${input.adamId}: nothing to send again`,
        { adamId: input.adamId, subject },
      );
    }
    return logRetried(trx, input, retried);
  });
}

async function logRetried(
  trx: Trx,
  input: { spaceId: string; adamId: string; actor: Actor; now: Date },
  retried: ReadonlyMap<string, { errorNumber: number | null; message: string | null }>,
): Promise<RetriedRequest[]> {
  if (retried.size === 0) return [];
  const subjects = [...retried].map(([key, refusal]) => ({
    ...(key.startsWith("u:") ? { userId: key.slice(2) } : { deviceId: key.slice(2) }),
    refusal,
  }));
  await appendActivity(
    trx,
    subjects.map(({ refusal, ...subject }) => ({
      spaceId: input.spaceId,
      actor: input.actor,
      action: "license.request_retried",
      ...subject,
      adamId: input.adamId,
      ruleIds: ["DB2", "UB3"],
      message: activityMessage("license.request_retried", {
        reason: refusalText(refusal.errorNumber, refusal.message),
      }),
      at: input.now,
    })),
  );
  await announceSeatsFreed(trx, [{ spaceId: input.spaceId, adamId: input.adamId }]);
  return subjects.map(({ refusal: _, ...subject }) => ({ adamId: input.adamId, ...subject }));
}

/** A refusal as the log words it: "9635 Unable to associate…", as Apple's results are logged. */
export function refusalText(errorNumber: number | null, message: string | null): string {
  return `${errorNumber ?? 0}${message ? ` ${message}` : ""}`;
}

/** A release Apple refused: its license (still `pending_release`) and the failed operation. */
export interface RefusedRelease {
  license: LicenseRecord;
  seq: number;
  /** Apple's error, as the operation keeps it ("9706 Asset in request is not revocable…"). */
  error: string;
}

/**
 * The refused releases among these licenses, their license rows locked: a license still
 * `pending_release` whose release operation is `failed` (index `outbox_failed_releases`).
 * An operation sent again leaves `failed` (pending, then in a call): it is not refused
 * until Apple refuses it again.
 */
async function lockRefusedReleases(
  trx: Trx,
  spaceId: string,
  licenseIds: readonly string[],
): Promise<RefusedRelease[]> {
  const { rows } = await sql<{ license_id: string; seq: number | string; last_error: string | null }>`
    select distinct on (o.license_id) o.license_id, o.seq, o.last_error
    from outbox o
    where o.space_id = ${spaceId} and o.state = 'failed' and o.kind in ('disassociate', 'revoke')
      and o.license_id = any(${[...licenseIds]}::text[])
    order by o.license_id, o.seq desc`.execute(trx);
  if (rows.length === 0) return [];
  const licenses = await trx
    .selectFrom("licenses")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where(
      inList(
        "id",
        rows.map((r) => r.license_id),
      ),
    )
    .where("state", "=", "pending_release")
    .forUpdate()
    .execute();
  const byId = new Map(licenses.map((l) => [l.id, toLicense(l)]));
  return rows.flatMap((r) => {
    const license = byId.get(r.license_id);
    return license ? [{ license, seq: Number(r.seq), error: r.last_error ?? "" }] : [];
  });
}

/** Every license named must have a refused release, else nothing is done. */
async function refusedOrRefuse(
  trx: Trx,
  spaceId: string,
  licenseIds: readonly string[],
  doing: string,
): Promise<RefusedRelease[]> {
  const ids = unique(licenseIds);
  if (ids.length > 0) await lockAssetsOfLicenses(trx, spaceId, ids);
  const refused = await lockRefusedReleases(trx, spaceId, ids);
  const found = new Set(refused.map((r) => r.license.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) {
    const known = await trx
      .selectFrom("licenses")
      .select("state")
      .where("space_id", "=", spaceId)
      .where("id", "=", missing)
      .executeTakeFirst();
    if (!known) throw new NotFoundError("license", missing);
    throw new StoreError(
      "not_refused",
      known.state === "pending_release"
        ? `license ${missing}: Apple has not refused its release (it is on its way): nothing to ${doing}`
        : `license ${missing} is ${known.state}, not a release Apple refused: nothing to ${doing}`,
      { licenseId: missing, state: known.state },
    );
  }
  return refused;
}

/**
 * RV1-RV5: an administrator sends refused releases again: each failed operation goes back
 * to pending (same seq, so Apple still sees releases in order), tried at the dispatcher's
 * next round. The license stays `pending_release` (its seat held) until Apple confirms.
 */
export async function retryRefusedReleases(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  return withTransaction(db, async (trx) => {
    const refused = await refusedOrRefuse(trx, input.spaceId, input.licenseIds, "send again");
    if (refused.length === 0) return [];
    await trx
      .updateTable("outbox")
      .set({
        state: "pending",
        not_before: null,
        claimed_by: null,
        claimed_until: null,
        event_id: null,
        sent_at: null,
        attempts: 0,
        updated_at: input.now,
      })
      .where("space_id", "=", input.spaceId)
      .where(sql<boolean>`seq = any(${refused.map((r) => r.seq)}::bigint[])`)
      .execute();
    await log(trx, input, refused, "license.release_requested", (r) =>
      activityMessage("license.release_retried", { reason: r.error }),
    );
    return refused.map((r) => r.license);
  });
}

/**
 * RV1-RV5: an administrator abandons refused releases (the license is gone at Apple, or
 * the seat is given up on): each license is released here, its seat given back and its
 * app's queue served (DB2); the activity log names the administrator and Apple's refusal.
 * Should Apple still hold the assignment, the next sync counts it as made outside Orchard
 * (invariant 1 holds either way). The failed operation stays, for the record.
 */
export async function abandonRefusedReleases(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  return withTransaction(db, async (trx) => {
    const refused = await refusedOrRefuse(trx, input.spaceId, input.licenseIds, "abandon");
    const released = await releaseRefused(trx, input, refused, "released");
    await log(trx, input, refused, "license.release_abandoned", (r) =>
      activityMessage("license.release_abandoned", { reason: r.error }),
    );
    return released;
  });
}

/**
 * Releases Apple refused although it no longer holds their assignments (asked after the
 * refusal: sync/refusals.ts): released here as Apple's confirmation would, RV3's grace
 * kept where it applies. Licenses no longer in that state are left alone.
 */
export async function releaseRefusedGoneAtApple(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  if (input.licenseIds.length === 0) return [];
  return withTransaction(db, async (trx) => {
    await lockAssetsOfLicenses(trx, input.spaceId, input.licenseIds);
    const refused = await lockRefusedReleases(trx, input.spaceId, input.licenseIds);
    const released = await releaseRefused(trx, input, refused, "as_apple");
    await log(trx, input, refused, "license.released", (r) =>
      activityMessage("license.release_refused_gone", { reason: r.error }),
    );
    return released;
  });
}

async function releaseRefused(
  trx: Trx,
  input: { spaceId: string; now: Date },
  refused: readonly RefusedRelease[],
  how: "released" | "as_apple",
): Promise<LicenseRecord[]> {
  if (refused.length === 0) return [];
  const rows = await trx
    .updateTable("licenses")
    .set({
      // Abandoned: Orchard no longer follows it. Gone at Apple: as Apple's confirmation (RV3).
      state:
        how === "released"
          ? "released"
          : sql`case when grace_until > ${input.now} then 'in_grace' else 'released' end`,
      released_at: input.now,
      updated_at: input.now,
    })
    .where("space_id", "=", input.spaceId)
    .where(
      inList(
        "id",
        refused.map((r) => r.license.id),
      ),
    )
    .where("state", "=", "pending_release")
    .returningAll()
    .execute();
  const released = rows.map(toLicense);
  await returnSeatsOf(trx, input.spaceId, released, input.now);
  await announceSeatsFreed(
    trx,
    released.map((l) => ({ spaceId: l.spaceId, adamId: l.adamId })),
  );
  return released;
}

async function log(
  trx: Trx,
  input: { spaceId: string; actor: Actor; now: Date },
  refused: readonly RefusedRelease[],
  action: "license.release_requested" | "license.release_abandoned" | "license.released",
  message: (r: RefusedRelease) => ActivityMessage,
): Promise<void> {
  await appendActivity(
    trx,
    refused.map((r) => ({
      spaceId: input.spaceId,
      actor: input.actor,
      action,
      userId: r.license.userId,
      deviceId: r.license.deviceId,
      adamId: r.license.adamId,
      accountId: r.license.accountId,
      licenseId: r.license.id,
      ruleIds: r.license.ruleIds,
      message: message(r),
      details: { seq: r.seq, appleError: r.error },
      at: input.now,
    })),
  );
}

/** An (account, app) with refusals of Apple's still to be acted on: the notification's key. */
export interface RefusalsOfApp {
  spaceId: string;
  accountId: string;
  adamId: string;
  accountName: string;
  appName?: string;
  /** Requests waiting with Apple's refusal. */
  requests: number;
  /** Releases Apple refused whose license still holds its seat. */
  releases: number;
}

/**
 * Every (account, app) with refusals still open, all spaces (one query; both parts read
 * their partial index only). An account deleted since is left out (its refusals with it).
 */
export async function openRefusals(db: Db, scope: { spaceId?: string } = {}): Promise<RefusalsOfApp[]> {
  const inSpace = (column: string) =>
    scope.spaceId === undefined ? sql`true` : sql`${sql.ref(column)} = ${scope.spaceId}`;
  const { rows } = await sql<{
    space_id: string;
    account_id: string;
    adam_id: string;
    account_name: string;
    app_name: string | null;
    requests: number;
    releases: number;
  }>`with refused as (
      select q.space_id, q.refused_account_id as account_id, q.adam_id, count(*)::int as requests, 0 as releases
      from license_queue q
      where q.reason = 'apple_refused' and q.refused_account_id is not null and ${inSpace("q.space_id")}
      group by 1, 2, 3
      union all
      select l.space_id, l.account_id, l.adam_id, 0, count(distinct l.id)::int
      from outbox o join licenses l on l.space_id = o.space_id and l.id = o.license_id
      where o.state = 'failed' and o.kind in ('disassociate', 'revoke') and o.license_id is not null
        and l.state = 'pending_release' and ${inSpace("o.space_id")}
      group by 1, 2, 3
    )
    select r.space_id, r.account_id, r.adam_id, a.display_name as account_name,
      coalesce(s.name, (select c.name from catalog_apps c where c.space_id = r.space_id and c.adam_id = r.adam_id))
        as app_name,
      sum(r.requests)::int as requests, sum(r.releases)::int as releases
    from refused r
    join accounts a on a.space_id = r.space_id and a.id = r.account_id
    left join assets s on s.space_id = r.space_id and s.account_id = r.account_id and s.adam_id = r.adam_id
    group by r.space_id, r.account_id, r.adam_id, a.display_name, s.name
    order by r.space_id, r.account_id, r.adam_id`.execute(db);
  return rows.map((r) => ({
    spaceId: r.space_id,
    accountId: r.account_id,
    adamId: r.adam_id,
    accountName: r.account_name,
    ...(r.app_name ? { appName: r.app_name } : {}),
    requests: Number(r.requests),
    releases: Number(r.releases),
  }));
}

/** One request waiting with Apple's refusal, as the refusals list shows it. */
export interface RefusedRequestRow {
  adamId: string;
  appName?: string;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  accountId?: string;
  accountName?: string;
  errorNumber: number;
  message?: string;
  refusedAt: Date;
  waitingSince: Date;
}

/** One release Apple refused whose license still holds its seat. */
export interface RefusedReleaseRow {
  licenseId: string;
  adamId: string;
  appName?: string;
  accountId: string;
  accountName?: string;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  seq: number;
  error: string;
  failedAt: Date;
}

/**
 * What Apple refused in a space and still waits for an administrator, newest first, at
 * most `limit` of each (the totals count them all): of one app and account when given.
 */
export async function listRefusals(
  db: Db,
  input: { spaceId: string; adamId?: string; accountId?: string; limit: number },
): Promise<{
  requests: { total: number; items: RefusedRequestRow[] };
  releases: { total: number; items: RefusedReleaseRow[] };
}> {
  const { spaceId } = input;
  const app = (column: string) =>
    input.adamId === undefined ? sql`true` : sql`${sql.ref(column)} = ${input.adamId}`;
  const account = (column: string) =>
    input.accountId === undefined ? sql`true` : sql`${sql.ref(column)} = ${input.accountId}`;
  const appName = (adam: string, acc: string) => sql`coalesce(
      (select s.name from assets s where s.space_id = ${spaceId} and s.account_id = ${sql.ref(acc)}
        and s.adam_id = ${sql.ref(adam)}),
      (select c.name from catalog_apps c where c.space_id = ${spaceId} and c.adam_id = ${sql.ref(adam)}))`;
  const requests = await sql<{
    adam_id: string;
    app_name: string | null;
    user_id: string | null;
    user_name: string | null;
    device_id: string | null;
    serial_number: string | null;
    account_id: string | null;
    account_name: string | null;
    apple_error_number: number | null;
    apple_error_message: string | null;
    refused_at: Date | string | null;
    requested_at: Date | string;
    total: number;
  }>`select q.adam_id, ${appName("q.adam_id", "q.refused_account_id")} as app_name, q.user_id, u.name as user_name,
      q.device_id, d.serial_number, q.refused_account_id as account_id, a.display_name as account_name,
      q.apple_error_number, q.apple_error_message, q.refused_at, q.requested_at, (count(*) over ())::int as total
    from license_queue q
    left join users u on u.space_id = q.space_id and u.id = q.user_id
    left join devices d on d.space_id = q.space_id and d.id = q.device_id
    left join accounts a on a.space_id = q.space_id and a.id = q.refused_account_id
    where q.space_id = ${spaceId} and q.reason = 'apple_refused' and ${app("q.adam_id")}
      and ${account("q.refused_account_id")}
    order by q.refused_at desc nulls last, q.seq desc
    limit ${input.limit}`.execute(db);
  const releases = await sql<{
    license_id: string;
    adam_id: string;
    app_name: string | null;
    account_id: string;
    account_name: string | null;
    user_id: string | null;
    user_name: string | null;
    device_id: string | null;
    serial_number: string | null;
    seq: number | string;
    last_error: string | null;
    updated_at: Date | string;
    total: number;
  }>`select l.id as license_id, l.adam_id, ${appName("l.adam_id", "l.account_id")} as app_name, l.account_id,
      a.display_name as account_name, l.user_id, u.name as user_name, l.device_id, d.serial_number,
      o.seq, o.last_error, o.updated_at, (count(*) over ())::int as total
    from outbox o
    join licenses l on l.space_id = o.space_id and l.id = o.license_id
    left join accounts a on a.space_id = l.space_id and a.id = l.account_id
    left join users u on u.space_id = l.space_id and u.id = l.user_id
    left join devices d on d.space_id = l.space_id and d.id = l.device_id
    where o.space_id = ${spaceId} and o.state = 'failed' and o.kind in ('disassociate', 'revoke')
      and o.license_id is not null and l.state = 'pending_release' and ${app("l.adam_id")}
      and ${account("l.account_id")}
    order by o.updated_at desc, o.seq desc
    limit ${input.limit}`.execute(db);
  return {
    requests: {
      total: Number(requests.rows[0]?.total ?? 0),
      items: requests.rows.map((r) => ({
        adamId: r.adam_id,
        ...(r.app_name ? { appName: r.app_name } : {}),
        ...(r.user_id ? { userId: r.user_id } : {}),
        ...(r.user_name ? { userName: r.user_name } : {}),
        ...(r.device_id ? { deviceId: r.device_id } : {}),
        ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
        ...(r.account_id ? { accountId: r.account_id } : {}),
        ...(r.account_name ? { accountName: r.account_name } : {}),
        errorNumber: Number(r.apple_error_number ?? 0),
        ...(r.apple_error_message ? { message: r.apple_error_message } : {}),
        refusedAt: new Date(r.refused_at ?? r.requested_at),
        waitingSince: new Date(r.requested_at),
      })),
    },
    releases: {
      total: Number(releases.rows[0]?.total ?? 0),
      items: releases.rows.map((r) => ({
        licenseId: r.license_id,
        adamId: r.adam_id,
        ...(r.app_name ? { appName: r.app_name } : {}),
        accountId: r.account_id,
        ...(r.account_name ? { accountName: r.account_name } : {}),
        ...(r.user_id ? { userId: r.user_id } : {}),
        ...(r.user_name ? { userName: r.user_name } : {}),
        ...(r.device_id ? { deviceId: r.device_id } : {}),
        ...(r.serial_number ? { serialNumber: r.serial_number } : {}),
        seq: Number(r.seq),
        error: r.last_error ?? "",
        failedAt: new Date(r.updated_at),
      })),
    },
  };
}

/** The notifications' kind (sync/refusals.ts): one open per (account, app) with refusals. */
export const REFUSALS_KIND = "apple_refused";

/** The (account, app) keys with an open refusals notification. */
export async function openRefusalNotifications(
  db: Db,
  scope: { spaceId?: string } = {},
): Promise<Array<{ spaceId: string; accountId: string; adamId: string }>> {
  let query = db
    .selectFrom("notifications")
    .select(["space_id", "account_id", "adam_id"])
    .where("kind", "=", REFUSALS_KIND)
    .where("cleared_at", "is", null);
  if (scope.spaceId !== undefined) query = query.where("space_id", "=", scope.spaceId);
  const rows = await query.execute();
  return rows.map((r) => ({ spaceId: r.space_id, accountId: r.account_id ?? "", adamId: r.adam_id ?? "" }));
}

/**
 * Clears the refusals notifications whose (account, app) has nothing left to act on: after
 * an administrator sent requests again or acted on releases, and each minute (sync). Returns
 * the (account, app) keys still open, for the caller that raises.
 */
export async function clearResolvedRefusals(
  db: Db,
  input: { spaceId?: string; now: Date },
): Promise<{ open: RefusalsOfApp[]; notified: Set<string> }> {
  const scope = input.spaceId === undefined ? {} : { spaceId: input.spaceId };
  const open = await openRefusals(db, scope);
  const keyOf = refusalKey;
  const openKeys = new Set(open.map(keyOf));
  const notified = new Set<string>();
  for (const n of await openRefusalNotifications(db, scope)) {
    if (openKeys.has(keyOf(n))) {
      notified.add(keyOf(n));
      continue;
    }
    await clearNotifications(db, { ...n, kind: REFUSALS_KIND, now: input.now });
  }
  return { open, notified };
}

/** The key `clearResolvedRefusals` names an (account, app) by. */
export function refusalKey(k: { spaceId: string; accountId: string; adamId: string }): string {
  return `${k.spaceId}\u0000${k.accountId}\u0000${k.adamId}`;
}
