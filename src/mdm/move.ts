import { type DecisionWorld, graceEnd, planTransfer, type TransferStep } from "../licensing/index.js";
import { adoptListedLater } from "../store/adopt-listed.repo.js";
import { loadEventWorld } from "../store/event-world.js";
import {
  type Actor,
  createDevice,
  type DeviceRecord,
  findDevice,
  findDeviceBySerial,
  getDevice,
  listInstalledApps,
  loadDecisionWorld,
  releaseLicenses,
  replaceInstalledApps,
  StoreError,
  setDeviceStatus,
  type Trx,
  withTransaction,
} from "../store/index.js";
import { followDevices } from "../store/invite-commands.repo.js";
import { countOtherActiveDevices } from "../store/mdm-query.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import { removeWaitsOfGoneSubject } from "../store/stale-waits.repo.js";
import type { MdmDeps } from "./deps.js";
import { requestLicensesFor } from "./license-request.js";

/**
 * TR1, TR2: a device moves to another space. In one transaction: the device joins the
 * new space with its inventory, leaves the old one, and for each installed Apps and
 * Books app the new space's license is taken first, then the old one released (with
 * the iOS grace when nothing replaces it). Returns the steps as planned and done.
 */
export async function moveDevice(
  deps: MdmDeps,
  input: { fromSpaceId: string; deviceId: string; toSpaceId: string; userId?: string; actor: Actor },
): Promise<TransferStep[]> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const device = await getDevice(trx, input.fromSpaceId, input.deviceId);
    if (!device.active) {
      // Moved there already (the same move sent again after a timeout): nothing more to do.
      const there =
        device.status === "retired" ? await findDevice(trx, input.toSpaceId, device.id) : undefined;
      if (there?.active) {
        if (input.userId === undefined || input.userId === there.userId) return [];
        // The same move with another user is not a retry: say so rather than ignore the user.
        throw new StoreError(
          "moved_already",
          `device ${device.serialNumber} moved to that space already, with ${
            there.userId ? `user ${there.userId}` : "no user"
          }: set its user there instead`,
          { field: "userId" },
        );
      }
      throw new StoreError(
        "invalid_request",
        `device ${device.serialNumber} is ${device.status}: only an active device moves`,
        {
          field: "deviceId",
        },
      );
    }
    if (input.toSpaceId === input.fromSpaceId) {
      throw new StoreError("invalid_request", "the device is already in that space", { field: "toSpaceId" });
    }
    const inventory = await listInstalledApps(trx, input.fromSpaceId, device.id);
    const installedAdamIds = [...new Set(inventory.flatMap((a) => (a.adamId ? [a.adamId] : [])))].sort();
    const held = await loadEventWorld(trx, {
      scope: { spaceIds: [input.fromSpaceId], deviceId: device.id },
      now,
    });
    const owned = device.userId
      ? await loadEventWorld(trx, { scope: { spaceIds: [input.fromSpaceId], userId: device.userId }, now })
      : undefined;
    const ownerOtherActiveDevices = device.userId
      ? await countOtherActiveDevices(trx, input.fromSpaceId, device.userId, device.id)
      : 0;

    await joinSpace(trx, device, input.toSpaceId, input.userId, now);
    await replaceInstalledApps(trx, input.toSpaceId, device.id, inventory, now);
    // The old space no longer manages it: no uninstall there may reach it (PB1), no inventory.
    await replaceInstalledApps(trx, input.fromSpaceId, device.id, [], now);
    await setDeviceStatus(trx, input.fromSpaceId, device.id, "retired", now);
    // DB2: retired there, it waits for nothing there any more (each wait logged).
    await removeWaitsOfGoneSubject(trx, {
      gone: { kind: "device_retired", spaceId: input.fromSpaceId, deviceId: device.id },
      actor: input.actor,
      now,
    });

    const newWorlds = new Map<string, DecisionWorld>();
    for (const adamId of installedAdamIds) {
      const request = {
        spaceId: input.toSpaceId,
        adamId,
        subject: { kind: "device" as const, deviceId: device.id },
        why: "check_in" as const,
      };
      newWorlds.set(adamId, await loadDecisionWorld(trx, request));
    }
    const steps = planTransfer({
      now,
      device,
      toSpaceId: input.toSpaceId,
      installedAdamIds,
      oldLicenses: [...held.licenses, ...(owned?.licenses ?? [])],
      ownerOtherActiveDevices,
      newWorlds,
    });
    const txDeps = { db: trx, now: deps.now };
    const granted = new Set<string>();
    for (const step of steps) {
      if (step.kind === "assign") {
        const [result] = await requestLicensesFor(txDeps, {
          spaceId: input.toSpaceId,
          adamId: step.adamId,
          requests: [
            {
              spaceId: input.toSpaceId,
              adamId: step.adamId,
              subject: { kind: "device", deviceId: device.id },
              why: "check_in",
            },
          ],
          actor: input.actor,
        });
        if (result?.decision.outcome === "grant" || result?.decision.outcome === "keep")
          granted.add(step.adamId);
        continue;
      }
      // The plan counted on a seat the locked allocation may not have found: then RV3 applies.
      const lost =
        installedAdamIds.includes(step.adamId) && !granted.has(step.adamId) && device.platform !== "macOS";
      const graceUntil = step.graceUntil ?? (lost ? graceEnd(now) : undefined);
      await releaseLicenses(trx, {
        spaceId: input.fromSpaceId,
        licenseIds: [step.licenseId],
        actor: input.actor,
        now,
        because: graceUntil && !step.because.includes("RV3") ? [...step.because, "RV3"] : step.because,
        ...(graceUntil ? { graceUntil } : {}),
      });
    }
    return steps;
  });
}

/**
 * The device's row in the new space: a new one, or the one it had when it was there before.
 * A new row has the serial upper-case (one left in another case by 0026 is normalized on the
 * way) and keeps the spelling Apple was sent, which Apple's assignments are under.
 */
async function joinSpace(
  trx: Trx,
  device: DeviceRecord,
  spaceId: string,
  userId: string | undefined,
  now: Date,
): Promise<void> {
  const before = await findDevice(trx, spaceId, device.id);
  if (!before) {
    const serialNumber = normalizeSerial(device.serialNumber);
    // The MDM enrolled it there first (POST devices): that record is another device's id.
    const namesake = await findDeviceBySerial(trx, spaceId, serialNumber);
    if (namesake)
      throw new StoreError(
        "serial_in_target_space",
        `space ${spaceId} has device ${namesake.id} of serial number ${serialNumber}: ` +
          "delete it there (DELETE devices/" +
          namesake.id +
          "), then move this one, which keeps its licenses' history",
        { deviceId: namesake.id },
      );
    const appleSerialNumber =
      device.appleSerialNumber ?? (serialNumber !== device.serialNumber ? device.serialNumber : undefined);
    await createDevice(trx, {
      id: device.id,
      spaceId,
      serialNumber,
      ...(appleSerialNumber ? { appleSerialNumber } : {}),
      platform: device.platform,
      sharedIpad: device.sharedIpad,
      supervised: device.supervised,
      ...(userId ? { userId } : {}),
      createdAt: now,
    });
    return;
  }
  await trx
    .updateTable("devices")
    .set({
      status: "active",
      user_id: userId ?? null,
      shared_ipad: device.sharedIpad,
      supervised: device.supervised,
      updated_at: now,
    })
    .where("space_id", "=", spaceId)
    .where("id", "=", device.id)
    .execute();
  // UB2: back in that space, perhaps with another user: the invitation follows.
  await followDevices(trx, { spaceId, deviceIds: [device.id], now });
  // AC7: active there again, it adopts what Apple holds for it outside Orchard (listed).
  await adoptListedLater(trx, { spaceId, deviceIds: [device.id], now });
}
