import type { LicenseType } from "../licensing/index.js";
import { appendActivity } from "../store/activity.repo.js";
import { activityMessage } from "../store/activity-messages.js";
import { type Db, withTransaction } from "../store/database.js";
import { gaveWay } from "../store/errors.js";
import {
  type InactiveLicense,
  type InactivityCriteria,
  inactiveBefore,
  inactiveSet,
  listInactiveLicenses,
} from "../store/reclaim.repo.js";
import type { Actor } from "../store/sql-helpers.js";
import type { ServiceDeps } from "./deps.js";
import { PreviewChangedError } from "./preview-changed.js";

/**
 * Reclaim: the licenses held by subjects inactive for N days (store/reclaim.repo.ts says
 * what inactive means), previewed, then revoked batch by batch, each license as the single
 * revoke revokes it (deps.licenses.revokeMany: Apple's disassociation through the outbox,
 * RV3's grace where iOS keeps the app, the waiting queue served once the seat is back: DB2,
 * UB3), in statements per batch rather than per license.
 *
 * A reclaim names what its preview showed: the count (`expect`) and the fingerprint of the
 * whole set. When either differs now, nothing is revoked (ReclaimChangedError): the same
 * count can hide another set (one device went idle while another came back), and an
 * administrator never revokes a license they were not shown the set of.
 *
 * One request revokes RECLAIM_BATCH licenses at most, the first by license id, in one
 * transaction, so that it answers within a reverse proxy's timeout; its answer names the rest
 * of the set (`next`: its count and fingerprint, from the same snapshot as the check), which
 * the next request sends to go on. Each batch checks that the rest is still what the previous
 * one left: a set changed in between is refused as a preview's is, and that batch revokes nothing.
 */
export const RECLAIM_PREVIEW_ROWS = 100;
/**
 * The most licenses one reclaim request revokes: a batch of 1,000 took 1-1.7 s on PostgreSQL
 * and 1.5-2.2 s on PGlite on a loaded 2-core machine (a thousand single revokes: 12-110 s),
 * well under a reverse proxy's 60 s.
 */
export const RECLAIM_BATCH = 1_000;
/** A batch that gave way to another change wrote nothing: it is run again, this many times at most. */
const ATTEMPTS = 3;

export interface ReclaimFilter {
  inactiveDays: number;
  adamId?: string | undefined;
  accountId?: string | undefined;
  type?: LicenseType | undefined;
}

/**
 * The batch of one request: RECLAIM_BATCH, which the API and the CLI always use. A smaller
 * one is for tests, which prove a reclaim of several batches without revoking thousands.
 */
interface Batched {
  limit?: number;
}

export interface ReclaimPreview {
  inactiveDays: number;
  /** Subjects last seen at or before this instant are inactive. */
  inactiveBefore: Date;
  count: number;
  /** RECLAIM_BATCH: the most one reclaim request revokes. */
  limit: number;
  /** More match than one request revokes: the reclaim goes on request after request (`next`). */
  capped: boolean;
  /** Of all the licenses that match: what a reclaim must name. */
  fingerprint: string;
  /** The first RECLAIM_PREVIEW_ROWS, by license id. */
  items: InactiveLicense[];
}

/** What the next request of a reclaim names: the rest of the set, as this request left it. */
export interface ReclaimNext {
  expect: number;
  fingerprint: string;
}

export interface ReclaimResult extends ReclaimPreview {
  /** Licenses revoked by this request: at most `limit`; fewer when some subject came back meanwhile. */
  reclaimed: number;
  /** Licenses of the named set this request left: the next request reclaims them (`next`). */
  remaining: number;
  /** Present while `remaining` > 0: the `expect` and `fingerprint` of the next request. */
  next?: ReclaimNext;
  /** The first RECLAIM_PREVIEW_ROWS this request reclaimed. */
  items: InactiveLicense[];
}

/** What the preview (or the previous batch) named is not what matches now: nothing was revoked. */
export class ReclaimChangedError extends PreviewChangedError {
  override readonly name = "ReclaimChangedError";
  constructor(expected: number, count: number, change: "count" | "set") {
    super(
      expected,
      count,
      change,
      change === "count"
        ? `${count} ${count === 1 ? "license matches" : "licenses match"} now, not the ${expected} the preview showed: ` +
            "nothing was reclaimed; preview again"
        : `the licenses that match changed since the preview (${count}, as many, but not the same ones): ` +
            "nothing was reclaimed; preview again",
    );
  }
}

function criteriaOf(filter: ReclaimFilter, now: Date): InactivityCriteria {
  return {
    inactiveBefore: inactiveBefore(now, filter.inactiveDays),
    adamId: filter.adamId,
    accountId: filter.accountId,
    type: filter.type,
  };
}

/** How many licenses a reclaim would revoke now, their fingerprint, and the first of them. Writes nothing. */
export async function previewReclaim(
  db: Db,
  input: { spaceId: string; filter: ReclaimFilter; now: Date } & Batched,
): Promise<ReclaimPreview> {
  const criteria = criteriaOf(input.filter, input.now);
  const limit = input.limit ?? RECLAIM_BATCH;
  // The rows shown are the first of the fingerprinted set, looked up by id.
  const set = await inactiveSet(db, input.spaceId, criteria, { take: RECLAIM_PREVIEW_ROWS });
  const items = await listInactiveLicenses(db, input.spaceId, criteria, {
    limit: RECLAIM_PREVIEW_ROWS,
    ids: set.ids,
  });
  return {
    inactiveDays: input.filter.inactiveDays,
    inactiveBefore: criteria.inactiveBefore,
    count: set.count,
    limit,
    capped: set.count > limit,
    fingerprint: set.fingerprint,
    items,
  };
}

/**
 * One batch of a reclaim: when the count and the fingerprint still match what the preview
 * (or the previous batch's `next`) named, the first `limit` licenses of the set by id, in one
 * transaction. Each is checked again inside it (a device that checked in since keeps its
 * license), revoked as a single revoke is, and gets one activity-log line naming the reason.
 * The answer's `next` names the rest of the set read with the check: the next request goes
 * on from there. A stopped reclaim keeps what its batches did, and a new preview shows the rest.
 */
export async function reclaimInactive(
  deps: Pick<ServiceDeps, "db" | "licenses">,
  input: {
    spaceId: string;
    filter: ReclaimFilter;
    expect: number;
    fingerprint: string;
    actor: Actor;
    now: Date;
  } & Batched,
): Promise<ReclaimResult> {
  const { db } = deps;
  const criteria = criteriaOf(input.filter, input.now);
  const limit = input.limit ?? RECLAIM_BATCH;
  const set = await inactiveSet(db, input.spaceId, criteria, { take: limit });
  if (set.count !== input.expect) throw new ReclaimChangedError(input.expect, set.count, "count");
  if (set.fingerprint !== input.fingerprint) throw new ReclaimChangedError(input.expect, set.count, "set");
  const revoked =
    set.ids.length === 0
      ? []
      : await runAgainIfGaveWay(() =>
          withTransaction(db, (trx) => revokeBatch(trx, deps, input, criteria, set.ids)),
        );
  const remaining = set.count - set.ids.length;
  return {
    inactiveDays: input.filter.inactiveDays,
    inactiveBefore: criteria.inactiveBefore,
    count: set.count,
    limit,
    capped: set.count > limit,
    fingerprint: set.fingerprint,
    reclaimed: revoked.length,
    remaining,
    ...(remaining > 0 ? { next: { expect: remaining, fingerprint: set.restFingerprint } } : {}),
    items: revoked.slice(0, RECLAIM_PREVIEW_ROWS),
  };
}

/** The batch's licenses still inactive, revoked together, each with its `license.reclaimed` line. */
async function revokeBatch(
  trx: Db,
  deps: Pick<ServiceDeps, "licenses">,
  input: { spaceId: string; filter: ReclaimFilter; actor: Actor; now: Date },
  criteria: InactivityCriteria,
  ids: readonly string[],
): Promise<InactiveLicense[]> {
  const still = await listInactiveLicenses(trx, input.spaceId, criteria, { limit: ids.length, ids });
  // Those revoked by someone else since the check are left out by the revoke.
  const released = new Set(
    await deps.licenses.revokeMany(trx, {
      spaceId: input.spaceId,
      licenseIds: still.map((l) => l.id),
      actor: input.actor,
      now: input.now,
    }),
  );
  const revoked = still.filter((l) => released.has(l.id));
  await appendActivity(
    trx,
    revoked.map((l) => ({
      spaceId: input.spaceId,
      actor: input.actor,
      action: "license.reclaimed",
      licenseId: l.id,
      adamId: l.adamId,
      accountId: l.accountId,
      ...(l.userId !== undefined ? { userId: l.userId } : {}),
      ...(l.deviceId !== undefined ? { deviceId: l.deviceId } : {}),
      ruleIds: ["RV2"],
      message: activityMessage(
        l.type === "device" ? "license.reclaimed_device_inactive" : "license.reclaimed_user_inactive",
        { since: l.inactiveSince.toISOString().slice(0, 10) },
      ),
      details: { inactiveDays: input.filter.inactiveDays, inactiveSince: l.inactiveSince.toISOString() },
      at: input.now,
    })),
  );
  return revoked;
}

async function runAgainIfGaveWay<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= ATTEMPTS || !gaveWay(error)) throw error;
    }
  }
}
