import type { Decision } from "../licensing/index.js";
import {
  type Actor,
  findDeviceBySerial,
  type InstalledApp,
  NotFoundError,
  recordCheckIn,
  replaceInstalledApps,
} from "../store/index.js";
import { listCatalogAdamIds } from "../store/mdm-query.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import type { MdmDeps } from "./deps.js";
import { requestLicense } from "./license-request.js";
import { pushUpdatesAtCheckIn } from "./updates.js";

export interface CheckInResult {
  deviceId: string;
  /** The decision for each catalog app that is mandatory or installed on the device. */
  decisions: Array<{ adamId: string; decision: Decision; licenseId?: string; installQueued: boolean }>;
  /** DB4: updates queued for outdated device-licensed apps. */
  updatesQueued: number;
}

/**
 * A device checked in (DB2): its inventory is recorded, then every catalog app that is
 * "Install on device" or already installed is decided again: a license is taken when
 * one is free (LT2), a mandatory app still waits otherwise, in order of request. The
 * serial number is read in any case (c02d0000 is the device created as C02D0000). The
 * device's platform and Shared iPad mark are the ones it was created with: a check-in does
 * not change them, and a non-iOS device is never a Shared iPad (refused at creation; 0026
 * cleared the mark on those accepted before).
 */
export async function checkIn(
  deps: MdmDeps,
  input: { spaceId: string; serialNumber: string; installed?: readonly InstalledApp[]; actor?: Actor },
): Promise<CheckInResult> {
  const { db } = deps;
  const now = deps.now();
  const serialNumber = normalizeSerial(input.serialNumber);
  const device = await findDeviceBySerial(db, input.spaceId, serialNumber);
  if (!device) throw new NotFoundError("device", `with serial number ${serialNumber}`);
  await recordCheckIn(db, input.spaceId, device.id, now);
  if (input.installed) await replaceInstalledApps(db, input.spaceId, device.id, input.installed, now);
  const catalog = await listCatalogAdamIds(db, input.spaceId);
  const installed = new Set((input.installed ?? []).flatMap((a) => (a.adamId ? [a.adamId] : [])));
  const wanted = [...catalog.all]
    .filter((adamId) => catalog.mandatory.has(adamId) || installed.has(adamId))
    .sort();
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
  return { deviceId: device.id, decisions, updatesQueued };
}
