import { randomUUID } from "node:crypto";
import { type Decision, decide, type License, type LicenseRequest } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { StoreError, sqlState, UNIQUE_VIOLATION } from "./errors.js";
import { insertLicenses } from "./license.repo.js";
import { appendOutbox } from "./outbox.repo.js";
import { dequeue, enqueue } from "./queue.repo.js";
import { lockedSeats, takeSeats } from "./seats.js";
import type { Actor } from "./sql-helpers.js";
import { addLicense, loadWorldSnapshot, type WorldSnapshot, worldFor } from "./world.js";

export interface AllocationInput {
  spaceId: string;
  adamId: string;
  /** Decided in this order: an earlier grant can fill the last seat a later request wanted. */
  requests: readonly LicenseRequest[];
  actor: Actor;
  now: Date;
}

export interface AllocationResult {
  request: LicenseRequest;
  decision: Decision;
  /** The new license (state pending_assign) when the decision is a grant. */
  licenseId?: string;
}

/**
 * Decides a batch of requests for one app and makes the grants real, in one transaction:
 * the app's asset rows are locked first (FOR UPDATE, account order), so allocators of
 * the same app run one after the other and each sees the seats the previous one took
 * (invariant 1). Grants become licenses (pending_assign) with their outbox entry
 * (associate) and activity-log entry (rule ids from `because`); waits join the queue.
 *
 * A second live license for a subject is refused by the schema (invariant 2); should one
 * slip in through another path, the batch is rolled back and decided once more (the
 * subject then keeps its license), and only then fails with `live_license_exists`.
 */
export async function requestLicenses(db: Db, input: AllocationInput): Promise<AllocationResult[]> {
  const stray = input.requests.find((r) => r.spaceId !== input.spaceId || r.adamId !== input.adamId);
  if (stray) {
    throw new StoreError("invalid_request", "every request of a batch is for the batch's space and app", {
      spaceId: stray.spaceId,
      adamId: stray.adamId,
    });
  }
  if (input.requests.length === 0) return [];
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTransaction(db, (trx) => allocate(trx, input));
    } catch (error) {
      if (!isLiveLicenseConflict(error)) throw error;
      if (attempt >= 2 || db.isTransaction) {
        throw new StoreError(
          "live_license_exists",
          "a subject already holds a live license for this app",
          undefined,
          {
            cause: error,
          },
        );
      }
    }
  }
}

async function allocate(trx: Trx, input: AllocationInput): Promise<AllocationResult[]> {
  const { spaceId, adamId, now } = input;
  const snapshot = await loadWorldSnapshot(trx, {
    spaceId,
    adamId,
    subjects: input.requests.map((r) => r.subject),
    lockAssets: true,
  });
  const seats = lockedSeats(snapshot);
  const results: AllocationResult[] = [];
  const granted: Array<{ license: License; reserved: boolean; because: readonly string[] }> = [];
  for (const request of input.requests) {
    const decision = decide(request, worldFor(snapshot, request));
    if (decision.outcome !== "grant") {
      results.push({ request, decision });
      continue;
    }
    seats.take(decision.accountId, decision.reserved);
    const license = newLicense(snapshot, request, decision);
    addLicense(snapshot, license); // a later request of the same subject now keeps it (LT4)
    granted.push({ license, reserved: decision.reserved, because: decision.because });
    results.push({ request, decision, licenseId: license.id });
  }
  await writeGrants(trx, snapshot, granted, input);
  await takeSeats(trx, spaceId, adamId, seats.taken(), now);
  await enqueue(trx, spaceId, adamId, results, now);
  await dequeue(trx, spaceId, adamId, results);
  return results;
}

function newLicense(
  snapshot: WorldSnapshot,
  request: LicenseRequest,
  decision: Extract<Decision, { outcome: "grant" }>,
): License {
  const base = {
    id: randomUUID(),
    spaceId: snapshot.spaceId,
    accountId: decision.accountId,
    adamId: snapshot.adamId,
    state: "pending_assign" as const,
  };
  if (decision.type === "device") {
    if (request.subject.kind !== "device")
      throw new StoreError("invalid_request", "a device license needs a device");
    return { ...base, type: "device", deviceId: request.subject.deviceId };
  }
  const userId =
    request.subject.kind === "user"
      ? request.subject.userId
      : snapshot.devices.get(request.subject.deviceId)?.userId;
  if (!userId) throw new StoreError("invalid_request", "a user license needs a user");
  return { ...base, type: "user", userId };
}

async function writeGrants(
  trx: Trx,
  snapshot: WorldSnapshot,
  granted: ReadonlyArray<{ license: License; reserved: boolean; because: readonly string[] }>,
  input: AllocationInput,
): Promise<void> {
  if (granted.length === 0) return;
  const { now, actor } = input;
  await insertLicenses(
    trx,
    granted.map(({ license, reserved, because }) => ({ ...license, reserved, ruleIds: because, now })),
  );
  await appendOutbox(
    trx,
    granted.map(({ license }) => ({
      spaceId: license.spaceId,
      accountId: license.accountId,
      kind: "associate" as const,
      adamId: license.adamId,
      pricingParam: snapshot.assets.get(license.accountId)?.pricingParam,
      serialNumber: license.deviceId ? snapshot.devices.get(license.deviceId)?.serialNumber : undefined,
      clientUserId: license.userId ? snapshot.users.get(license.userId)?.clientUserId : undefined,
      licenseId: license.id,
      now,
    })),
  );
  await appendActivity(
    trx,
    granted.map(({ license, reserved, because }) => ({
      spaceId: license.spaceId,
      actor,
      action: "license.granted",
      userId: license.userId,
      deviceId: license.deviceId,
      adamId: license.adamId,
      accountId: license.accountId,
      licenseId: license.id,
      ruleIds: because,
      message: `${license.type}-based ${reserved ? "reserved " : ""}license granted, assignment queued for Apple`,
      at: now,
    })),
  );
}

function isLiveLicenseConflict(error: unknown): boolean {
  if (sqlState(error) !== UNIQUE_VIOLATION) return false;
  const constraint =
    typeof error === "object" && error !== null && "constraint" in error ? error.constraint : "";
  return typeof constraint === "string" && constraint.startsWith("licenses_one_live");
}
