import { findOutdatedInstalls, type OutdatedInstall, recordAppVersion } from "../store/app-version.repo.js";
import { type Db, withTransaction } from "../store/index.js";
import { queueMdmCommands } from "../store/mdm-command.repo.js";
import type { MdmDeps } from "./deps.js";

/**
 * DB4: a new version of an app is known. Where the catalog app updates `automatic`, the
 * update is pushed to every device-licensed install now; `immediate` ones get theirs at
 * their next check-in (pushUpdatesAtCheckIn). Returns how many updates were queued.
 */
export async function publishAppVersion(
  deps: MdmDeps,
  input: { adamId: string; version: string },
): Promise<number> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const isNew = await recordAppVersion(trx, { ...input, now });
    if (!isNew) return 0;
    return queueUpdates(
      trx,
      await findOutdatedInstalls(trx, { adamId: input.adamId, mode: "automatic" }),
      now,
    );
  });
}

/** DB4: at a check-in, one update per new version for each outdated device-licensed app. */
export async function pushUpdatesAtCheckIn(
  db: Db,
  input: { spaceId: string; deviceId: string; now: Date },
): Promise<number> {
  const outdated = await findOutdatedInstalls(db, { spaceId: input.spaceId, deviceId: input.deviceId });
  return queueUpdates(db, outdated, input.now);
}

async function queueUpdates(db: Db, outdated: readonly OutdatedInstall[], now: Date): Promise<number> {
  await queueMdmCommands(
    db,
    outdated.map((o) => ({
      spaceId: o.spaceId,
      kind: "install" as const,
      deviceId: o.deviceId,
      serialNumber: o.serialNumber,
      adamId: o.adamId,
      licenseId: o.licenseId,
      appVersion: o.version,
      ruleIds: ["DB4"],
      now,
    })),
  );
  return outdated.length;
}
