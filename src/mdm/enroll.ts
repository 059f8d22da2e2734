import { reviveDevice } from "../store/device-revival.repo.js";
import { type Actor, type DeviceRecord, getDevice } from "../store/index.js";
import type { MdmDeps } from "./deps.js";

/**
 * The MDM says the device enrolled (a wiped iPad set up again, a Mac enrolled again after
 * its profile was removed, a retired device back in service): it is active again, logged
 * once; its apps are decided at its next check-in (RV1: nothing revoked is given back).
 * Safe to send again: an active device changes nothing. A device of no such id in the
 * space is a NotFoundError. Returns the device as it is now.
 */
export async function enrollDevice(
  deps: MdmDeps,
  input: { spaceId: string; deviceId: string; actor: Actor },
): Promise<DeviceRecord> {
  const device = await getDevice(deps.db, input.spaceId, input.deviceId);
  const revived = await reviveDevice(deps.db, { ...input, how: "enrolled", now: deps.now() });
  return revived ?? device;
}
