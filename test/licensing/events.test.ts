import { describe, expect, it } from "vitest";
import { consequencesOf, type EventWorld, endOfGrace, type License } from "../../src/licensing/index.js";
import { device, license, NOW, SPACE } from "./builders.js";

const GRACE_END = new Date("2026-12-25T12:00:00Z");
const APP = "408709785";

function eventWorld(overrides: Partial<EventWorld> = {}): EventWorld {
  return {
    now: NOW,
    devices: [
      device("iphone", { userId: "u1" }),
      device("mac", { platform: "macOS", userId: "u1" }),
      device("ipad-other", { spaceId: "space-2" }),
    ],
    installs: [
      { deviceId: "iphone", adamId: APP },
      { deviceId: "mac", adamId: APP },
      { deviceId: "ipad-other", adamId: APP },
    ],
    licenses: [
      license("user-u1", { type: "user", userId: "u1" }),
      license("dev-iphone", { type: "device", deviceId: "iphone" }),
      license("dev-mac", { type: "device", deviceId: "mac" }),
      license("dev-other", { type: "device", deviceId: "ipad-other", spaceId: "space-2", accountId: "Z" }),
    ],
    ...overrides,
  };
}

const released = (c: { releases: { licenseId: string }[] }) => c.releases.map((r) => r.licenseId).sort();

describe("revocation (RV)", () => {
  it("RV1: retiring, wiping or inactivating a device releases its device-based licenses only", () => {
    for (const kind of ["device_retired", "device_wiped", "device_inactive"] as const) {
      const c = consequencesOf({ kind, deviceId: "iphone" }, eventWorld());
      expect(released(c)).toEqual(["dev-iphone"]);
      expect(c.releases[0]?.because).toContain("RV1");
      expect(c.commands).toEqual([]);
    }
  });

  it("RV1: deleting an app from a space's catalog releases every license of it in that space", () => {
    const c = consequencesOf(
      { kind: "app_deleted", spaceId: SPACE, adamId: APP, delegatedSpaceIds: [] },
      eventWorld(),
    );
    expect(released(c)).toEqual(["dev-iphone", "dev-mac", "user-u1"]);
  });

  it("RV2: revoking one license from the log releases just that one", () => {
    const c = consequencesOf({ kind: "license_revoked", licenseId: "dev-mac" }, eventWorld());
    expect(released(c)).toEqual(["dev-mac"]);
    expect(c.releases[0]?.because).toContain("RV2");
  });

  it("RV3: an iOS revocation keeps the app usable 30 days and sends no remove command; macOS keeps it without grace", () => {
    const ios = consequencesOf({ kind: "license_revoked", licenseId: "dev-iphone" }, eventWorld());
    expect(ios.releases).toEqual([
      { licenseId: "dev-iphone", graceUntil: GRACE_END, because: ["RV2", "RV4", "RV3"] },
    ]);
    expect(ios.commands).toEqual([]);
    const mac = consequencesOf({ kind: "license_revoked", licenseId: "dev-mac" }, eventWorld());
    expect(mac.releases).toEqual([{ licenseId: "dev-mac", because: ["RV2", "RV4"] }]);
  });

  it("RV3: at the end of the grace the MDM removes the app from iOS devices, unless licensed again", () => {
    const inGrace: License = license("L", {
      type: "user",
      userId: "u1",
      state: "in_grace",
      graceUntil: GRACE_END,
    });
    const w = eventWorld();
    const before = endOfGrace({
      license: inGrace,
      now: NOW,
      licensedAgain: false,
      devices: w.devices,
      installs: w.installs,
    });
    expect(before).toEqual([]);
    const after = endOfGrace({
      license: inGrace,
      now: GRACE_END,
      licensedAgain: false,
      devices: w.devices,
      installs: w.installs,
    });
    expect(after).toEqual([{ kind: "remove", deviceId: "iphone", adamId: APP, because: ["RV3"] }]);
    expect(
      endOfGrace({
        license: inGrace,
        now: GRACE_END,
        licensedAgain: true,
        devices: w.devices,
        installs: w.installs,
      }),
    ).toEqual([]);
  });

  it("RV4: revoking a user's license from the app's License usage tab releases it", () => {
    const c = consequencesOf({ kind: "license_revoked", licenseId: "user-u1" }, eventWorld());
    expect(released(c)).toEqual(["user-u1"]);
    expect(c.releases[0]?.because).toContain("RV4");
  });

  it("RV5: deleting a user releases their user-based licenses; removing the MDM profile, the device's", () => {
    expect(released(consequencesOf({ kind: "user_deleted", userId: "u1" }, eventWorld()))).toEqual([
      "user-u1",
    ]);
    const profile = consequencesOf({ kind: "mdm_profile_removed", deviceId: "mac" }, eventWorld());
    expect(released(profile)).toEqual(["dev-mac"]);
    expect(profile.releases[0]?.because).toContain("RV5");
  });

  it("RV5: a user's user-based license survives the loss of one device (UB1)", () => {
    const c = consequencesOf({ kind: "device_wiped", deviceId: "iphone" }, eventWorld());
    expect(released(c)).not.toContain("user-u1");
  });

  it("MA4: revoke all licenses of an app revokes it in every account of the space, not of other spaces", () => {
    const w = eventWorld({
      licenses: [
        ...eventWorld().licenses,
        license("acct-b", { accountId: "B", type: "device", deviceId: "x" }),
      ],
    });
    const c = consequencesOf({ kind: "app_revoked", spaceId: SPACE, adamId: APP }, w);
    expect(released(c)).toEqual(["acct-b", "dev-iphone", "dev-mac", "user-u1"]);
    expect(c.commands).toEqual([]);
  });

  it("AC5: deleting an account releases every license it gave, device-based too, and uninstalls nothing", () => {
    const w = eventWorld({ licenses: [...eventWorld().licenses, license("other-acct", { accountId: "B" })] });
    const c = consequencesOf({ kind: "account_deleted", accountId: "A" }, w);
    expect(released(c)).toEqual(["dev-iphone", "dev-mac", "user-u1"]);
    expect(c.commands).toEqual([]);
    expect(c.releases.find((r) => r.licenseId === "user-u1")?.graceUntil).toEqual(GRACE_END);
  });

  it("only live licenses are released (a license already in grace is left alone)", () => {
    const w = eventWorld({
      licenses: [license("old", { type: "device", deviceId: "iphone", state: "in_grace" })],
    });
    expect(consequencesOf({ kind: "device_retired", deviceId: "iphone" }, w).releases).toEqual([]);
  });
});

describe("platform behaviour (PB)", () => {
  it("PB1: removing the app from a user's distribution revokes and uninstalls it from the user's iOS devices", () => {
    const c = consequencesOf(
      { kind: "app_removed_from_distribution", spaceId: SPACE, adamId: APP, userId: "u1" },
      eventWorld(),
    );
    expect(released(c)).toEqual(["dev-iphone", "dev-mac", "user-u1"]);
    expect(c.commands).toEqual([{ kind: "remove", deviceId: "iphone", adamId: APP, because: ["PB1"] }]);
  });

  it("PB1: removing the app from a user's distribution in one space releases only that space's licenses of the user", () => {
    const w = eventWorld({
      licenses: [
        ...eventWorld().licenses,
        license("user-u1-space-2", { type: "user", userId: "u1", spaceId: "space-2", accountId: "Z" }),
      ],
    });
    const c = consequencesOf(
      { kind: "app_removed_from_distribution", spaceId: SPACE, adamId: APP, userId: "u1" },
      w,
    );
    expect(released(c)).toEqual(["dev-iphone", "dev-mac", "user-u1"]);
    expect(released(c)).not.toContain("user-u1-space-2");
    // Removed from the user's distribution in space-2, only space-2's user license goes.
    const there = consequencesOf(
      { kind: "app_removed_from_distribution", spaceId: "space-2", adamId: APP, userId: "u1" },
      w,
    );
    expect(released(there)).toEqual(["user-u1-space-2"]);
  });

  it("PB1: undelegating uninstalls from every iOS device of the spaces losing the delegation", () => {
    const c = consequencesOf({ kind: "app_undelegated", adamId: APP, spaceIds: ["space-2"] }, eventWorld());
    expect(released(c)).toEqual(["dev-other"]);
    expect(c.commands.map((x) => x.deviceId)).toEqual(["ipad-other"]);
  });

  it("PB1: deleting from the default space also uninstalls in the spaces it was delegated to", () => {
    const c = consequencesOf(
      { kind: "app_deleted", spaceId: SPACE, adamId: APP, delegatedSpaceIds: ["space-2"] },
      eventWorld(),
    );
    expect(released(c)).toEqual(["dev-iphone", "dev-mac", "dev-other", "user-u1"]);
    expect(c.commands.map((x) => x.deviceId).sort()).toEqual(["ipad-other", "iphone"]);
  });

  it("PB2: on macOS none of these uninstall the app, but the license is still revoked", () => {
    const c = consequencesOf(
      { kind: "app_deleted", spaceId: SPACE, adamId: APP, delegatedSpaceIds: [] },
      eventWorld(),
    );
    expect(c.commands.map((x) => x.deviceId)).not.toContain("mac");
    expect(released(c)).toContain("dev-mac");
    expect(c.releases.find((r) => r.licenseId === "dev-mac")?.because).toContain("PB2");
  });
});
