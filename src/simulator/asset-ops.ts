/**
 * The asynchronous half of associate / disassociate / revoke: applied when the event
 * runs, each (asset x subject) task on its own, with per-subject failures and
 * ASSET_MANAGEMENT notifications (SUCCESS for what was done, one FAILURE per error number).
 * https://developer.apple.com/documentation/devicemanagement/managing-assets
 */
import type { Assignment as WireAssignment } from "../apple/wire.js";
import { errorBody } from "./errors.js";
import type { EventOutcome } from "./events.js";
import { FailureCollector } from "./failures.js";
import { type Asset, availableCount, type Location } from "./location.js";
import { chunks, type Notifier } from "./notifier.js";
import { SERIAL, type SubjectKind, USER } from "./subjects.js";
import { wireAssignment } from "./wire-out.js";

export interface ManageAssetsInput {
  assets: Array<{ adamId: string; pricingParam?: string }>;
  serialNumbers: string[];
  clientUserIds: string[];
}

export interface RevokeInput {
  serialNumbers: string[];
  clientUserIds: string[];
}

type Mode = "ASSOCIATE" | "DISASSOCIATE";

/** An injected refusal of one subject's task (Faults.subjectError), if any. */
export type SubjectRefusal = (
  subject: { serialNumber?: string; clientUserId?: string },
  adamId?: string,
) => { errorNumber: number; applied: boolean } | undefined;

export function runManageAssets(
  location: Location,
  notifier: Notifier,
  mode: Mode,
  input: ManageAssetsInput,
  eventId: string,
  forcedError?: number,
  refusal?: SubjectRefusal,
): EventOutcome {
  const seq = location.bump();
  const done: WireAssignment[] = [];
  const failed = new FailureCollector<WireAssignment>();
  for (const ref of input.assets) {
    const asset = location.findAsset(ref.adamId, ref.pricingParam);
    const pricingParam = asset?.pricingParam ?? ref.pricingParam ?? "STDQ";
    const task = (kind: typeof SERIAL | typeof USER, name: string) => {
      const refused = refusal?.(
        kind === SERIAL ? { serialNumber: name } : { clientUserId: name },
        ref.adamId,
      );
      if (refused && !refused.applied) return refused.errorNumber;
      const error = applyTask(location, mode, asset, kind, name, seq);
      return refused?.errorNumber ?? error;
    };
    for (const serialNumber of input.serialNumbers) {
      const wire = { adamId: ref.adamId, pricingParam, serialNumber };
      const error = forcedError ?? task(SERIAL, serialNumber);
      if (error) failed.add(error, { serialNumber }, wire);
      else done.push(wire);
    }
    for (const clientUserId of input.clientUserIds) {
      const wire = { adamId: ref.adamId, clientUserId, pricingParam };
      const error = forcedError ?? task(USER, clientUserId);
      if (error) failed.add(error, { clientUserId }, wire);
      else done.push(wire);
    }
  }
  notifyAssetManagement(location, notifier, mode, eventId, done, failed);
  return { numCompleted: done.length, failures: failed.failures() };
}

/** Applies one task; returns the error number of a failed task. */
function applyTask(
  location: Location,
  mode: Mode,
  asset: Asset | undefined,
  kind: typeof SERIAL | typeof USER,
  name: string,
  seq: number,
): number | undefined {
  // A clientUserId must name a Registered or Associated user (9609, status.response.failed.json).
  if (kind === USER && !location.users.findActive(name)) return 9609;
  const registry = kind === SERIAL ? location.serials : location.userIds;
  if (mode === "DISASSOCIATE") {
    const id = registry.find(name);
    const row = asset && id >= 0 ? location.assignments.find(asset.index, id * 2 + kind) : -1;
    if (asset && row >= 0) {
      location.assignments.remove(row, seq);
      asset.assignedCount--;
    }
    return undefined; // releasing what is not assigned is a no-op (UNVERIFIED; assumed idempotent)
  }
  // An asset the location holds no license of cannot be assigned: not enough licenses.
  if (!asset) return 9709;
  const ref = registry.intern(name) * 2 + kind;
  if (location.assignments.find(asset.index, ref) >= 0) return undefined; // already assigned: idempotent
  if (availableCount(asset) <= 0) return 9709;
  location.assignments.add(asset.index, ref, seq);
  asset.assignedCount++;
  return undefined;
}

/** Releases every revocable asset of the given users and devices (POST /assets/revoke). */
export function runRevoke(
  location: Location,
  notifier: Notifier,
  input: RevokeInput,
  eventId: string,
  forcedError?: number,
  refusal?: SubjectRefusal,
): EventOutcome {
  const seq = location.bump();
  const revoked: WireAssignment[] = [];
  const failed = new FailureCollector<WireAssignment>();
  let completed = 0;
  const subjects: Array<{ kind: SubjectKind; name: string }> = [
    ...input.serialNumbers.map((name) => ({ kind: SERIAL as SubjectKind, name })),
    ...input.clientUserIds.map((name) => ({ kind: USER as SubjectKind, name })),
  ];
  for (const { kind, name } of subjects) {
    const subject = kind === SERIAL ? { serialNumber: name } : { clientUserId: name };
    const refused = refusal?.(subject);
    const error =
      forcedError ??
      (refused && !refused.applied
        ? refused.errorNumber
        : kind === USER && !location.users.findActive(name)
          ? 9609
          : undefined);
    if (error === undefined && refused?.applied) releaseSubject(location, kind, name, seq);
    const reported = error ?? refused?.errorNumber;
    if (reported) {
      failed.add(reported, subject, { adamId: "", pricingParam: "", ...subject });
      continue;
    }
    revoked.push(...releaseSubject(location, kind, name, seq));
    completed++;
  }
  notifyAssetManagement(location, notifier, "REVOKE", eventId, revoked, failed);
  return { numCompleted: completed, failures: failed.failures() };
}

/** Removes the revocable assignments of one subject; returns them. Books are never revocable. */
export function releaseSubject(
  location: Location,
  kind: typeof SERIAL | typeof USER,
  name: string,
  seq: number,
): WireAssignment[] {
  const registry = kind === SERIAL ? location.serials : location.userIds;
  const id = registry.find(name);
  if (id < 0) return [];
  const released: WireAssignment[] = [];
  // Remove from the highest row down: a swap-remove only moves the last row.
  const rows = location.assignments.rowsOf(id * 2 + kind).sort((a, b) => b - a);
  for (const row of rows) {
    const asset = location.assets[location.assignments.assetAt(row)];
    if (!asset?.revocable) continue;
    released.push(wireAssignment(location, row));
    location.assignments.remove(row, seq);
    asset.assignedCount--;
  }
  return released;
}

function notifyAssetManagement(
  location: Location,
  notifier: Notifier,
  type: "ASSOCIATE" | "DISASSOCIATE" | "REVOKE",
  eventId: string,
  done: WireAssignment[],
  failed: FailureCollector<WireAssignment>,
): void {
  const groups = failed.byError();
  if (done.length > 0 || groups.length === 0) {
    for (const assignments of done.length > 0 ? chunks(done) : [[]]) {
      notifier.send(location, "ASSET_MANAGEMENT", { assignments, eventId, result: "SUCCESS", type });
    }
  }
  for (const { errorNumber, items } of groups) {
    const error = errorBody(errorNumber);
    for (const assignments of chunks(items)) {
      // Revoke failures are per subject, not per asset: send the subject alone.
      const shaped = assignments.map((a) => (a.adamId === "" ? subjectOnly(a) : a));
      notifier.send(location, "ASSET_MANAGEMENT", {
        assignments: shaped,
        error,
        eventId,
        result: "FAILURE",
        type,
      });
    }
  }
}

function subjectOnly(a: WireAssignment): Partial<WireAssignment> {
  return a.serialNumber !== undefined ? { serialNumber: a.serialNumber } : { clientUserId: a.clientUserId };
}
