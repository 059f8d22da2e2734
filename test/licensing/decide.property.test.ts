import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccountForApp,
  type AccountStep,
  ALL_USERS,
  type Decision,
  type DecisionWorld,
  decide,
  type LicenseRequest,
  newTrace,
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

describe("decide's trace over random worlds: the walk it reports is the walk that decided", () => {
  const traced = (request: LicenseRequest, world: DecisionWorld) => {
    const trace = newTrace();
    return { decision: decide(request, world, trace), steps: trace.steps };
  };

  it("MA1 MA2 MA5: the trace changes nothing; a grant is exactly one reached grant step, at the granted account, with a free seat", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const { decision, steps } = traced(request, world);
        expect(decision).toEqual(decide(request, world));
        const taken = steps.filter((s) => s.reached && s.verdict === "grant");
        if (decision.outcome !== "grant") {
          expect(taken).toEqual([]);
          return;
        }
        expect(taken).toHaveLength(1);
        expect(taken[0]).toMatchObject({
          accountId: decision.accountId,
          type: decision.type,
          pass: decision.reserved ? "reserved" : "fcfs",
        });
        expect(taken[0]?.seats?.free).toBeGreaterThan(0);
        // MA1: nothing after the granting step is reached; MA5: a reservation leaves FCFS unreached.
        const after = steps.slice(steps.indexOf(taken[0] as AccountStep) + 1);
        for (const s of after) {
          expect(s.reached).toBe(false);
          expect(s.notReachedBecause).toBe(decision.reserved ? "MA5" : "MA1");
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("MA1 DI7: FCFS reports every bought account once, in priority order, and every other account as not bought", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const { steps } = traced(request, world);
        const fcfs = steps.filter((s) => s.pass === "fcfs" && s.verdict !== "not_bought");
        const bought = world.accounts.filter((a) => a.asset).sort((a, b) => a.priority - b.priority);
        expect(fcfs.map((s) => s.accountId)).toEqual(bought.map((a) => a.id));
        const notBought = steps.filter((s) => s.verdict === "not_bought").map((s) => s.accountId);
        expect(notBought.sort()).toEqual(
          world.accounts
            .filter((a) => !a.asset)
            .map((a) => a.id)
            .sort(),
        );
        for (const s of steps) {
          const a = world.accounts.find((x) => x.id === s.accountId);
          if (a?.asset) expect(s.seats).toMatchObject({ total: a.asset.total, used: a.asset.used });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("MA2 DI4 DI7 NT2 UB2 LT3: each wait or refusal names, among the reached steps, the verdict that explains it", () => {
    fc.assert(
      fc.property(worldArb, ({ world, request }) => {
        const { decision, steps } = traced(request, world);
        const reached = steps.filter((s) => s.reached).map((s) => s.verdict);
        if (decision.outcome === "grant" || decision.outcome === "keep") return;
        const expected: Record<string, string> = {
          no_license: "full",
          token_problem: "token_problem",
          not_enrolled: "not_enrolled",
          prohibited: "prohibited",
          not_device_assignable: "not_device_assignable",
          no_user: "no_user",
          no_device: "no_device",
        };
        const verdict = expected[decision.reason];
        if (verdict) expect(reached).toContain(verdict);
        // DI7: FCFS found no account that lists the subject (a reservation may have had no seat left).
        if (decision.reason === "not_eligible" || decision.reason === "prohibited")
          for (const s of steps.filter((x) => x.reached && x.pass === "fcfs"))
            expect(["not_listed", "prohibited", "not_bought"]).toContain(s.verdict);
        // MA2: an eligible account with a free seat that the walk reached would have granted.
        for (const s of steps.filter((x) => x.reached && x.pass === "fcfs"))
          expect(s.verdict === "grant").toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
