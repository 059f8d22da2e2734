import {
  type Consequences,
  consequencesOf,
  type Device,
  type EventWorld,
  type LicenseEvent,
  type RuleId,
} from "../licensing/index.js";
import { type LicenseScope, loadEventWorld } from "../store/event-world.js";
import {
  type Actor,
  findCatalogApp,
  getAppOfSpace,
  getDevice,
  getUser,
  releaseLicenses,
  type Trx,
  withTransaction,
} from "../store/index.js";
import { queueMdmCommands } from "../store/mdm-command.repo.js";
import {
  applySideEffects,
  deviceStatusAfter,
  isExcludedFromDistribution,
  lockEventSubject,
  type MdmEvent,
} from "../store/mdm-events.repo.js";
import { listDelegatedSpaces } from "../store/mdm-query.repo.js";
import type { MdmDeps } from "./deps.js";

export type { MdmEvent };

/**
 * Applies an event: the engine says which licenses go and which devices uninstall
 * (consequencesOf), and this makes it real in one transaction: releases queued for
 * Apple (with the 30-day grace where iOS keeps the app), MDM remove commands queued,
 * and the event's own change recorded (device status, user deleted, catalog).
 *
 * An event about a device or a user of no such id in the space is a NotFoundError. One
 * whose own change is in effect already, with no license left for it to release (an MDM
 * sending it again after a timeout), changes nothing, queues nothing and logs nothing.
 */
export async function applyEvent(deps: MdmDeps, event: MdmEvent, actor: Actor): Promise<Consequences> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    await lockEventSubject(trx, event);
    const repeated = await inEffect(trx, event);
    const { scope, licenseEvent } = await resolve(trx, event);
    const world = await loadEventWorld(trx, { scope, now, ...extras(event) });
    const consequences = consequencesOf(licenseEvent, world);
    if (repeated && consequences.releases.length === 0) return { releases: [], commands: [] };
    await release(trx, consequences, world.licenses, actor, now);
    await queueCommands(trx, consequences, world, now);
    await applySideEffects(trx, event, actor, now);
    return consequences;
  });
}

/**
 * RV2: licenses of one space revoked at once (a reclaim's batch), each as its own
 * `license_revoked` event would revoke it: the engine decides each license over its part of
 * one world loaded for all (its device, or its user's devices, and their installs: RV3's
 * grace), and the releases are made together (one releaseLicenses per grace and rules), so a
 * batch costs the same few statements whatever its size. Returns the ids released; a license
 * no longer live is left out.
 */
export async function applyRevocations(
  deps: MdmDeps,
  input: { spaceId: string; licenseIds: readonly string[] },
  actor: Actor,
): Promise<string[]> {
  if (input.licenseIds.length === 0) return [];
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const world = await loadEventWorld(trx, {
      scope: { spaceIds: [input.spaceId], licenseIds: input.licenseIds },
      now,
    });
    const consequences: Consequences = { releases: [], commands: [] };
    for (const own of licenseWorlds(world)) {
      const license = own.licenses[0];
      if (!license) continue;
      const one = consequencesOf({ kind: "license_revoked", licenseId: license.id }, own);
      consequences.releases.push(...one.releases);
      consequences.commands.push(...one.commands);
    }
    const released = await release(trx, consequences, world.licenses, actor, now);
    await queueCommands(trx, consequences, world, now);
    return released;
  });
}

/**
 * Each license of `world` with what the engine reads about it alone: its devices (its
 * device, or its user's) and their installs. Indexed once: a batch of a thousand licenses
 * does not search the whole world for each.
 */
function* licenseWorlds(world: EventWorld): Generator<EventWorld> {
  const byId = new Map(world.devices.map((d) => [d.id, d]));
  const byUser = new Map<string, Device[]>();
  for (const d of world.devices) {
    if (!d.userId) continue;
    const list = byUser.get(d.userId) ?? [];
    list.push(d);
    byUser.set(d.userId, list);
  }
  const installsOf = new Map<string, { deviceId: string; adamId: string }[]>();
  for (const i of world.installs) {
    const list = installsOf.get(i.deviceId) ?? [];
    list.push(i);
    installsOf.set(i.deviceId, list);
  }
  for (const license of world.licenses) {
    const device = license.deviceId ? byId.get(license.deviceId) : undefined;
    const devices =
      license.type === "device" ? (device ? [device] : []) : (byUser.get(license.userId ?? "") ?? []);
    yield {
      now: world.now,
      licenses: [license],
      devices,
      installs: devices.flatMap((d) => installsOf.get(d.id) ?? []),
    };
  }
}

/** The MDM commands of these consequences, queued for the devices of the world. */
async function queueCommands(trx: Trx, consequences: Consequences, world: EventWorld, now: Date) {
  const serials = new Map(
    world.devices.map((d) => [d.id, { serialNumber: d.serialNumber, spaceId: d.spaceId }]),
  );
  await queueMdmCommands(
    trx,
    consequences.commands.flatMap((c) => {
      const device = serials.get(c.deviceId);
      return device
        ? [
            {
              spaceId: device.spaceId,
              kind: c.kind,
              deviceId: c.deviceId,
              serialNumber: device.serialNumber,
              adamId: c.adamId,
              ruleIds: c.because,
              now,
            },
          ]
        : [];
    }),
  );
}

/**
 * What the event would do, done nowhere: the releases and the remove commands applyEvent
 * would make now (the console warns with them before a catalog removal, PB1).
 */
export function previewEvent(deps: MdmDeps, event: MdmEvent): Promise<Consequences> {
  return withTransaction(deps.db, async (trx) => {
    const repeated = await inEffect(trx, event);
    const { scope, licenseEvent } = await resolve(trx, event);
    const world = await loadEventWorld(trx, { scope, now: deps.now(), ...extras(event) });
    const consequences = consequencesOf(licenseEvent, world);
    return repeated && consequences.releases.length === 0 ? { releases: [], commands: [] } : consequences;
  });
}

/**
 * Whether the event's own change is in effect already: the device has the status it
 * leaves, the app is out of the user's distribution, or out of the catalog. Throws
 * NotFoundError for a device or user the space does not have.
 */
async function inEffect(trx: Trx, event: MdmEvent): Promise<boolean> {
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed":
      return (await getDevice(trx, event.spaceId, event.deviceId)).status === deviceStatusAfter(event.kind);
    case "app_removed_from_distribution":
      await getUser(trx, event.spaceId, event.userId);
      await getAppOfSpace(trx, event.spaceId, event.adamId);
      return isExcludedFromDistribution(trx, event);
    case "app_deleted":
      await getAppOfSpace(trx, event.spaceId, event.adamId);
      return !(await findCatalogApp(trx, event.spaceId, event.adamId))?.inCatalog;
    default:
      return false;
  }
}

async function resolve(
  trx: Trx,
  event: MdmEvent,
): Promise<{ scope: LicenseScope; licenseEvent: LicenseEvent }> {
  const space = [event.spaceId];
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed":
      return {
        scope: { spaceIds: space, deviceId: event.deviceId },
        licenseEvent: { kind: event.kind, deviceId: event.deviceId },
      };
    case "user_deleted":
      return {
        scope: { spaceIds: space, userId: event.userId },
        licenseEvent: { kind: "user_deleted", userId: event.userId },
      };
    case "account_deleted":
      return {
        scope: { spaceIds: space, accountId: event.accountId },
        licenseEvent: { kind: "account_deleted", accountId: event.accountId },
      };
    case "license_revoked":
      return {
        scope: { spaceIds: space, licenseId: event.licenseId },
        licenseEvent: { kind: "license_revoked", licenseId: event.licenseId },
      };
    case "app_revoked":
      return {
        scope: { spaceIds: space, adamId: event.adamId },
        licenseEvent: { kind: "app_revoked", spaceId: event.spaceId, adamId: event.adamId },
      };
    case "app_removed_from_distribution":
      return {
        scope: { spaceIds: space, adamId: event.adamId },
        licenseEvent: {
          kind: "app_removed_from_distribution",
          spaceId: event.spaceId,
          adamId: event.adamId,
          userId: event.userId,
        },
      };
    case "app_deleted": {
      const delegatedSpaceIds = await listDelegatedSpaces(trx, event.spaceId, event.adamId);
      return {
        scope: { spaceIds: [event.spaceId, ...delegatedSpaceIds], adamId: event.adamId },
        licenseEvent: {
          kind: "app_deleted",
          spaceId: event.spaceId,
          adamId: event.adamId,
          delegatedSpaceIds,
        },
      };
    }
    case "app_undelegated":
      return {
        scope: { spaceIds: event.spaceIds, adamId: event.adamId },
        licenseEvent: { kind: "app_undelegated", adamId: event.adamId, spaceIds: event.spaceIds },
      };
  }
}

function extras(event: MdmEvent): { extraDeviceIds?: string[]; extraUserIds?: string[] } {
  if ("deviceId" in event) return { extraDeviceIds: [event.deviceId] };
  if ("userId" in event) return { extraUserIds: [event.userId] };
  return {};
}

/** Releases grouped by space, grace end and rules: one releaseLicenses call each. Returns the ids released. */
async function release(
  trx: Trx,
  consequences: Consequences,
  licenses: readonly { id: string; spaceId: string }[],
  actor: Actor,
  now: Date,
): Promise<string[]> {
  const spaceOf = new Map(licenses.map((l) => [l.id, l.spaceId]));
  const groups = new Map<string, { spaceId: string; graceUntil?: Date; because: RuleId[]; ids: string[] }>();
  for (const r of consequences.releases) {
    const spaceId = spaceOf.get(r.licenseId);
    if (!spaceId) continue;
    const key = `${spaceId}|${r.graceUntil?.toISOString() ?? ""}|${r.because.join(",")}`;
    const group = groups.get(key) ?? {
      spaceId,
      ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}),
      because: r.because,
      ids: [],
    };
    group.ids.push(r.licenseId);
    groups.set(key, group);
  }
  const released: string[] = [];
  for (const g of groups.values()) {
    const moved = await releaseLicenses(trx, {
      spaceId: g.spaceId,
      licenseIds: g.ids,
      actor,
      now,
      because: g.because,
      ...(g.graceUntil ? { graceUntil: g.graceUntil } : {}),
    });
    released.push(...moved.map((l) => l.id));
  }
  return released;
}
