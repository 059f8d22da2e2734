/**
 * The asynchronous half of users/create, users/update and users/retire, with
 * USER_MANAGEMENT notifications. https://developer.apple.com/documentation/devicemanagement/managing-users
 */
import type { User as WireUser } from "../apple/wire.js";
import { releaseSubject } from "./asset-ops.js";
import { errorBody } from "./errors.js";
import type { EventOutcome } from "./events.js";
import { FailureCollector } from "./failures.js";
import type { Location } from "./location.js";
import { chunks, type Notifier } from "./notifier.js";
import type { Prng } from "./prng.js";
import { USER } from "./subjects.js";
import type { UserRecord } from "./user-table.js";
import { makeIdHash, wireUser } from "./wire-out.js";

export interface UserInput {
  clientUserId: string;
  email?: string;
  managedAppleId?: string;
}

export type UserOp = "CREATE" | "UPDATE" | "RETIRE";

export function runUsers(
  location: Location,
  notifier: Notifier,
  ids: Prng,
  op: UserOp,
  users: UserInput[],
  eventId: string,
  forcedError?: number,
): EventOutcome {
  const seq = location.bump();
  const done: WireUser[] = [];
  const failed = new FailureCollector<WireUser>();
  for (const input of users) {
    const error = forcedError ?? apply(location, ids, op, input, seq);
    if (typeof error === "number") {
      failed.add(error, { clientUserId: input.clientUserId }, {
        clientUserId: input.clientUserId,
      } as WireUser);
    } else {
      done.push(wireUser(error, true));
    }
  }
  if (done.length > 0 || failed.count === 0) {
    for (const batch of done.length > 0 ? chunks(done) : [[]]) {
      notifier.send(location, "USER_MANAGEMENT", { eventId, result: "SUCCESS", type: op, users: batch });
    }
  }
  // No USER_MANAGEMENT failure example is documented; shaped like ASSET_MANAGEMENT's FAILURE.
  for (const { errorNumber, items } of failed.byError()) {
    for (const batch of chunks(items)) {
      const notification = {
        error: errorBody(errorNumber),
        eventId,
        result: "FAILURE",
        type: op,
        users: batch,
      };
      notifier.send(location, "USER_MANAGEMENT", notification);
    }
  }
  return { numCompleted: done.length, failures: failed.failures() };
}

/** Applies one user task: the changed record, or an error number. */
function apply(
  location: Location,
  ids: Prng,
  op: UserOp,
  input: UserInput,
  seq: number,
): UserRecord | number {
  const existing = location.users.findActive(input.clientUserId);
  if (op === "CREATE") {
    // At most one Registered/Associated user per clientUserId: 9716 (an asynchronous error).
    if (existing) return 9716;
    const record: UserRecord = { clientUserId: input.clientUserId, status: "Registered", seq };
    if (input.email !== undefined) record.email = input.email;
    if (input.managedAppleId !== undefined) associate(location, record, input.managedAppleId);
    else record.inviteCode = ids.hex(32);
    location.users.add(record);
    return record;
  }
  if (!existing) return 9609;
  existing.seq = seq;
  if (op === "UPDATE") {
    if (input.email !== undefined) existing.email = input.email;
    if (input.managedAppleId !== undefined) associate(location, existing, input.managedAppleId);
    return existing;
  }
  // Retiring releases the user's revocable licenses (legacy retireVPPUserSrv doc:
  // "releases the revocable licenses associated with the VPP user"; ebooks are irrevocable).
  releaseSubject(location, USER, existing.clientUserId, seq);
  location.users.retire(existing, seq);
  return existing;
}

/** A Managed Apple Account makes the user Associated at once (setting-up-and-assigning-content). */
function associate(location: Location, record: UserRecord, managedAppleId: string): void {
  record.managedAppleId = managedAppleId;
  record.status = "Associated";
  record.idHash = makeIdHash(location.uId, managedAppleId);
}
