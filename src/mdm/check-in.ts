import type { Decision } from "../licensing/index.js";
import type { DeviceIdentity } from "../store/device.repo.js";
import { reviveDevice } from "../store/device-revival.repo.js";
import {
  type Actor,
  type DeviceStatus,
  findDeviceBySerial,
  type InstalledApp,
  NotFoundError,
  recordCheckIn,
  replaceInstalledApps,
} from "../store/index.js";
import { appsNotRunningOn, listCatalogAdamIds } from "../store/mdm-query.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import { removeStaleWaits } from "../store/stale-waits.repo.js";
import type { MdmDeps } from "./deps.js";
import { requestLicense } from "./license-request.js";
import { pushUpdatesAtCheckIn } from "./updates.js";

export interface CheckInResult {
  deviceId: string;
  /**
   * The device's status after the check-in: active, or one a check-in does not bring back
   * (retired: retired by the MDM, or moved to another space, TR1), where it gets no license.
   */
  status: DeviceStatus;
  /** The decision for each catalog app that is mandatory or installed on the device and runs on it (PB3). */
  decisions: Array<{ adamId: string; decision: Decision; licenseId?: string; installQueued: boolean }>;
  /** DB4: updates queued for outdated device-licensed apps. */
  updatesQueued: number;
}

/**
 * A device checked in (DB2): its inventory is recorded, then every catalog app that is
 * "Install on device" or already installed is decided again: a license is taken when
 * one is free (LT2), a mandatory app still waits otherwise, in order of request. An app
 * Apple lists for other platforms only is left out (PB3): the device is not refused it at
 * every check-in, and a license it holds already for it is left as it is. The
 * serial number is read in any case (c02d0000 is the device created as C02D0000). The
 * device's platform and Shared iPad mark are the ones it was created with: a check-in does
 * not change them, and a non-iOS device is never a Shared iPad (refused at creation; 0026
 * cleared the mark on those accepted before). The name, model and OS version it reports are
 * recorded (the MDM's inventory); those it leaves out stay as they were.
 */
export async function checkIn(
  deps: MdmDeps,
  input: DeviceIdentity & {
    spaceId: string;
    serialNumber: string;
    installed?: readonly InstalledApp[];
    actor?: Actor;
  },
): Promise<CheckInResult> {
  const { db } = deps;
  const now = deps.now();
  const serialNumber = normalizeSerial(input.serialNumber);
  const device = await findDeviceBySerial(db, input.spaceId, serialNumber);
  if (!device)
    throw new NotFoundError(
      "device",
      `with serial number ${serialNumber}`,
      "body.serialNumber",
      "create it first (POST devices), then check it in again",
    );
  // Set up again after a wipe (or gone inactive, its profile removed): active again, logged.
  const revived = await reviveDevice(db, {
    spaceId: input.spaceId,
    deviceId: device.id,
    how: "check_in",
    actor: input.actor ?? { kind: "mdm" },
    now,
  });
  const { name, model, osVersion } = input;
  const { waits } = await recordCheckIn(db, input.spaceId, device.id, now, { name, model, osVersion });
  // The apps installed, by adamId: as reported, or found by bundle id (InstalledApplicationList's).
  const installed = new Set(
    input.installed ? await replaceInstalledApps(db, input.spaceId, device.id, input.installed, now) : [],
  );
  // DB2: waits this check-in no longer asks for (neither mandatory nor installed) leave, logged.
  // A device that waits for nothing (most check-ins) has none to look for: no statement. A
  // wait queued since was queued by a request that still asks for it (and serving checks again).
  if (waits)
    await removeStaleWaits(db, {
      scope: { spaceId: input.spaceId, deviceId: device.id },
      cause: "check_in",
      actor: input.actor ?? { kind: "mdm" },
      now,
    });
  const catalog = await listCatalogAdamIds(db, input.spaceId);
  const asked = [...catalog.all].filter((adamId) => catalog.mandatory.has(adamId) || installed.has(adamId));
  // PB3: an app that does not run on the device is not asked for (nor its refusal logged at each check-in).
  const notHere = await appsNotRunningOn(db, input.spaceId, asked, device.platform);
  const wanted = asked.filter((adamId) => !notHere.has(adamId)).sort();
  const decisions: CheckInResult["decisions"] = [];
  for (const adamId of wanted) {
    // Concurrent check-ins needing the same app share its transaction (a check-in storm).
    const result = await requestLicense(deps, {
      spaceId: input.spaceId,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "check_in",
      actor: input.actor ?? { kind: "mdm" },
    });
    decisions.push({ adamId, ...result });
  }
  const updatesQueued = await pushUpdatesAtCheckIn(db, { spaceId: input.spaceId, deviceId: device.id, now });
  return { deviceId: device.id, status: revived?.status ?? device.status, decisions, updatesQueued };
}
