import type { RuleId } from "./rules.js";
import { type Device, LIVE_STATES, type License } from "./types.js";

/** Apple keeps a revoked iOS app usable this long (RV3). */
export const GRACE_DAYS = 30;
const DAY_MS = 86_400_000;

/** When a grace that starts now ends (RV3). */
export function graceEnd(now: Date): Date {
  return new Date(now.getTime() + GRACE_DAYS * DAY_MS);
}

/** What happened in the MDM or the console that may take licenses away. */
export type LicenseEvent =
  | { kind: "device_retired" | "device_wiped" | "device_inactive" | "mdm_profile_removed"; deviceId: string }
  | { kind: "user_deleted"; userId: string }
  /** Deleted from a space's catalog; from the default space it also leaves the spaces it was delegated to. */
  | { kind: "app_deleted"; spaceId: string; adamId: string; delegatedSpaceIds: readonly string[] }
  | { kind: "account_deleted"; accountId: string }
  | { kind: "app_removed_from_distribution"; spaceId: string; adamId: string; userId: string }
  | { kind: "app_undelegated"; adamId: string; spaceIds: readonly string[] }
  /** One license revoked by an admin, from the log or the app's License usage tab. */
  | { kind: "license_revoked"; licenseId: string }
  /** "Revoke all licenses" of an app in one space's catalog. */
  | { kind: "app_revoked"; spaceId: string; adamId: string };

/** The licenses, devices and managed installs an event may touch. */
export interface EventWorld {
  now: Date;
  licenses: readonly License[];
  devices: readonly Device[];
  installs: readonly { deviceId: string; adamId: string }[];
}

export interface Release {
  licenseId: string;
  /** Set when an iOS device keeps the app usable until then (RV3). */
  graceUntil?: Date;
  because: RuleId[];
}

export interface MdmCommand {
  kind: "install" | "remove";
  deviceId: string;
  adamId: string;
  because: RuleId[];
}

export interface Consequences {
  releases: Release[];
  commands: MdmCommand[];
}

/**
 * The license releases and MDM commands an event causes, with the rules behind each.
 * Revocation alone never uninstalls (RV3); only catalog changes on iOS do (PB1).
 */
export function consequencesOf(event: LicenseEvent, world: EventWorld): Consequences {
  const live = world.licenses.filter((l) => LIVE_STATES.includes(l.state));
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed": {
      // RV1, RV5: the device's device-based licenses; its user's user-based ones stay (UB1).
      const rule: RuleId = event.kind === "mdm_profile_removed" ? "RV5" : "RV1";
      const wiped = event.kind === "device_wiped"; // nothing left on the device to keep usable
      const lost = live.filter((l) => l.type === "device" && l.deviceId === event.deviceId);
      return {
        releases: lost.map((l) => release(l, world, wiped ? [] : [rule, "RV3"], [rule], !wiped)),
        commands: [],
      };
    }
    case "user_deleted": {
      const lost = live.filter((l) => l.type === "user" && l.userId === event.userId);
      return { releases: lost.map((l) => release(l, world, ["RV5", "RV3"], ["RV5"])), commands: [] };
    }
    case "account_deleted": {
      // AC5: every license released at Apple; nothing uninstalled; users have 30 days.
      const lost = live.filter((l) => l.accountId === event.accountId);
      return {
        releases: lost.map((l) => release(l, world, ["AC5", "RV1", "RV3"], ["AC5", "RV1"])),
        commands: [],
      };
    }
    case "license_revoked": {
      const lost = live.filter((l) => l.id === event.licenseId);
      return {
        releases: lost.map((l) => release(l, world, ["RV2", "RV4", "RV3"], ["RV2", "RV4"])),
        commands: [],
      };
    }
    case "app_revoked": {
      // MA4: every account of this space, no other space.
      const lost = live.filter((l) => l.spaceId === event.spaceId && l.adamId === event.adamId);
      return {
        releases: lost.map((l) => release(l, world, ["MA4", "RV2", "RV3"], ["MA4", "RV2"])),
        commands: [],
      };
    }
    case "app_deleted":
      return leaveSpaces(event.adamId, [event.spaceId, ...event.delegatedSpaceIds], world, "RV1");
    case "app_undelegated":
      return leaveSpaces(event.adamId, event.spaceIds, world, "PB1");
    case "app_removed_from_distribution": {
      // PB1: the user's license and the device licenses on the user's devices.
      const userDevices = new Set(world.devices.filter((d) => d.userId === event.userId).map((d) => d.id));
      const lost = live.filter(
        (l) =>
          l.spaceId === event.spaceId &&
          l.adamId === event.adamId &&
          (l.userId === event.userId || (l.deviceId !== undefined && userDevices.has(l.deviceId))),
      );
      return uninstallOnIos(event.adamId, lost, [...userDevices], world, "PB1");
    }
  }
}

/** PB1, PB2: the app leaves these spaces: licenses released, iOS devices there uninstall it. */
function leaveSpaces(
  adamId: string,
  spaceIds: readonly string[],
  world: EventWorld,
  rule: RuleId,
): Consequences {
  const spaces = new Set(spaceIds);
  const lost = world.licenses.filter(
    (l) => LIVE_STATES.includes(l.state) && l.adamId === adamId && spaces.has(l.spaceId),
  );
  const devices = world.devices.filter((d) => spaces.has(d.spaceId)).map((d) => d.id);
  return uninstallOnIos(adamId, lost, devices, world, rule);
}

function uninstallOnIos(
  adamId: string,
  lost: readonly License[],
  deviceIds: readonly string[],
  world: EventWorld,
  rule: RuleId,
): Consequences {
  const byId = new Map(world.devices.map((d) => [d.id, d]));
  const installedOn = new Set(world.installs.filter((i) => i.adamId === adamId).map((i) => i.deviceId));
  const commands: MdmCommand[] = [];
  const because: RuleId[] = rule === "PB1" ? ["PB1"] : [rule, "PB1"];
  for (const id of deviceIds) {
    const device = byId.get(id);
    if (!device || !installedOn.has(id)) continue;
    // PB2: macOS keeps the app; the license is still released.
    if (device.platform !== "macOS") commands.push({ kind: "remove", deviceId: id, adamId, because });
  }
  const uninstalled = new Set(commands.map((c) => c.deviceId));
  const releases = lost.map((l) => {
    const keepsApp = devicesOf(l, world).some((d) => !uninstalled.has(d.id));
    const why: RuleId[] = [...because, "PB2"];
    return release(l, world, [...why, "RV3"], why, keepsApp);
  });
  return { releases, commands };
}

/** The devices a license serves: its device, or its user's devices. */
function devicesOf(license: License, world: EventWorld): Device[] {
  if (license.type === "device") return world.devices.filter((d) => d.id === license.deviceId);
  return world.devices.filter((d) => d.userId === license.userId);
}

/**
 * RV3: a license released while an iOS (non-macOS) device still has the app gets the
 * 30-day grace; on macOS the app simply stays and no grace is recorded.
 */
function release(
  license: License,
  world: EventWorld,
  withGrace: RuleId[],
  without: RuleId[],
  keepsApp = true,
): Release {
  const installedOn = new Set(
    world.installs.filter((i) => i.adamId === license.adamId).map((i) => i.deviceId),
  );
  const onIos = devicesOf(license, world).some((d) => d.platform !== "macOS" && installedOn.has(d.id));
  if (keepsApp && onIos) {
    return { licenseId: license.id, graceUntil: graceEnd(world.now), because: withGrace };
  }
  return { licenseId: license.id, because: without };
}

/**
 * RV3, at the end of the grace: the MDM removes the app from the iOS devices where it
 * is still installed, unless the subject holds a license for it again.
 */
export function endOfGrace(input: {
  license: License;
  now: Date;
  licensedAgain: boolean;
  devices: readonly Device[];
  installs: readonly { deviceId: string; adamId: string }[];
}): MdmCommand[] {
  const { license, now } = input;
  if (input.licensedAgain || !license.graceUntil || now < license.graceUntil) return [];
  const world: EventWorld = { now, licenses: [], devices: input.devices, installs: input.installs };
  const installedOn = new Set(
    input.installs.filter((i) => i.adamId === license.adamId).map((i) => i.deviceId),
  );
  return devicesOf(license, world)
    .filter((d) => d.platform !== "macOS" && installedOn.has(d.id))
    .map((d) => ({ kind: "remove", deviceId: d.id, adamId: license.adamId, because: ["RV3"] }));
}
