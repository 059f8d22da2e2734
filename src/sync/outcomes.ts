/**
 * Applying Apple's per-subject results to the outbox rows of one event and to their
 * licenses, in one transaction, whether they came from a notification or from /status.
 * Each license move only happens from the state it expects, so applying the same result
 * twice (a notification and a poll, or a retry after a crash) changes nothing the second time.
 */

import type { LicenseRequest, RequestReason } from "../licensing/index.js";
import { type AppleCall, settleCallOps } from "../store/apple-calls.repo.js";
import {
  failAssignment,
  type LicenseRecord,
  markAssigned,
  markReleased,
  type OutboxRecord,
  withTransaction,
} from "../store/index.js";
import { outsideOutcomes, settleOutsideReleases } from "../store/outside-assignments.repo.js";
import { lockAssetsOfLicenses } from "../store/seats.js";
import { normalizeSerial } from "../store/serial-number.js";
import { requeueSubjects } from "../store/sync-licenses.repo.js";
import { finishOutbox } from "../store/sync-outbox.repo.js";
import { registerUsersAgain } from "../store/unknown-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { APPLE } from "./deps.js";

export type SubjectOutcome = { ok: true } | { ok: false; errorNumber: number; message?: string | undefined };

/** Apple could not do it now; the same request later may work (internal error, maintenance, throttled, unavailable). */
const TRANSIENT = new Set([9603, 9644, 9646, 9729]);
const USER_NOT_FOUND = 9609;
const NOT_ENOUGH_LICENSES = 9709;

export interface Effects {
  /** (account, app) whose counts changed: NT1 is evaluated. */
  touched: Array<{ spaceId: string; accountId: string; adamId: string }>;
  /** Apps with a seat given back: their queue is served (DB2). */
  freed: Array<{ spaceId: string; adamId: string }>;
  /** Accounts where Apple had fewer licenses than Orchard thought (9709): counts are synced first. */
  recount: Array<{ spaceId: string; accountId: string; adamId: string }>;
  /** (account, app) where Apple refused something for good: its notification is raised (refusals.ts). */
  refused?: Array<{ spaceId: string; accountId: string; adamId: string }>;
  /** Releases Apple refused for good: Apple is asked whether it still holds them (refusals.ts). */
  refusedReleases?: OutboxRecord[];
  /**
   * MA2: requests whose association Apple refused for good, held meanwhile: decided again at
   * once, the refusing account passed over, so another eligible account may serve them.
   */
  reconsider?: LicenseRequest[];
}

export function subjectKey(row: {
  serialNumber?: string | undefined;
  clientUserId?: string | undefined;
}): string {
  return row.serialNumber !== undefined ? `s:${row.serialNumber}` : `u:${row.clientUserId ?? ""}`;
}

/**
 * `subjectKey` for matching what Apple says back (an event's failures, a notification's
 * assignments) to the rows sent. Apple reads serial numbers without regard to case and
 * may name one in another case than it was sent (c02d0000 sent, C02D0000 echoed): a
 * failure missed so would be taken for a success. Calls keep the spelling sent (subjectKey).
 */
export function echoedSubjectKey(row: {
  serialNumber?: string | undefined;
  clientUserId?: string | undefined;
}): string {
  return row.serialNumber !== undefined
    ? `s:${normalizeSerial(row.serialNumber)}`
    : `u:${row.clientUserId ?? ""}`;
}

/**
 * DB2, LT2: who waits again for a license Apple refused: the request's subject and reason
 * kept on the license at grant (0016); for a license written before, its own subject
 * (a device-based one as a mandatory install, a user-based one as a user's request).
 */
function requeuedAs(
  l: Pick<LicenseRecord, "userId" | "deviceId" | "request">,
): { userId: string; why: RequestReason } | { deviceId: string; why: RequestReason } {
  if (l.request) {
    const { subject, why } = l.request;
    return subject.kind === "device" ? { deviceId: subject.deviceId, why } : { userId: subject.userId, why };
  }
  return l.deviceId
    ? { deviceId: l.deviceId, why: "mandatory" }
    : { userId: l.userId ?? "", why: "requested" };
}

/** MA2: the request a refused license's subject waits with, to be decided again. */
function requestAgain(spaceId: string, l: LicenseRecord): LicenseRequest {
  const as = requeuedAs(l);
  return {
    spaceId,
    adamId: l.adamId,
    why: as.why,
    subject:
      "deviceId" in as ? { kind: "device", deviceId: as.deviceId } : { kind: "user", userId: as.userId },
  };
}

/**
 * UB2: the licenses among these rows whose user association Apple answered with 9609 (no
 * such user) for the first time: still `pending_assign`, never registered again. Their user
 * is registered again and the association sent once more (unknown-users.repo.ts); a second
 * 9609 is a refusal for good. Read before the outcomes' transaction: the update there
 * checks the same conditions again.
 */
async function usersToRegisterAgain(
  deps: SyncDeps,
  spaceId: string,
  rows: readonly OutboxRecord[],
  outcomeOf: (row: OutboxRecord) => SubjectOutcome | undefined,
): Promise<Set<string>> {
  const candidates = rows.flatMap((row) => {
    if (row.kind !== "associate" || !row.licenseId) return [];
    if (row.serialNumber !== undefined || row.clientUserId === undefined) return [];
    const outcome = outcomeOf(row);
    return outcome && !outcome.ok && outcome.errorNumber === USER_NOT_FOUND ? [row.licenseId] : [];
  });
  if (candidates.length === 0) return new Set();
  const licenses = await deps.db
    .selectFrom("licenses")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("id", "in", candidates)
    .where("state", "=", "pending_assign")
    .where("user_registered_again_at", "is", null)
    .execute();
  return new Set(licenses.map((l) => l.id));
}

/**
 * @param outcomeOf the result for a row, or undefined when Apple has not said yet
 *   (the row keeps waiting for its event)
 * @param call the Apple call carrying the rows; unset, the rows are still in the outbox
 */
export async function applyOutcomes(
  deps: SyncDeps,
  rows: readonly OutboxRecord[],
  outcomeOf: (row: OutboxRecord) => SubjectOutcome | undefined,
  call?: Pick<AppleCall, "spaceId" | "id">,
): Promise<Effects> {
  const effects: Effects = { touched: [], freed: [], recount: [] };
  const first = rows[0];
  if (!first) return effects;
  const { spaceId } = first;
  const now = deps.now();
  // UB2: licenses whose user Apple does not know (9609) and that were not registered again yet.
  const registerable = await usersToRegisterAgain(deps, spaceId, rows, outcomeOf);
  const done: number[] = [];
  const failed = new Map<string, number[]>();
  const resend: number[] = [];
  const assigned: OutboxRecord[] = [];
  const released: OutboxRecord[] = [];
  const refused = new Map<string, OutboxRecord[]>();
  /** Apple's error of each refusal reason (9709 waits for a license, the others for an administrator). */
  const refusalOf = new Map<string, { errorNumber: number; message?: string | undefined }>();
  const releasesRefused: OutboxRecord[] = [];
  /** 9609 on a user's association, the first time: the user is registered again (by Apple's error). */
  const unknownUsers = new Map<string, OutboxRecord[]>();
  const refusedKeys: NonNullable<Effects["refused"]> = [];
  const reconsider: LicenseRequest[] = [];
  const add = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  for (const row of rows) {
    const outcome = outcomeOf(row);
    if (!outcome) continue;
    if (outcome.ok) {
      done.push(row.seq);
      if (row.licenseId && row.kind === "associate") assigned.push(row);
      if (row.licenseId && (row.kind === "disassociate" || row.kind === "revoke")) released.push(row);
      continue;
    }
    const reason = `${outcome.errorNumber}${outcome.message ? ` ${outcome.message}` : ""}`;
    if (TRANSIENT.has(outcome.errorNumber)) {
      resend.push(row.seq);
    } else if (row.licenseId && registerable.has(row.licenseId)) {
      // The association is replaced by the user's registration and a new association (once).
      done.push(row.seq);
      add(unknownUsers, reason, row);
    } else if (row.kind === "associate") {
      add(failed, reason, row.seq);
      if (row.licenseId) add(refused, reason, row);
      refusalOf.set(reason, { errorNumber: outcome.errorNumber, message: outcome.message });
      if (outcome.errorNumber === NOT_ENOUGH_LICENSES)
        effects.recount.push({ spaceId, accountId: row.accountId, adamId: row.adamId ?? "" });
    } else if (outcome.errorNumber === USER_NOT_FOUND && row.kind !== "create_user") {
      // Apple knows no such user: nothing is assigned to it, the release is done.
      done.push(row.seq);
      if (row.licenseId) released.push(row);
    } else {
      add(failed, reason, row.seq);
      if (row.licenseId && (row.kind === "disassociate" || row.kind === "revoke")) releasesRefused.push(row);
    }
  }
  const retry = {
    seqs: resend,
    notBefore: new Date(now.getTime() + deps.tuning.retryDelayMs),
    error: "Apple asked to try again",
  };
  await withTransaction(deps.db, async (trx) => {
    // First the operations' own record, under its lock: what another path (a notification
    // and a poll of the same event) already settled is not acted on twice.
    let owned: (row: OutboxRecord) => boolean = () => true;
    if (call) {
      const mine = await settleCallOps(trx, call, { done, failed, resend: retry, now });
      owned = (row) => mine.has(row.seq);
    } else {
      await finishOutbox(trx, { spaceId, seqs: done, state: "done", now });
      for (const [error, seqs] of failed)
        await finishOutbox(trx, { spaceId, seqs, state: "failed", error, now });
      await finishOutbox(trx, { spaceId, ...retry, state: "pending", now });
    }
    const ids = (list: readonly OutboxRecord[]) =>
      list.filter(owned).flatMap((r) => (r.licenseId ? [r.licenseId] : []));
    // Seats come back (releases done, refusals): the asset rows are locked before any
    // license row, as allocation and releases lock them, never after the confirmations'.
    const seatsBack = ids([...released, ...[...refused.values()].flat()]);
    // AC7: releases of assignments made outside Orchard give seats back too (no license moves).
    const outside = outsideOutcomes(rows.filter(owned), done, failed);
    if (seatsBack.length > 0 || outside.released.length > 0)
      await lockAssetsOfLicenses(trx, spaceId, seatsBack, outside.released);
    const moved = [
      ...(await markAssigned(trx, { spaceId, licenseIds: ids(assigned), actor: APPLE, now })),
      ...(await markReleased(trx, { spaceId, licenseIds: ids(released), actor: APPLE, now })),
    ];
    for (const [reason, ofReason] of refused) {
      const back = await failAssignment(trx, {
        spaceId,
        licenseIds: ids(ofReason),
        actor: APPLE,
        now,
        reason,
      });
      moved.push(...back);
      // DB2, UB3: the subject waits for the next free license, in its place: from when it
      // first asked (kept on the license at grant), not from the grant; and as it asked
      // (0016): a device granted a user-based license waits again as the device, so the
      // license it gets later queues its install (LT2).
      const again = back.map((l) => ({
        spaceId,
        adamId: l.adamId,
        ...requeuedAs(l),
        ruleIds: ["DB2", "UB3"],
        requestedAt: l.requestedAt,
        now,
      }));
      const refusal = refusalOf.get(reason);
      if (refusal?.errorNumber === NOT_ENOUGH_LICENSES) {
        await requeueSubjects(trx, again);
      } else {
        // Refused for good (a device Apple deems not eligible, an app not sold in the
        // location's country, a user Apple cannot associate): served again, it would be
        // refused again, its seat freed and served to it again, without end. It waits with
        // Apple's reason until an administrator sends it again (apple-refusals.repo.ts).
        await requeueSubjects(
          trx,
          again.map((entry, i) => ({
            ...entry,
            refusal: {
              errorNumber: refusal?.errorNumber ?? 0,
              message: refusal?.message,
              accountId: back[i]?.accountId ?? "",
            },
          })),
        );
        for (const l of back) refusedKeys.push({ spaceId, accountId: l.accountId, adamId: l.adamId });
        reconsider.push(...back.map((l) => requestAgain(spaceId, l)));
      }
    }
    // Last: it locks license rows only, after any asset lock taken above.
    for (const [reason, ofReason] of unknownUsers) {
      const mine = ofReason.filter(owned);
      if (mine.length > 0) await registerUsersAgain(trx, { spaceId, rows: mine, reason, actor: APPLE, now });
    }
    const ownReleasesRefused = releasesRefused.filter(owned);
    if (ownReleasesRefused.length > 0) effects.refusedReleases = ownReleasesRefused;
    for (const r of ownReleasesRefused)
      refusedKeys.push({ spaceId, accountId: r.accountId, adamId: r.adamId ?? "" });
    if (refusedKeys.length > 0) effects.refused = refusedKeys;
    if (reconsider.length > 0) effects.reconsider = reconsider;
    for (const l of moved) {
      effects.touched.push({ spaceId, accountId: l.accountId, adamId: l.adamId });
      if (l.state !== "assigned") effects.freed.push({ spaceId, adamId: l.adamId });
    }
    for (const t of await settleOutsideReleases(trx, { spaceId, ...outside, now })) {
      effects.touched.push(t);
      effects.freed.push({ spaceId, adamId: t.adamId });
    }
  });
  return effects;
}
