import type { LicenseType } from "../licensing/index.js";
import { appendActivity } from "../store/activity.repo.js";
import { activityMessage } from "../store/activity-messages.js";
import { type Db, withTransaction } from "../store/database.js";
import { gaveWay, StoreError } from "../store/errors.js";
import {
  countInactiveLicenses,
  type InactiveLicense,
  type InactivityCriteria,
  inactiveBefore,
  inactiveSet,
  listInactiveLicenses,
} from "../store/reclaim.repo.js";
import type { Actor } from "../store/sql-helpers.js";
import type { ServiceDeps } from "./deps.js";

/**
 * Reclaim: the licenses held by subjects inactive for N days (store/reclaim.repo.ts says
 * what inactive means), previewed, then revoked one by one through the single revoke's path
 * (deps.licenses.revoke: Apple's disassociation through the outbox, RV3's grace where iOS
 * keeps the app, whatever MDM commands that revoke queues, the waiting queue served once
 * the seat is back: DB2, UB3).
 *
 * A reclaim names what its preview showed: the count (`expect`) and the fingerprint of the
 * set. When either differs now, nothing is revoked (ReclaimChangedError): the same count can
 * hide another set (one device went idle while another came back), and an administrator
 * never revokes a license they were not shown the set of.
 *
 * One request revokes RECLAIM_LIMIT licenses at most, the first by license id, and the
 * fingerprint is of those: a larger set is reclaimed in several rounds, each previewed (the
 * answer says how many still match). That bounds what one confirmation revokes and how long
 * one request runs, each license being a revoke of its own.
 */
export const RECLAIM_PREVIEW_ROWS = 100;
/** The most licenses one reclaim request revokes. */
export const RECLAIM_LIMIT = 10_000;
/** Licenses revoked per transaction: each batch commits on its own. */
const BATCH = 100;
/** A batch that gave way to another change wrote nothing: it is run again, this many times at most. */
const ATTEMPTS = 3;

export interface ReclaimFilter {
  inactiveDays: number;
  adamId?: string | undefined;
  accountId?: string | undefined;
  type?: LicenseType | undefined;
}

/**
 * The cap of one request: RECLAIM_LIMIT, which the API and the CLI always use. A smaller
 * one is for tests, which prove a capped round without revoking 10,000 licenses.
 */
interface Capped {
  limit?: number;
}

export interface ReclaimPreview {
  inactiveDays: number;
  /** Subjects last seen at or before this instant are inactive. */
  inactiveBefore: Date;
  count: number;
  /** RECLAIM_LIMIT: the most one reclaim request revokes. */
  limit: number;
  /** More match than one request revokes: it takes the first `limit` by license id. */
  capped: boolean;
  /** Of the licenses one reclaim would revoke now (the first `limit` by id): what it must name. */
  fingerprint: string;
  /** The first RECLAIM_PREVIEW_ROWS, by license id. */
  items: InactiveLicense[];
}

export interface ReclaimResult extends ReclaimPreview {
  /** Licenses revoked: at most `limit`; fewer when some subject came back meanwhile. */
  reclaimed: number;
  /** Licenses that match once this request is done (beyond the limit, or gone idle since): for another round. */
  remaining: number;
  /** The first RECLAIM_PREVIEW_ROWS reclaimed. */
  items: InactiveLicense[];
}

/** What the preview showed is not what matches now: nothing was revoked. */
export class ReclaimChangedError extends Error {
  override readonly name = "ReclaimChangedError";
  constructor(
    readonly expected: number,
    readonly count: number,
    /** `count`: another number of licenses; `set`: as many, not the same ones. */
    readonly change: "count" | "set",
  ) {
    super(
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
  input: { spaceId: string; filter: ReclaimFilter; now: Date } & Capped,
): Promise<ReclaimPreview> {
  const criteria = criteriaOf(input.filter, input.now);
  const limit = input.limit ?? RECLAIM_LIMIT;
  // The rows shown are the first of the fingerprinted set, looked up by id.
  const set = await inactiveSet(db, input.spaceId, criteria, { cap: limit, ids: RECLAIM_PREVIEW_ROWS });
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
 * Revokes what the preview showed: when the count and the fingerprint still match, exactly
 * the fingerprinted licenses (the first RECLAIM_LIMIT by id), in batches by id. Each license
 * of a batch is checked again inside the batch's transaction (a device that checked in since
 * keeps its license), revoked as a single revoke is, and gets one activity-log line naming
 * the reason. A batch commits on its own: an interrupted reclaim keeps what it did, and a new
 * preview shows the rest.
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
  } & Capped,
): Promise<ReclaimResult> {
  const { db } = deps;
  const criteria = criteriaOf(input.filter, input.now);
  const limit = input.limit ?? RECLAIM_LIMIT;
  const set = await inactiveSet(db, input.spaceId, criteria, { cap: limit, ids: limit });
  if (set.count !== input.expect) throw new ReclaimChangedError(input.expect, set.count, "count");
  if (set.fingerprint !== input.fingerprint) throw new ReclaimChangedError(input.expect, set.count, "set");
  const reclaimed: InactiveLicense[] = [];
  let total = 0;
  for (let start = 0; start < set.ids.length; start += BATCH) {
    const batch = set.ids.slice(start, start + BATCH);
    const done = await runAgainIfGaveWay(() =>
      withTransaction(db, (trx) => revokeBatch(trx, deps, input, criteria, batch)),
    );
    total += done.length;
    reclaimed.push(...done.slice(0, RECLAIM_PREVIEW_ROWS - reclaimed.length));
  }
  return {
    inactiveDays: input.filter.inactiveDays,
    inactiveBefore: criteria.inactiveBefore,
    count: set.count,
    limit,
    capped: set.count > limit,
    fingerprint: set.fingerprint,
    reclaimed: total,
    remaining: await countInactiveLicenses(db, input.spaceId, criteria),
    items: reclaimed,
  };
}

async function revokeBatch(
  trx: Db,
  deps: Pick<ServiceDeps, "licenses">,
  input: { spaceId: string; filter: ReclaimFilter; actor: Actor; now: Date },
  criteria: InactivityCriteria,
  ids: readonly string[],
): Promise<InactiveLicense[]> {
  const still = await listInactiveLicenses(trx, input.spaceId, criteria, { limit: ids.length, ids });
  const revoked: InactiveLicense[] = [];
  for (const license of still) {
    try {
      const released = await deps.licenses.revoke(trx, {
        spaceId: input.spaceId,
        licenseId: license.id,
        because: ["RV2"],
        actor: input.actor,
        now: input.now,
      });
      if (released.some((r) => r.id === license.id)) revoked.push(license);
    } catch (error) {
      // Revoked by someone else since the check (the revoke refuses before it writes): nothing to do.
      if (!(error instanceof StoreError && error.code === "invalid_transition")) throw error;
    }
  }
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
