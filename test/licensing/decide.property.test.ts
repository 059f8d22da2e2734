import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccountForApp,
  ALL_USERS,
  type Decision,
  type DecisionWorld,
  decide,
  type LicenseRequest,
} from "../../src/licensing/index.js";
import { APP, asset, device, license, SPACE, user } from "./builders.js";

const GROUPS = [ALL_USERS, "sales", "eng"];
const USERS = ["u1", "u2", "u3"];
const DEVICES = ["d1", "d2"];
const type = fc.constantFrom("user" as const, "device" as const);

/** A random account of the space: seats, rules, reservations counted consistently. */
const accountArb = (id: string, priority: number) =>
  fc
    .record({
      total: fc.integer({ min: 0, max: 6 }),
      usedShare: fc.double({ min: 0, max: 1, noNaN: true }),
      bought: fc.boolean(),
      usable: fc.boolean(),
      deviceAssignable: fc.boolean(),
      fcfs: fc.option(
        fc.record({ groupIds: fc.subarray(GROUPS), requestedType: type, mandatoryType: type }),
        { nil: undefined },
      ),
      reservedUserIds: fc.subarray(USERS),
      reservedDeviceIds: fc.subarray(DEVICES),
      prohibited: fc.subarray(USERS),
    })
    .map((r): AccountForApp => {
      const prohibitedUserIds = r.prohibited.filter((u) => !r.reservedUserIds.includes(u));
      const reservations = Math.min(r.total, r.reservedUserIds.length + r.reservedDeviceIds.length);
      const used = Math.floor(r.usedShare * (r.total - reservations));
      return {
        id,
        spaceId: SPACE,
        priority,
        usable: r.usable || priority === 1,
        asset: r.bought ? asset(r.total, used, { deviceAssignable: r.deviceAssignable }) : undefined,
        rules: {
          fcfs: r.fcfs,
          reservedUserIds: r.reservedUserIds,
          reservedDeviceIds: r.reservedDeviceIds,
          prohibitedUserIds,
          unusedReservations: reservations,
        },
      };
    });

const worldArb = fc
  .record({
    accounts: fc
      .integer({ min: 1, max: 4 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => accountArb(`acct-${i + 1}`, i + 1)))),
    userId: fc.constantFrom(...USERS),
    deviceId: fc.constantFrom(...DEVICES),
    groups: fc.subarray(GROUPS.slice(1)),
    enrolled: fc.boolean(),
    sharedIpad: fc.boolean(),
    mac: fc.boolean(),
    withDevice: fc.boolean(),
    deviceHasUser: fc.boolean(),
    why: fc.constantFrom("requested" as const, "mandatory" as const, "check_in" as const),
  })
  .map((r) => {
    const u = user(r.userId, { enrolled: r.enrolled, groupIds: r.groups });
    const d = device(r.deviceId, {
      sharedIpad: r.sharedIpad,
      platform: r.mac ? "macOS" : "iOS",
      ...(r.deviceHasUser ? { userId: r.userId } : {}),
    });
    const deviceSubject = r.withDevice;
    const world: DecisionWorld = {
      space: { id: SPACE, appsAndBooksEnabled: true },
      catalogApp: { adamId: APP },
      accounts: r.accounts,
      ...(deviceSubject ? { device: d, ...(r.deviceHasUser ? { user: u } : {}) } : { user: u }),
      licenses: [],
    };
    const request: LicenseRequest = {
      spaceId: SPACE,
      adamId: APP,
      subject: deviceSubject ? { kind: "device", deviceId: d.id } : { kind: "user", userId: u.id },
      why: r.why,
    };
    return { world, request };
  });

function grantedAccount(d: Decision, world: DecisionWorld): AccountForApp | undefined {
  return d.outcome === "grant" ? world.accounts.find((a) => a.id === d.accountId) : undefined;
}

describe("decide over random worlds", () => {
  it("MA1 DI6: never grants from an account with no seat to give (no overcommit)", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const d = decide(request, world);
        const a = grantedAccount(d, world);
        if (!a?.asset || d.outcome !== "grant") return;
        const free = a.asset.total - a.asset.used - (d.reserved ? 0 : a.rules.unusedReservations);
        expect(free).toBeGreaterThan(0);
        expect(a.usable).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("DI4: a prohibited user never gets an FCFS license from the account that prohibits them", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const d = decide(request, world);
        const a = grantedAccount(d, world);
        if (!a || !world.user || d.outcome !== "grant" || d.reserved) return;
        expect(a.rules.prohibitedUserIds).not.toContain(world.user.id);
      }),
      { numRuns: 2000 },
    );
  });

  it("MA2 DI7: grants come only from accounts that list the subject (FCFS group, All Users or a reservation)", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const d = decide(request, world);
        const a = grantedAccount(d, world);
        if (!a || d.outcome !== "grant") return;
        const reserved =
          (world.device !== undefined && a.rules.reservedDeviceIds.includes(world.device.id)) ||
          (world.user !== undefined && a.rules.reservedUserIds.includes(world.user.id));
        const groups = a.rules.fcfs?.groupIds ?? [];
        const listed =
          groups.includes(ALL_USERS) || (world.user?.groupIds.some((g) => groups.includes(g)) ?? false);
        expect(d.reserved ? reserved : listed).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it("MA5 DI3: a usable reservation with a free seat always beats priority and FCFS", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const forced = world.device?.sharedIpad || world.device?.platform === "macOS";
        const usableReservation = world.accounts
          .filter((a) => a.usable && a.asset && a.asset.total - a.asset.used > 0)
          .sort((a, b) => a.priority - b.priority)
          .find(
            (a) =>
              (world.device !== undefined &&
                a.rules.reservedDeviceIds.includes(world.device.id) &&
                a.asset?.deviceAssignable) ||
              (!forced && world.user?.enrolled && a.rules.reservedUserIds.includes(world.user.id)),
          );
        fc.pre(usableReservation !== undefined);
        const d = decide(request, world);
        expect(d).toMatchObject({ outcome: "grant", reserved: true });
        // The first account in priority order holding any applicable reservation is the one used.
        expect(grantedAccount(d, world)?.priority).toBeLessThanOrEqual(usableReservation?.priority ?? 0);
      }),
      { numRuns: 2000 },
    );
  });

  it("MA3: changing the priority order never takes away a license already held", () => {
    fc.assert(
      fc.property(worldArb, fc.func(fc.integer({ min: 1, max: 10 })), ({ world, request }, reorder) => {
        const held = world.device
          ? license("held", {
              type: "device",
              deviceId: world.device.id,
              accountId: world.accounts[0]?.id ?? "x",
            })
          : license("held", {
              type: "user",
              userId: world.user?.id ?? "x",
              accountId: world.accounts[0]?.id ?? "x",
            });
        const reprioritised = world.accounts.map((a, i) => ({ ...a, priority: reorder(i) }));
        const d = decide(request, { ...world, accounts: reprioritised, licenses: [held] });
        expect(d).toMatchObject({ outcome: "keep", licenseId: "held" });
      }),
      { numRuns: 1000 },
    );
  });

  it("MA1: sequential grants never use more seats than an account holds", () => {
    fc.assert(
      fc.property(worldArb, fc.integer({ min: 1, max: 20 }), ({ world }, requests) => {
        let accounts = world.accounts.map((a) => ({ ...a, asset: a.asset && { ...a.asset } }));
        for (let i = 0; i < requests; i++) {
          const d = device(`dev-${i}`);
          const w: DecisionWorld = { ...world, accounts, device: d, user: undefined };
          const decision = decide(
            { spaceId: SPACE, adamId: APP, subject: { kind: "device", deviceId: d.id }, why: "mandatory" },
            w,
          );
          if (decision.outcome !== "grant") continue;
          accounts = accounts.map((a) =>
            a.id === decision.accountId && a.asset
              ? { ...a, asset: { ...a.asset, used: a.asset.used + 1 } }
              : a,
          );
        }
        for (const a of accounts) {
          if (a.asset)
            expect(a.asset.used).toBeLessThanOrEqual(
              Math.max(
                a.asset.total - a.rules.unusedReservations,
                world.accounts.find((x) => x.id === a.id)?.asset?.used ?? 0,
              ),
            );
        }
      }),
      { numRuns: 500 },
    );
  });
});
