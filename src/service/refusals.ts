/**
 * An administrator's answers to Apple's refusals for good (store/apple-refusals.repo.ts),
 * for the API and the CLI alike: send refused requests again (DB2, UB3), send refused
 * releases again or abandon them (RV1-RV5). Each clears the refusals' notification of an
 * (account, app) left with nothing to act on; the worker raises it (sync/refusals.ts).
 */
import {
  abandonRefusedReleases,
  clearResolvedRefusals,
  listRefusals,
  type RetriedRequest,
  retryRefusedReleases,
  retryRefusedRequests,
} from "../store/apple-refusals.repo.js";
import type { Db } from "../store/database.js";
import { NotFoundError } from "../store/errors.js";
import { findDevice, findUser, type LicenseRecord } from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";
import { checkSubjectFilter } from "./list-filters.js";

export { listRefusals };

/** How many refusals of each kind a list shows at most. */
export const REFUSALS_LIMIT = 500;

/**
 * Refused requests of an app sent again: of these users and devices (each must wait with
 * a refusal of Apple's: `not_refused` otherwise), or all of the app's. Each waits again in
 * its place and is served in its turn (at once when a seat is free).
 */
export async function retryRequests(
  db: Db,
  input: {
    spaceId: string;
    adamId: string;
    userIds?: readonly string[];
    deviceIds?: readonly string[];
    actor: Actor;
    now: Date;
  },
  fields: { userIds?: string; deviceIds?: string } = {},
): Promise<RetriedRequest[]> {
  const { spaceId } = input;
  await checkSubjectFilter(
    db,
    spaceId,
    { app: input.adamId },
    { field: () => undefined, bySerial: (s) => s },
  );
  for (const [i, userId] of (input.userIds ?? []).entries())
    if (!(await findUser(db, spaceId, userId)))
      throw new NotFoundError("user", userId, fields.userIds ? `${fields.userIds}.${i}` : undefined);
  for (const [i, deviceId] of (input.deviceIds ?? []).entries())
    if (!(await findDevice(db, spaceId, deviceId)))
      throw new NotFoundError("device", deviceId, fields.deviceIds ? `${fields.deviceIds}.${i}` : undefined);
  const retried = await retryRefusedRequests(db, input);
  await clearResolvedRefusals(db, { spaceId, now: input.now });
  return retried;
}

/** Refused releases sent again to Apple (each license must have one: `not_refused` otherwise). */
export async function retryReleases(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  const retried = await retryRefusedReleases(db, input);
  await clearResolvedRefusals(db, { spaceId: input.spaceId, now: input.now });
  return retried;
}

/** Refused releases abandoned: each license released here, its seat given back, the log naming who. */
export async function abandonReleases(
  db: Db,
  input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
): Promise<LicenseRecord[]> {
  const released = await abandonRefusedReleases(db, input);
  await clearResolvedRefusals(db, { spaceId: input.spaceId, now: input.now });
  return released;
}
