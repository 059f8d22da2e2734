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
  listInactiveLicenses,
} from "../store/reclaim.repo.js";
import type { Actor } from "../store/sql-helpers.js";
import type { ServiceDeps } from "./deps.js";

/**
 * Reclaim: the licenses held by subjects inactive for N days (store/reclaim.repo.ts says
 * what inactive means), previewed, then revoked one by one through the single revoke's path
 * (deps.licenses.revoke: Apple's disassociation through the outbox, RV3's grace where iOS
 * keeps the app, whatever MDM commands that revoke queues, the waiting queue served once
 * the seat is back: DB2, UB3). A reclaim names the count its preview showed (`expect`):
 * when the count differs now, nothing is revoked (ReclaimChangedError), so an
 * administrator never revokes more than they saw.
 */
export const RECLAIM_PREVIEW_ROWS = 100;
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

export interface ReclaimPreview {
  inactiveDays: number;
  /** Subjects last seen at or before this instant are inactive. */
  inactiveBefore: Date;
  count: number;
  /** The first RECLAIM_PREVIEW_ROWS, by license id. */
  items: InactiveLicense[];
}

export interface ReclaimResult extends ReclaimPreview {
  /** Licenses revoked: at most `count`; fewer when some subject came back meanwhile. */
  reclaimed: number;
  /** The first RECLAIM_PREVIEW_ROWS reclaimed. */
  items: InactiveLicense[];
}

/** The count changed between the preview and the reclaim: nothing was revoked. */
export class ReclaimChangedError extends Error {
  override readonly name = "ReclaimChangedError";
  constructor(
    readonly expected: number,
    readonly count: number,
  ) {
    super(
      `${count} ${count === 1 ? "license matches" : "licenses match"} now, not the ${expected} the preview showed: ` +
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

/** How many licenses a reclaim would revoke now, and the first of them. Writes nothing. */
export async function previewReclaim(
  db: Db,
  input: { spaceId: string; filter: ReclaimFilter; now: Date },
): Promise<ReclaimPreview> {
  const criteria = criteriaOf(input.filter, input.now);
  const [count, items] = await Promise.all([
    countInactiveLicenses(db, input.spaceId, criteria),
    listInactiveLicenses(db, input.spaceId, criteria, { limit: RECLAIM_PREVIEW_ROWS }),
  ]);
  return { inactiveDays: input.filter.inactiveDays, inactiveBefore: criteria.inactiveBefore, count, items };
}

/**
 * Revokes the licenses the preview counted, `expect` of them at most, in batches by id. Each
 * license of a batch is checked again inside the batch's transaction (a device that checked
 * in since keeps its license), revoked as a single revoke is, and gets one activity-log line
 * naming the reason. A batch commits on its own: an interrupted reclaim keeps what it did,
 * and a new preview shows the rest.
 */
export async function reclaimInactive(
  deps: Pick<ServiceDeps, "db" | "licenses">,
  input: { spaceId: string; filter: ReclaimFilter; expect: number; actor: Actor; now: Date },
): Promise<ReclaimResult> {
  const { db } = deps;
  const criteria = criteriaOf(input.filter, input.now);
  const count = await countInactiveLicenses(db, input.spaceId, criteria);
  if (count !== input.expect) throw new ReclaimChangedError(input.expect, count);
  const reclaimed: InactiveLicense[] = [];
  let total = 0;
  let after: string | undefined;
  while (total < input.expect) {
    const candidates = await listInactiveLicenses(db, input.spaceId, criteria, {
      after,
      limit: Math.min(BATCH, input.expect - total),
    });
    const last = candidates.at(-1);
    if (!last) break;
    after = last.id;
    const done = await runAgainIfGaveWay(() =>
      withTransaction(db, (trx) => revokeBatch(trx, deps, input, criteria, candidates)),
    );
    total += done.length;
    reclaimed.push(...done.slice(0, RECLAIM_PREVIEW_ROWS - reclaimed.length));
  }
  return {
    inactiveDays: input.filter.inactiveDays,
    inactiveBefore: criteria.inactiveBefore,
    count,
    reclaimed: total,
    items: reclaimed,
  };
}

async function revokeBatch(
  trx: Db,
  deps: Pick<ServiceDeps, "licenses">,
  input: { spaceId: string; filter: ReclaimFilter; actor: Actor; now: Date },
  criteria: InactivityCriteria,
  candidates: readonly InactiveLicense[],
): Promise<InactiveLicense[]> {
  const still = await listInactiveLicenses(trx, input.spaceId, criteria, {
    limit: candidates.length,
    ids: candidates.map((l) => l.id),
  });
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
