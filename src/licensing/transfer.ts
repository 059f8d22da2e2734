import { decide } from "./decide.js";
import { graceEnd } from "./events.js";
import type { RuleId } from "./rules.js";
import { type Decision, type DecisionWorld, type Device, LIVE_STATES, type License } from "./types.js";

/** One step of a move, in the order to carry it out. */
export type TransferStep =
  | { kind: "assign"; adamId: string; decision: Extract<Decision, { outcome: "grant" }>; because: RuleId[] }
  | { kind: "release"; adamId: string; licenseId: string; graceUntil?: Date; because: RuleId[] };

export interface TransferInput {
  now: Date;
  /** The device as it was, in the old space. */
  device: Device;
  /** The space it moves to. */
  toSpaceId: string;
  /** Apps and Books apps installed on the device. */
  installedAdamIds: readonly string[];
  /** Live licenses in the old space held by the device or by its owner. */
  oldLicenses: readonly License[];
  /** How many other active devices the owner still has in the old space. */
  ownerOtherActiveDevices: number;
  /** The new space's world for each installed app, with the device already in the new space. */
  newWorlds: ReadonlyMap<string, DecisionWorld>;
}

/**
 * TR1, TR2: moving a device to another space. For each installed app: when the new
 * space can license it, assign there first, then release the old license; otherwise
 * release the old one (iOS keeps the app 30 days, RV3). The owner's user-based license
 * is released only when the owner has no other active device left in the old space.
 */
export function planTransfer(input: TransferInput): TransferStep[] {
  const { device } = input;
  const steps: TransferStep[] = [];
  for (const adamId of input.installedAdamIds) {
    const old = input.oldLicenses.filter(
      (l) =>
        l.adamId === adamId &&
        l.spaceId === device.spaceId &&
        LIVE_STATES.includes(l.state) &&
        ((l.type === "device" && l.deviceId === device.id) ||
          (l.type === "user" && l.userId === device.userId && input.ownerOtherActiveDevices === 0)),
    );
    const world = input.newWorlds.get(adamId);
    const decision = world
      ? decide(
          {
            spaceId: input.toSpaceId,
            adamId,
            subject: { kind: "device", deviceId: device.id },
            why: "check_in",
          },
          world,
        )
      : undefined;
    if (decision?.outcome === "grant") {
      steps.push({ kind: "assign", adamId, decision, because: ["TR2", ...decision.because] });
    }
    for (const license of old) {
      const graceUntil =
        device.platform === "macOS" || decision?.outcome === "grant" ? undefined : graceEnd(input.now);
      const because: RuleId[] = graceUntil ? ["TR1", "TR2", "RV3"] : ["TR1", "TR2"];
      steps.push({
        kind: "release",
        adamId,
        licenseId: license.id,
        ...(graceUntil ? { graceUntil } : {}),
        because,
      });
    }
  }
  // TR1: a device license held for an app the device does not report (not installed yet,
  // or removed) leaves with the device too; nothing to keep usable, so no grace.
  const installed = new Set(input.installedAdamIds);
  for (const license of input.oldLicenses) {
    if (installed.has(license.adamId) || license.type !== "device" || license.deviceId !== device.id)
      continue;
    if (license.spaceId !== device.spaceId || !LIVE_STATES.includes(license.state)) continue;
    steps.push({ kind: "release", adamId: license.adamId, licenseId: license.id, because: ["TR1"] });
  }
  return steps;
}
