import { planTransfer, type TransferStep } from "../licensing/index.js";
import { loadEventWorld } from "../store/event-world.js";
import {
  type Actor,
  createDevice,
  getDevice,
  listInstalledApps,
  loadDecisionWorld,
  releaseLicenses,
  replaceInstalledApps,
  setDeviceStatus,
  withTransaction,
} from "../store/index.js";
import { countOtherActiveDevices } from "../store/mdm-query.repo.js";
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

    await createDevice(trx, {
      id: device.id,
      spaceId: input.toSpaceId,
      serialNumber: device.serialNumber,
      platform: device.platform,
      sharedIpad: device.sharedIpad,
      supervised: device.supervised,
      ...(input.userId ? { userId: input.userId } : {}),
    });
    await replaceInstalledApps(trx, input.toSpaceId, device.id, inventory, now);
    await setDeviceStatus(trx, input.fromSpaceId, device.id, "retired", now);

    const newWorlds = new Map();
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
    for (const step of steps) {
      if (step.kind === "assign") {
        await requestLicensesFor(txDeps, {
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
      } else {
        await releaseLicenses(trx, {
          spaceId: input.fromSpaceId,
          licenseIds: [step.licenseId],
          actor: input.actor,
          now,
          because: step.because,
          ...(step.graceUntil ? { graceUntil: step.graceUntil } : {}),
        });
      }
    }
    return steps;
  });
}
