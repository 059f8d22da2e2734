import { type RawBuilder, type Selectable, sql, type UpdateObject } from "kysely";
import { LIVE_STATES, type LicenseState, type RuleId } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import type { ActivityAction } from "./activity-actions.js";
import { type ActivityMessage, activityMessage, renderActivityMessage } from "./activity-messages.js";
import type { Database, Db, Trx } from "./database.js";
import { withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { type LicenseRecord, toLicense } from "./license.repo.js";
import type { LicenseTable } from "./license.table.js";
import { appendOutbox, closeUnsentAssociations } from "./outbox.repo.js";
import { announceSeatsFreed, lockAssetsOfLicenses, returnSeatsOf } from "./seats.js";
import { type Actor, inList, probeByKey, unique } from "./sql-helpers.js";

/**
 * License state transitions after allocation. Each writes the activity log (invariant 4)
 * and, when Apple must act, the outbox entry in the same transaction (invariant 3).
 *
 *   pending_assign --markAssigned--> assigned
 *   pending_assign --failAssignment--> released          (seat given back)
 *   pending_assign | assigned --releaseLicenses--> pending_release (seat still held)
 *   pending_release --markReleased--> in_grace | released (seat given back)
 *   in_grace --expireGrace--> released
 */
interface Transition {
  spaceId: string;
  licenseIds: readonly string[];
  actor: Actor;
  now: Date;
}

/**
 * RV1-RV5: queues the disassociation at Apple. The seat stays counted until Apple
 * confirms. An association already in an Apple call goes on, and the disassociation waits
 * for it (dispatch.ts). A license whose association never left Orchard (still in the
 * outbox, or in a call no worker has taken: closeUnsentAssociations) costs Apple nothing:
 * its association is closed unsent, and it is released at once, seat given back, with no
 * grace (RV3 keeps usable an app that was installed; none was, Apple never assigned it).
 * Those are moved first, their asset rows locked before them as everywhere else; the
 * others are not locked past their own rows (a release of sent licenses gives no seat back).
 */
export async function releaseLicenses(
  db: Db,
  input: Transition & { because: readonly RuleId[]; graceUntil?: Date },
): Promise<LicenseRecord[]> {
  // RV2: an administrator revoked them (one license, or all of an app's): the log says so in
  // its words, where an audit searches for it.
  const revoked = input.because.includes("RV2");
  return withTransaction(db, async (trx) => {
    // Apple has confirmed the others (or a sync found them there): those always go to Apple.
    const unconfirmed = (
      await trx
        .selectFrom("licenses")
        .select(["id", "account_id"])
        .where("space_id", "=", input.spaceId)
        .where(inList("id", input.licenseIds))
        .where("state", "=", "pending_assign")
        .execute()
    ).map((l) => ({ id: l.id, accountId: l.account_id }));
    const closed = await closeUnsentAssociations(
      trx,
      input.spaceId,
      { licenseIds: input.licenseIds, unconfirmed },
      input.now,
    );
    const unsent = unconfirmed.flatMap((l) => (closed.has(l.id) ? [l.id] : []));
    const released =
      unsent.length === 0
        ? []
        : await withSeatsBack(
            trx,
            { ...input, licenseIds: unsent },
            ["pending_assign"],
            { state: "released", released_at: input.now, grace_until: null },
            {
              action: "license.released",
              because: input.because,
              message: activityMessage(revoked ? "license.revoked_unsent" : "license.released_unsent"),
            },
          );
    // Their seats go to the waiting queue once this commits (DB2): nobody else follows them.
    await announceSeatsFreed(trx, released);
    // The released ones are no longer live: the others move.
    const toApple = await transition(trx, input, LIVE_STATES, {
      state: "pending_release",
      grace_until: input.graceUntil ?? null,
    });
    if (toApple.length > 0) {
      const subjects = await subjectsOf(trx, input.spaceId, toApple);
      const pricing = await pricingOf(trx, input.spaceId, toApple);
      await appendOutbox(
        trx,
        toApple.map((l) => ({
          spaceId: l.spaceId,
          accountId: l.accountId,
          kind: "disassociate" as const,
          adamId: l.adamId,
          pricingParam: pricing.get(`${l.accountId}/${l.adamId}`),
          serialNumber: l.deviceId ? subjects.serials.get(l.deviceId) : undefined,
          clientUserId: l.userId ? subjects.clientUserIds.get(l.userId) : undefined,
          licenseId: l.id,
          now: input.now,
        })),
      );
      await log(
        trx,
        input,
        toApple,
        "license.release_requested",
        input.because,
        activityMessage(revoked ? "license.revoke_queued" : "license.release_queued"),
      );
    }
    return [...toApple, ...released];
  });
}

/** What a confirmation returns of each license it moved: Apple confirms a thousand at a time. */
export type MovedLicense = Pick<LicenseRecord, "id" | "spaceId" | "accountId" | "adamId" | "state">;

/** Apple confirmed the association. */
export async function markAssigned(db: Db, input: Transition): Promise<MovedLicense[]> {
  if (input.licenseIds.length === 0) return [];
  return withTransaction(db, async (trx) => {
    return transitionBrief(
      trx,
      input,
      ["pending_assign"],
      { state: "assigned", assigned_at: input.now },
      { action: "license.assigned", message: activityMessage("license.assigned") },
    );
  });
}

/** Apple refused the association: the license is released and its seat given back. */
export async function failAssignment(
  db: Db,
  input: Transition & { reason: string },
): Promise<LicenseRecord[]> {
  if (input.licenseIds.length === 0) return [];
  return withTransaction(db, async (trx) => {
    return withSeatsBack(
      trx,
      input,
      ["pending_assign"],
      { state: "released", released_at: input.now },
      {
        action: "license.assign_failed",
        message: activityMessage("license.apple_refused", { reason: input.reason }),
      },
    );
  });
}

/** Apple confirmed the disassociation: in grace until `grace_until` when set (RV3, iOS), else released. */
export async function markReleased(db: Db, input: Transition): Promise<LicenseRecord[]> {
  if (input.licenseIds.length === 0) return [];
  return withTransaction(db, async (trx) => {
    return withSeatsBack(
      trx,
      input,
      ["pending_release"],
      {
        state: sql<LicenseState>`case when grace_until > ${input.now} then 'in_grace' else 'released' end`,
        released_at: input.now,
      },
      { action: "license.released", because: ["RV3"], message: activityMessage("license.released") },
    );
  });
}

/** RV3: the 30 days are over. */
export async function expireGrace(
  db: Db,
  input: { now: Date; actor: Actor; limit?: number },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    const rows = await trx
      .updateTable("licenses")
      .set({ state: "released", updated_at: input.now })
      .where(({ eb, selectFrom }) =>
        eb(
          eb.refTuple("space_id", "id"),
          "in",
          selectFrom("licenses")
            .select(["space_id", "id"])
            .where("grace_ends", "<=", input.now)
            .limit(input.limit ?? 10_000)
            .$asTuple("space_id", "id"),
        ),
      )
      .returningAll()
      .execute();
    const changed = rows.map(toLicense);
    for (const spaceId of unique(changed.map((l) => l.spaceId))) {
      const ofSpace = changed.filter((l) => l.spaceId === spaceId);
      await log(
        trx,
        { spaceId, actor: input.actor, now: input.now },
        ofSpace,
        "license.grace_ended",
        ["RV3"],
        activityMessage("license.grace_ended"),
      );
    }
    return changed.length;
  });
}

type LicenseSet = UpdateObject<Database, "licenses"> & { state: unknown };

/** The activity-log line each moved license gets (invariant 4). */
interface LogAs {
  action: ActivityAction;
  /** The rules behind this change; unset, the rules that granted the license. */
  because?: readonly string[];
  message: ActivityMessage;
}

/**
 * Moves the licenses that are in `from`; the others are left alone (idempotent retries).
 * With `logAs`, each moved license's activity-log line is written by the same statement
 * (a data-modifying CTE): the moved rows are not sent back to be inserted again.
 * An id the space does not hold is a NotFoundError (the transaction rolls back); it is
 * looked for only when some license did not move, not on every batch.
 */
async function transition(
  trx: Trx,
  input: Transition,
  from: readonly LicenseState[],
  set: LicenseSet,
  logAs?: LogAs,
): Promise<LicenseRecord[]> {
  const rows = await moveLicenses(trx, input, from, set, logAs);
  return rows.map((row) => toLicense(row as Selectable<LicenseTable>));
}

/** `transition`, returning a MovedLicense of each. */
async function transitionBrief(
  trx: Trx,
  input: Transition,
  from: readonly LicenseState[],
  set: LicenseSet,
  logAs: LogAs,
): Promise<MovedLicense[]> {
  const rows = await moveLicenses(trx, input, from, set, logAs, BRIEF_COLUMNS);
  return rows.map((row) => ({
    id: row.id as string,
    spaceId: row.space_id as string,
    accountId: row.account_id as string,
    adamId: row.adam_id as string,
    state: row.state as LicenseState,
  }));
}

const BRIEF_COLUMNS = ["id", "space_id", "account_id", "adam_id", "state"] as const;

async function moveLicenses(
  trx: Trx,
  input: Transition,
  from: readonly LicenseState[],
  set: LicenseSet,
  logAs?: LogAs,
  columns?: typeof BRIEF_COLUMNS,
): Promise<Array<Partial<Selectable<LicenseTable>>>> {
  if (input.licenseIds.length === 0) return [];
  const found = await findByKey(trx, input.spaceId, input.licenseIds, from);
  if (found.length === 0) {
    await assertKnown(trx, input);
    return [];
  }
  const where = sql<boolean>`ctid = any(${found.map((f) => f.tid)}::tid[])
    and (ctid::text || '/' || xmin::text) = any(${found.map((f) => `${f.tid}/${f.xmin}`)}::text[])`;
  const rows = await moveWhere(trx, input, where, from, set, logAs, columns);
  if (rows.length < found.length) {
    // Rows another transaction changed since they were read: looked for again by id.
    const moved = new Set(rows.map((r) => r.id));
    const again = found.flatMap((f) => (moved.has(f.id) ? [] : [f.id]));
    const byId = sql<boolean>`space_id = ${input.spaceId} and id = any(${again}::text[])`;
    rows.push(...(await moveWhere(trx, input, byId, from, set, logAs, columns)));
  }
  if (rows.length < unique(input.licenseIds).length) await assertKnown(trx, input);
  return rows;
}

async function moveWhere(
  trx: Trx,
  input: Transition,
  where: RawBuilder<boolean>,
  from: readonly LicenseState[],
  set: LicenseSet,
  logAs?: LogAs,
  columns?: typeof BRIEF_COLUMNS,
): Promise<Array<Partial<Selectable<LicenseTable>>>> {
  const move = (db: Trx) =>
    db
      .updateTable("licenses")
      .set({ ...set, updated_at: input.now })
      .where(where)
      .where("state", "in", from);
  return logAs
    ? await trx
        .with("moved", () => move(trx).returningAll())
        .with("logged", (db) =>
          db
            .insertInto("activity_log")
            .columns([
              "space_id",
              "at",
              "actor_kind",
              "actor_id",
              "action",
              "user_id",
              "device_id",
              "adam_id",
              "account_id",
              "license_id",
              "rule_ids",
              "message",
              "message_key",
              "message_params",
            ])
            .expression(
              db
                .selectFrom("moved")
                .select([
                  "moved.space_id",
                  sql<Date>`${input.now}::timestamptz`.as("at"),
                  sql<string>`${input.actor.kind}::text`.as("actor_kind"),
                  sql<string | null>`${input.actor.id ?? null}::text`.as("actor_id"),
                  sql<string>`${logAs.action}::text`.as("action"),
                  "moved.user_id",
                  "moved.device_id",
                  "moved.adam_id",
                  "moved.account_id",
                  "moved.id",
                  logAs.because
                    ? sql<string[]>`${[...logAs.because]}::text[]`.as("rule_ids")
                    : "moved.rule_ids",
                  sql<string>`${renderActivityMessage(logAs.message)}::text`.as("message"),
                  sql<string>`${logAs.message.key}::text`.as("message_key"),
                  sql<string>`${JSON.stringify(logAs.message.params)}::jsonb`.as("message_params"),
                ]),
            ),
        )
        .selectFrom("moved")
        .$if(columns === undefined, (q) => q.selectAll())
        .$if(columns !== undefined, (q) => q.select(columns ?? []))
        .execute()
    : await move(trx).returningAll().execute();
}

/**
 * The licenses among `ids` that are in `from`, each found by its key (one index probe
 * each), with the row version read (its place and the transaction that wrote it). The move
 * then updates exactly those versions where they are (a TID scan, whose only alternative
 * is a scan of the table): joining the ids to the UPDATE let the planner drive from the
 * space's licenses instead and probe every id again per license, and with statistics
 * taken before a storm's licenses existed each of Apple's confirmations cost seconds
 * (quadratic in the storm). A version that changed in between (another transaction
 * moved the license) is not touched, and is looked for again by id.
 */
async function findByKey(
  trx: Trx,
  spaceId: string,
  ids: readonly string[],
  from: readonly LicenseState[],
): Promise<Array<{ id: string; tid: string; xmin: string }>> {
  const probe = probeByKey("licenses", spaceId, unique(ids), {
    columns: sql`id, ctid, xmin`,
    and: sql<boolean>`state = any(${[...from]}::text[])`,
  });
  const { rows } = await sql<{ id: string; tid: string; xmin: string }>`select d.id, d.ctid::text as tid,
      d.xmin::text as xmin
    from ${probe}`.execute(trx);
  return rows;
}

/** Like `transition`, for moves that free a seat: asset rows are locked first, as in allocation. */
async function withSeatsBack(
  trx: Trx,
  input: Transition,
  from: readonly LicenseState[],
  set: LicenseSet,
  logAs: LogAs,
): Promise<LicenseRecord[]> {
  await lockAssetsOfLicenses(trx, input.spaceId, input.licenseIds);
  const changed = await transition(trx, input, from, set, logAs);
  await returnSeatsOf(trx, input.spaceId, changed, input.now);
  return changed;
}

async function assertKnown(trx: Trx, input: Transition): Promise<void> {
  const ids = unique(input.licenseIds);
  if (ids.length === 0) return;
  const rows = await trx
    .selectFrom("licenses")
    .select("id")
    .where("space_id", "=", input.spaceId)
    .where(inList("id", ids))
    .execute();
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError("license", missing);
}

async function subjectsOf(trx: Trx, spaceId: string, licenses: readonly LicenseRecord[]) {
  const deviceIds = unique(licenses.flatMap((l) => (l.deviceId ? [l.deviceId] : [])));
  const userIds = unique(licenses.flatMap((l) => (l.userId ? [l.userId] : [])));
  const devices = deviceIds.length
    ? await trx
        .selectFrom("devices")
        // The serial Apple knows: its assignment is under the spelling it was sent (0026).
        .select((eb) => ["id", eb.fn.coalesce("apple_serial_number", "serial_number").as("serial_number")])
        .where("space_id", "=", spaceId)
        .where(inList("id", deviceIds))
        .execute()
    : [];
  const users = userIds.length
    ? await trx
        .selectFrom("users")
        .select(["id", "apple_client_user_id"])
        .where("space_id", "=", spaceId)
        .where(inList("id", userIds))
        .execute()
    : [];
  return {
    serials: new Map(devices.map((d) => [d.id, d.serial_number])),
    clientUserIds: new Map(
      users.flatMap((u) => (u.apple_client_user_id ? [[u.id, u.apple_client_user_id]] : [])),
    ),
  };
}

async function pricingOf(trx: Trx, spaceId: string, licenses: readonly LicenseRecord[]) {
  const adamIds = unique(licenses.map((l) => l.adamId));
  const rows = await trx
    .selectFrom("assets")
    .select(["account_id", "adam_id", "pricing_param"])
    .where("space_id", "=", spaceId)
    .where(inList("adam_id", adamIds))
    .execute();
  return new Map(rows.map((r) => [`${r.account_id}/${r.adam_id}`, r.pricing_param]));
}

async function log(
  trx: Trx,
  input: { spaceId: string; actor: Actor; now: Date },
  licenses: readonly LicenseRecord[],
  action: ActivityAction,
  because: readonly string[] | undefined,
  message: ActivityMessage,
): Promise<void> {
  await appendActivity(
    trx,
    licenses.map((l) => ({
      spaceId: input.spaceId,
      actor: input.actor,
      action,
      userId: l.userId,
      deviceId: l.deviceId,
      adamId: l.adamId,
      accountId: l.accountId,
      licenseId: l.id,
      // The rules behind this change, else the rules that granted the license.
      ruleIds: because ?? l.ruleIds,
      message,
      at: input.now,
    })),
  );
}
