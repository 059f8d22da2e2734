import { describe, expect, it } from "vitest";
import { platformsFromApple } from "../../src/apple/index.js";
import { appRunsOn, decide, newTrace, type Platform } from "../../src/licensing/index.js";
import { account, asset, device, deviceRequest, license, user, userRequest, world } from "./builders.js";

const IOS_ONLY = { platforms: ["iOS"] as Platform[] };

describe("platforms an app runs on (PB3)", () => {
  it("PB3: with the default All Users FCFS rule, a Mac, an Apple TV and a watch are refused an iOS-only app; an iPhone is granted", () => {
    for (const platform of ["macOS", "tvOS", "watchOS", "visionOS"] as const) {
      const w = world({
        device: device("d1", { platform }),
        accounts: [account("A", 1, asset(10, 0, IOS_ONLY))],
      });
      for (const why of ["mandatory", "check_in", "requested"] as const)
        expect(decide(deviceRequest("d1", why), w), `${platform} ${why}`).toEqual({
          outcome: "refuse",
          reason: "unsupported_platform",
          because: ["PB3"],
        });
    }
    const iphone = world({ device: device("d1"), accounts: [account("A", 1, asset(10, 0, IOS_ONLY))] });
    expect(decide(deviceRequest("d1"), iphone)).toMatchObject({ outcome: "grant", type: "device" });
  });

  it("PB3: the device's platform among the app's is licensed as before (LT6: a Mac, device-based)", () => {
    const w = world({
      user: user(),
      device: device("d1", { platform: "macOS", userId: "u1" }),
      accounts: [account("A", 1, asset(10, 0, { platforms: ["iOS", "macOS"] }))],
    });
    expect(decide(deviceRequest("d1"), w)).toMatchObject({ outcome: "grant", type: "device" });
  });

  it("PB3: Apple's data missing never refuses: an asset with no platform runs anywhere", () => {
    const w = world({
      device: device("d1", { platform: "tvOS" }),
      accounts: [account("A", 1, asset(10, 0, { platforms: [] }))],
    });
    expect(decide(deviceRequest("d1"), w)).toMatchObject({ outcome: "grant", accountId: "A" });
  });

  it("PB3: accounts whose assets disagree are read together: a platform any of them lists is in", () => {
    const w = world({
      device: device("d1", { platform: "macOS" }),
      accounts: [
        account("A", 1, asset(10, 0, IOS_ONLY)),
        account("B", 2, asset(10, 0, { platforms: ["iOS", "macOS"] })),
      ],
    });
    // MA1: the decision walks the accounts as always once the app runs on the device.
    expect(decide(deviceRequest("d1"), w)).toMatchObject({ outcome: "grant", accountId: "A" });
  });

  it("PB3: a license the device holds already is kept, not revoked, and the decision names PB3", () => {
    const w = world({
      device: device("d1", { platform: "macOS" }),
      accounts: [account("A", 1, asset(10, 1, IOS_ONLY))],
      licenses: [license("l1", { type: "device", deviceId: "d1" })],
    });
    expect(decide(deviceRequest("d1", "check_in"), w)).toEqual({
      outcome: "keep",
      licenseId: "l1",
      accountId: "A",
      type: "device",
      because: ["LT1", "PB3"],
    });
  });

  it("PB3: a user's request from a device the app does not run on is refused; without a device it is not asked", () => {
    const accounts = [account("A", 1, asset(10, 0, IOS_ONLY))];
    const fromMac = world({
      user: user(),
      device: device("d1", { platform: "macOS", userId: "u1" }),
      accounts,
    });
    expect(decide(userRequest(), fromMac)).toMatchObject({
      outcome: "refuse",
      reason: "unsupported_platform",
    });
    expect(decide(userRequest(), world({ user: user(), accounts }))).toMatchObject({
      outcome: "grant",
      type: "user",
    });
  });

  it("PB3 after CA3, RV1, MA1: Apps and Books off, an inactive device, an app no account bought say so first", () => {
    const mac = device("d1", { platform: "macOS" });
    const accounts = [account("A", 1, asset(10, 0, IOS_ONLY))];
    expect(
      decide(
        deviceRequest(),
        world({ device: mac, accounts, space: { id: "space-1", appsAndBooksEnabled: false } }),
      ),
    ).toMatchObject({ reason: "apps_and_books_disabled" });
    expect(decide(deviceRequest(), world({ device: { ...mac, active: false }, accounts }))).toMatchObject({
      reason: "device_inactive",
    });
    expect(
      decide(deviceRequest(), world({ device: mac, accounts: [account("A", 1, undefined)] })),
    ).toMatchObject({
      reason: "not_bought",
      because: ["MA1"],
    });
  });

  it("PB3: refused before any account is walked: no seat is looked at, the trace has no step", () => {
    const trace = newTrace();
    const w = world({
      device: device("d1", { platform: "watchOS" }),
      accounts: [account("A", 1, asset(10, 0, IOS_ONLY))],
    });
    expect(decide(deviceRequest("d1"), w, trace)).toMatchObject({ reason: "unsupported_platform" });
    expect(trace.steps).toEqual([]);
  });
});

describe("appRunsOn and Apple's supportedPlatforms (PB3)", () => {
  it("PB3: an app runs where any of its assets says, anywhere when one says nothing or none was bought", () => {
    expect(appRunsOn([{ platforms: ["iOS"] }], "macOS")).toBe(false);
    expect(appRunsOn([{ platforms: ["iOS"] }, { platforms: ["macOS"] }], "macOS")).toBe(true);
    expect(appRunsOn([{ platforms: ["iOS"] }, { platforms: [] }], "tvOS")).toBe(true);
    expect(appRunsOn([], "watchOS")).toBe(true);
  });

  it("PB3: Apple's names map to Orchard's platforms in any case; iPadOS is iOS, Mac Catalyst macOS, xrOS visionOS", () => {
    expect(platformsFromApple(["iOS"])).toEqual(["iOS"]);
    expect(platformsFromApple(["IOS", "iPadOS", "macOS"])).toEqual(["iOS", "macOS"]);
    expect(platformsFromApple(["Mac Catalyst"])).toEqual(["macOS"]);
    expect(platformsFromApple(["mac_catalyst", "tvOS", "watchOS", "xrOS"])).toEqual([
      "macOS",
      "tvOS",
      "watchOS",
      "visionOS",
    ]);
    expect(platformsFromApple(["visionOS"])).toEqual(["visionOS"]);
  });

  it("PB3: none sent, or a name Orchard does not know, is no platform at all: the app runs anywhere", () => {
    expect(platformsFromApple(undefined)).toEqual([]);
    expect(platformsFromApple([])).toEqual([]);
    // Which devices "carOS" covers is unknown: keeping only iOS would refuse them on missing data.
    expect(platformsFromApple(["iOS", "carOS"])).toEqual([]);
  });
});
