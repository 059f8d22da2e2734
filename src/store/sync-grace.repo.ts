import { LIVE_STATES } from "../licensing/index.js";
import type { Db } from "./database.js";
import { type DeviceRecord, findDevices } from "./device.repo.js";
import { type LicenseRecord, toLicense } from "./license.repo.js";
import { inList } from "./sql-helpers.js";

/** RV3: licenses whose 30 days of grace are over, oldest first. */
export async function graceDue(db: Db, now: Date, limit: number): Promise<LicenseRecord[]> {
  const rows = await db
    .selectFrom("licenses")
    .selectAll()
    // grace_ends: grace_until while in_grace (migration 0009), served by licenses_grace.
    .where("grace_ends", "<=", now)
    .orderBy("grace_ends")
    .limit(limit)
    .execute();
  return rows.map(toLicense);
}

/**
 * What `endOfGrace` needs for one license: the devices it covered (the device, or the
 * user's devices), the managed installs of the app there, and whether the subject holds
 * a live license for the app again.
 */
export async function graceContext(
  db: Db,
  license: LicenseRecord,
): Promise<{
  devices: DeviceRecord[];
  installs: Array<{ deviceId: string; adamId: string }>;
  licensedAgain: boolean;
}> {
  const { spaceId, adamId } = license;
  let deviceIds: string[] = [];
  if (license.deviceId) deviceIds = [license.deviceId];
  else if (license.userId) {
    const rows = await db
      .selectFrom("devices")
      .select("id")
      .where("space_id", "=", spaceId)
      .where("user_id", "=", license.userId)
      .execute();
    deviceIds = rows.map((r) => r.id);
  }
  const devices = await findDevices(db, spaceId, deviceIds);
  const installs = deviceIds.length
    ? await db
        .selectFrom("installed_apps")
        .select(["device_id", "adam_id"])
        .where("space_id", "=", spaceId)
        .where("adam_id", "=", adamId)
        .where(inList("device_id", deviceIds))
        .execute()
    : [];
  const again = await db
    .selectFrom("licenses")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where("state", "in", LIVE_STATES)
    .where((eb) =>
      eb.or([
        ...(license.userId ? [eb("user_id", "=", license.userId)] : []),
        ...(deviceIds.length ? [inList("device_id", deviceIds)] : []),
      ]),
    )
    .limit(1)
    .execute();
  return {
    devices,
    installs: installs.map((i) => ({ deviceId: i.device_id, adamId: i.adam_id ?? adamId })),
    licensedAgain: again.length > 0,
  };
}
