import type { Platform } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { adoptListedLater } from "./adopt-listed.repo.js";
import { type Db, withTransaction } from "./database.js";
import {
  type DeviceIdentity,
  type DeviceRecord,
  findDeviceBySerial,
  identityColumns,
  toDevice,
} from "./device.repo.js";
import { followDevices } from "./invite-commands.repo.js";
import { normalizeSerial } from "./serial-number.js";
import type { DeviceStatus } from "./space.table.js";
import type { Actor } from "./sql-helpers.js";

/**
 * How a device that was not active is set up again (a wiped iPad re-provisioned, a Mac
 * enrolled again after its profile was removed):
 * - `check_in`: it checked in (any status but retired: a retired device stays retired until
 *   the MDM says it enrolled);
 * - `enrolled`: the MDM's `enrolled` event;
 * - `created_again`: `POST devices` with the serial number of its kept row.
 */
export type Revival = "check_in" | "enrolled" | "created_again";

/** The statuses each way brings back to `active`. */
export const REVIVED_FROM: Readonly<Record<Revival, readonly DeviceStatus[]>> = {
  check_in: ["inactive", "unenrolled", "wiped"],
  enrolled: ["inactive", "unenrolled", "wiped", "retired"],
  created_again: ["inactive", "unenrolled", "wiped", "retired"],
};

/**
 * What `created_again` sets as the new POST says (the device as it is set up now). Its name,
 * model and OS version replace the kept ones when the POST gives them; left out, the device
 * keeps those it had (a wipe does not change its model, and its next check-in says the rest).
 */
export interface SetUpAgain extends DeviceIdentity {
  platform: Platform;
  sharedIpad: boolean;
  supervised: boolean;
  userId: string | null;
}

/**
 * Makes the device active again when its status is one `how` brings back, with an activity
 * line saying so, in one transaction; returns the device as it is now, or undefined when
 * it was in no such status (active already: nothing changes, nothing is logged; so an MDM
 * sending an event again, or two check-ins at once, log it once).
 *
 * RV1: nothing revoked when it left is given back (a wipe released its device-based
 * licenses, its waiting requests were dropped): it gets licenses anew by the rules, as a
 * new device would, at its next check-in. Its reservations (DI3) were kept and serve it.
 */
export async function reviveDevice(
  db: Db,
  input: {
    spaceId: string;
    deviceId: string;
    how: Revival;
    actor: Actor;
    now: Date;
    setUp?: SetUpAgain;
  },
): Promise<DeviceRecord | undefined> {
  const { spaceId, deviceId, how, actor, now, setUp } = input;
  return withTransaction(db, async (trx) => {
    const row = await trx
      .updateTable("devices")
      .set({
        status: "active",
        updated_at: now,
        ...(setUp
          ? {
              platform: setUp.platform,
              shared_ipad: setUp.sharedIpad,
              supervised: setUp.supervised,
              user_id: setUp.userId,
              ...identityColumns(setUp),
            }
          : {}),
      })
      .where("space_id", "=", spaceId)
      .where("id", "=", deviceId)
      .where("status", "in", [...REVIVED_FROM[how]])
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await appendActivity(trx, [
      {
        spaceId,
        actor,
        action: "mdm.device_enrolled",
        deviceId,
        ruleIds: ["RV1"],
        message:
          how === "enrolled"
            ? activityMessage("mdm.device_enrolled")
            : how === "check_in"
              ? activityMessage("device.active_at_check_in")
              : activityMessage("device.created_again"),
        at: now,
      },
    ]);
    // UB2: back in service, perhaps with another user: the invitation follows.
    await followDevices(trx, { spaceId, deviceIds: [deviceId], now });
    // AC7: active again, it adopts what Apple holds for it outside Orchard (listed).
    await adoptListedLater(trx, { spaceId, deviceIds: [deviceId], now });
    return toDevice(row);
  });
}

/**
 * `POST devices` of a serial number the space keeps the row of, for a device not active
 * (wiped, unenrolled, retired, inactive: the row stays for its licenses' history): that
 * device set up again as the request describes it, same id, rather than a 409. Undefined
 * when the space has no device of that serial number, or an active one (the 409 then).
 */
export async function reviveKeptSerial(
  db: Db,
  input: SetUpAgain & { spaceId: string; serialNumber: string; actor: Actor; now: Date },
): Promise<DeviceRecord | undefined> {
  const kept = await findDeviceBySerial(db, input.spaceId, input.serialNumber);
  if (!kept || kept.active) return undefined;
  const { platform, sharedIpad, supervised, userId, name, model, osVersion } = input;
  return reviveDevice(db, {
    spaceId: input.spaceId,
    deviceId: kept.id,
    how: "created_again",
    actor: input.actor,
    now: input.now,
    setUp: { platform, sharedIpad, supervised, userId, name, model, osVersion },
  });
}

/**
 * `reviveKeptSerial` for a bulk create (`POST devices/bulk`): the serial numbers of the
 * list the space keeps a device of that is not active (`found`: the devices of the list's
 * serial numbers, read once by the caller, `findDevicesBySerial`) are those devices set up
 * again, one by one (a wiped fleet enrolled again); the others are left for the caller to
 * create, by index.
 */
export async function reviveKeptSerials(
  db: Db,
  input: {
    spaceId: string;
    devices: ReadonlyArray<SetUpAgain & { serialNumber: string }>;
    found: ReadonlyMap<string, DeviceRecord>;
    actor: Actor;
    now: Date;
  },
): Promise<Map<number, DeviceRecord>> {
  const revived = new Map<number, DeviceRecord>();
  for (const [index, device] of input.devices.entries()) {
    const kept = input.found.get(normalizeSerial(device.serialNumber));
    if (!kept || kept.active) continue;
    const again = await reviveKeptSerial(db, {
      ...device,
      spaceId: input.spaceId,
      actor: input.actor,
      now: input.now,
    });
    if (again) revived.set(index, again);
  }
  return revived;
}
