import { describe, expect, it } from "vitest";
import { type DecisionWorld, planTransfer, type TransferInput } from "../../src/licensing/index.js";
import { account, asset, device, license, NOW, SPACE, world } from "./builders.js";

const APP = "408709785";
const NEW_SPACE = "space-2";
const GRACE_END = new Date("2026-12-25T12:00:00Z");

function newWorld(total: number, used: number): DecisionWorld {
  return world({
    space: { id: NEW_SPACE, appsAndBooksEnabled: true },
    device: device("d1", { spaceId: NEW_SPACE }),
    accounts: [account("N", 1, asset(total, used), {}, { spaceId: NEW_SPACE })],
  });
}

function input(overrides: Partial<TransferInput>): TransferInput {
  return {
    now: NOW,
    device: device("d1", { userId: "u1" }),
    toSpaceId: NEW_SPACE,
    installedAdamIds: [APP],
    oldLicenses: [license("old-dev", { type: "device", deviceId: "d1" })],
    ownerOtherActiveDevices: 0,
    newWorlds: new Map([[APP, newWorld(10, 0)]]),
    ...overrides,
  };
}

describe("moving a device to another space (TR)", () => {
  it("TR2: licensed before and a license free in the new space: assign there first, then release the old one", () => {
    const steps = planTransfer(input({}));
    expect(steps.map((s) => s.kind)).toEqual(["assign", "release"]);
    expect(steps[0]).toMatchObject({
      kind: "assign",
      decision: { outcome: "grant", accountId: "N", type: "device" },
    });
    expect(steps[1]).toEqual({ kind: "release", adamId: APP, licenseId: "old-dev", because: ["TR1", "TR2"] });
  });

  it("TR2: licensed before and none free in the new space: release the old license, iOS keeps the app 30 days", () => {
    const steps = planTransfer(input({ newWorlds: new Map([[APP, newWorld(5, 5)]]) }));
    expect(steps).toEqual([
      {
        kind: "release",
        adamId: APP,
        licenseId: "old-dev",
        graceUntil: GRACE_END,
        because: ["TR1", "TR2", "RV3"],
      },
    ]);
  });

  it("TR2, RV3: a Mac moved into a space with no free seat: its release carries no grace (macOS keeps no 30 days), an iPhone's does", () => {
    const full = (platform: "iOS" | "macOS"): DecisionWorld =>
      world({
        space: { id: NEW_SPACE, appsAndBooksEnabled: true },
        device: device("d1", { spaceId: NEW_SPACE, platform }),
        accounts: [account("N", 1, asset(5, 5), {}, { spaceId: NEW_SPACE })],
      });
    const mac = planTransfer(
      input({
        device: device("d1", { platform: "macOS", userId: "u1" }),
        newWorlds: new Map([[APP, full("macOS")]]),
      }),
    );
    expect(mac).toEqual([{ kind: "release", adamId: APP, licenseId: "old-dev", because: ["TR1", "TR2"] }]);
    const iphone = planTransfer(
      input({
        device: device("d1", { platform: "iOS", userId: "u1" }),
        newWorlds: new Map([[APP, full("iOS")]]),
      }),
    );
    expect(iphone).toEqual([
      {
        kind: "release",
        adamId: APP,
        licenseId: "old-dev",
        graceUntil: GRACE_END,
        because: ["TR1", "TR2", "RV3"],
      },
    ]);
  });

  it("TR2: not licensed before and a license free in the new space for an installed app: assign from the new space", () => {
    const steps = planTransfer(input({ oldLicenses: [] }));
    expect(steps.map((s) => s.kind)).toEqual(["assign"]);
  });

  it("TR1: the owner's user-based license is released only when no other active device is left in the old space", () => {
    const owner = [license("old-user", { type: "user", userId: "u1" })];
    const lastDevice = planTransfer(input({ oldLicenses: owner, newWorlds: new Map() }));
    expect(lastDevice.map((s) => (s.kind === "release" ? s.licenseId : s.kind))).toEqual(["old-user"]);
    const another = planTransfer(
      input({ oldLicenses: owner, ownerOtherActiveDevices: 1, newWorlds: new Map() }),
    );
    expect(another).toEqual([]);
  });

  it("TR1: a device license for an app not installed yet leaves with the device, without grace", () => {
    const steps = planTransfer(
      input({
        oldLicenses: [
          license("pending", { type: "device", deviceId: "d1", adamId: "555", state: "pending_assign" }),
        ],
      }),
    );
    expect(steps).toContainEqual({ kind: "release", adamId: "555", licenseId: "pending", because: ["TR1"] });
  });

  it("TR1: licenses of the old space only; other spaces' licenses are untouched", () => {
    const steps = planTransfer(
      input({
        oldLicenses: [license("elsewhere", { type: "device", deviceId: "d1", spaceId: "space-9" })],
        newWorlds: new Map(),
      }),
    );
    expect(steps).toEqual([]);
    expect(SPACE).not.toBe(NEW_SPACE);
  });
});
