import { describe, expect, it } from "vitest";
import { type AccountStep, decide, newTrace } from "../../src/licensing/index.js";
import { account, asset, device, deviceRequest, user, userRequest, world } from "./builders.js";

/** decide() with its trace: the decision and the walk it made, one entry per (account, pass). */
function traced(request: Parameters<typeof decide>[0], w: Parameters<typeof decide>[1]) {
  const trace = newTrace();
  const decision = decide(request, w, trace);
  const step = (id: string, pass: AccountStep["pass"] = "fcfs") =>
    trace.steps.find((s) => s.accountId === id && s.pass === pass);
  return { decision, steps: trace.steps, step };
}

describe("decide's trace: the walk over the accounts, from the decision itself", () => {
  it("MA1: the first account in priority gives the license; the others are not reached, with what they would say", () => {
    const w = world({
      user: user(),
      accounts: [account("B", 2, asset(10, 3)), account("A", 1, asset(10, 9))],
    });
    const { decision, steps, step } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "grant", accountId: "A" });
    expect(steps.map((s) => s.accountId)).toEqual(["A", "B"]);
    expect(step("A")).toMatchObject({
      verdict: "grant",
      reached: true,
      eligibility: "fcfs",
      type: "user",
      seats: { total: 10, used: 9, heldForReservations: 0, free: 1 },
      because: ["MA1", "DI2"],
    });
    expect(step("B")).toMatchObject({ verdict: "grant", reached: false, notReachedBecause: "MA1" });
  });

  it("MA2: an account with no free license is passed over for the next eligible one", () => {
    const w = world({ user: user(), accounts: [account("A", 1, asset(5, 5)), account("B", 2, asset(10))] });
    const { decision, step } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "grant", accountId: "B" });
    expect(step("A")).toMatchObject({ verdict: "full", reached: true, because: ["MA2"] });
    expect(step("A")?.seats).toEqual({ total: 5, used: 5, heldForReservations: 0, free: 0 });
    expect(step("B")).toMatchObject({ verdict: "grant", reached: true });
  });

  it("DI6, MA2, LT3: a refusal for want of seats shows each eligible account full, reserved seats counted apart", () => {
    const w = world({
      user: user("u1"),
      accounts: [
        account("A", 1, asset(4, 2), { reservedUserIds: ["u9"], unusedReservations: 2 }),
        account("B", 2, asset(3, 3)),
      ],
    });
    const { decision, steps } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "refuse", reason: "no_license", because: ["LT3", "MA2"] });
    expect(steps).toEqual([
      expect.objectContaining({
        accountId: "A",
        verdict: "full",
        because: ["MA2", "DI6"],
        seats: { total: 4, used: 2, heldForReservations: 2, free: 0 },
      }),
      expect.objectContaining({ accountId: "B", verdict: "full", because: ["MA2"] }),
    ]);
  });

  it("DI7, DI4, MA1: not listed, prohibited and not bought are each named with their rule", () => {
    const w = world({
      user: user("u1", { groupIds: ["sales"] }),
      accounts: [
        account("A", 1, asset(10), {
          fcfs: { groupIds: ["engineering"], requestedType: "user", mandatoryType: "device" },
        }),
        account("B", 2, asset(10), { prohibitedUserIds: ["u1"] }),
        account("C", 3, undefined),
      ],
    });
    const { decision, step } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "refuse", reason: "prohibited" });
    expect(step("A")).toMatchObject({
      eligibility: "not_listed",
      verdict: "not_listed",
      because: ["MA2", "DI7"],
    });
    expect(step("B")).toMatchObject({
      eligibility: "prohibited",
      verdict: "prohibited",
      because: ["DI4", "DI7"],
    });
    expect(step("C")).toMatchObject({ eligibility: "not_bought", verdict: "not_bought", because: ["MA1"] });
    expect(step("C")?.seats).toBeUndefined();
  });

  it("MA5, DI3: a reservation lower in priority decides; FCFS of the first account is not reached", () => {
    const w = world({
      user: user(),
      accounts: [
        account("A", 1, asset(10)),
        account("B", 2, asset(10), { reservedUserIds: ["u1"], unusedReservations: 1 }),
      ],
    });
    const { decision, step } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "grant", accountId: "B", reserved: true });
    expect(step("B", "reserved")).toMatchObject({
      verdict: "grant",
      reached: true,
      eligibility: "reserved",
      seats: { total: 10, used: 0, heldForReservations: 1, free: 10 },
    });
    expect(step("A")).toMatchObject({ verdict: "grant", reached: false, notReachedBecause: "MA5" });
  });

  it("NT2, UB2: a token problem and a missing enrollment are passed over, and the decision waits", () => {
    const w = world({
      user: user("u1", { enrolled: false }),
      accounts: [account("A", 1, asset(10), {}, { usable: false }), account("B", 2, asset(10))],
    });
    const { decision, step } = traced(userRequest(), w);
    expect(decision).toMatchObject({ outcome: "wait", reason: "not_enrolled" });
    expect(step("A")).toMatchObject({ verdict: "token_problem", reached: true, because: ["NT2", "MA2"] });
    expect(step("B")).toMatchObject({ verdict: "not_enrolled", reached: true, because: ["UB2"] });
  });

  it("LT5: a shared iPad passes over an account whose app Apple will not license by device", () => {
    const w = world({
      device: device("d1", { sharedIpad: true }),
      accounts: [account("A", 1, asset(10, 0, { deviceAssignable: false })), account("B", 2, asset(10))],
    });
    const { decision, step } = traced(deviceRequest(), w);
    expect(decision).toMatchObject({ outcome: "grant", accountId: "B", type: "device" });
    expect(step("A")).toMatchObject({ verdict: "not_device_assignable", type: "device", because: ["LT5"] });
  });

  it("CA3, LT4: a decision made before the accounts leaves the trace empty; without a trace the decision is the same", () => {
    const off = world({ user: user(), space: { id: "space-1", appsAndBooksEnabled: false } });
    expect(traced(userRequest(), off).steps).toEqual([]);
    const w = world({ user: user(), accounts: [account("A", 1, asset(5, 5)), account("B", 2, asset(10))] });
    expect(traced(userRequest(), w).decision).toEqual(decide(userRequest(), w));
  });
});
