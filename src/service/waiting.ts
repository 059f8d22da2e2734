/**
 * DB2: an administrator cancels a waiting request, for the API and the CLI alike. The
 * request leaves the app's queue with a `queue.cancelled` line naming the administrator
 * (store/stale-waits.repo.ts); nothing else changes (no license was held for it).
 */
import type { Subject } from "../licensing/index.js";
import type { Db } from "../store/database.js";
import { getDeviceByRef, serialOfRef } from "../store/device.repo.js";
import { StoreError } from "../store/errors.js";
import { getAppOfSpace } from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";
import { type CancelledWait, cancelWait } from "../store/stale-waits.repo.js";

const USER_PREFIX = "user:";
const DEVICE_PREFIX = "device:";

/** How a waiting subject is named, for the API's and the CLI's help. */
export const WAITING_SUBJECT_WORDS =
  "the subject as the waiting list names it: `user:<userId>`, `device:<deviceId>`, " +
  "`serial:<serial number>` (any case), or a bare id (the user or the device of that id that waits)";

/** `prefix` and what follows it, the prefix in any case; undefined without it. */
function after(ref: string, prefix: string): string | undefined {
  return ref.slice(0, prefix.length).toLowerCase() === prefix ? ref.slice(prefix.length) : undefined;
}

/**
 * The subject a reference names (WAITING_SUBJECT_WORDS). An unknown serial number is the
 * device resolver's 404; a bare id that no subject of the app's queue has is undefined (it
 * does not wait); one that a user and a device waiting both have is refused: ambiguous.
 */
export async function waitingSubjectOf(
  db: Db,
  spaceId: string,
  adamId: string,
  ref: string,
): Promise<Subject | undefined> {
  const userId = after(ref, USER_PREFIX);
  if (userId !== undefined) return { kind: "user", userId };
  const deviceId = after(ref, DEVICE_PREFIX);
  if (deviceId !== undefined) return { kind: "device", deviceId };
  if (serialOfRef(ref) !== undefined)
    return { kind: "device", deviceId: (await getDeviceByRef(db, spaceId, ref)).id };
  // Orchard's ids hold no colon: `bogus:x` is a misspelt prefix, not an id that does not wait.
  const prefix = /^([A-Za-z]+):/.exec(ref)?.[1];
  if (prefix !== undefined)
    throw new StoreError(
      "invalid_request",
      `${prefix}: is no way to name a subject: give ${USER_PREFIX}<userId>, ${DEVICE_PREFIX}<deviceId>, serial:<serial number> or a bare id`,
      { field: "subject" },
    );
  const rows = await db
    .selectFrom("license_queue")
    .select(["user_id", "device_id"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where((eb) => eb.or([eb("user_id", "=", ref), eb("device_id", "=", ref)]))
    .execute();
  if (rows.length > 1)
    throw new StoreError(
      "invalid_request",
      `${ref} names a user and a device that both wait for app ${adamId}: give ${USER_PREFIX}${ref} or ${DEVICE_PREFIX}${ref}`,
      { field: "subject" },
    );
  const row = rows[0];
  if (!row) return undefined;
  return row.user_id
    ? { kind: "user", userId: row.user_id }
    : { kind: "device", deviceId: row.device_id ?? ref };
}

/**
 * DB2: cancels `ref`'s waiting request for the app. An app the space neither bought nor has
 * in its catalog is a NotFoundError; a subject that does not wait answers `not_waiting`
 * (the caller's 404, naming it), and nothing is logged.
 */
export async function cancelWaiting(
  db: Db,
  input: { spaceId: string; adamId: string; ref: string; actor: Actor; now: Date },
): Promise<{ cancelled: CancelledWait } | { notWaiting: string }> {
  const { spaceId, adamId, ref } = input;
  await getAppOfSpace(db, spaceId, adamId);
  const subject = await waitingSubjectOf(db, spaceId, adamId, ref);
  const cancelled = subject
    ? await cancelWait(db, { spaceId, adamId, subject, actor: input.actor, now: input.now })
    : undefined;
  return cancelled ? { cancelled } : { notWaiting: `${ref} does not wait for app ${adamId}` };
}
