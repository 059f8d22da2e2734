/**
 * Scale: seeding a million assignments is fast and compact, pages stream from it, and
 * associating 25,000 devices costs ceil(25,000 / maxSerialNumbers) calls.
 * (Timings here are loose guards; the benches measure.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
beforeAll(async () => {
  s = await startSim({ eventDelayMs: 0 });
});
afterAll(() => s.close());

describe("scale", () => {
  it("seeds 1,000,000 assignments well under 10 s and serves any page of them", async () => {
    const start = performance.now();
    s.sim.operator.seed(s.uId, { apps: 25, licensesPerApp: 40_000, users: 1000, assignments: 1_000_000 });
    expect(performance.now() - start).toBeLessThan(10_000);
    const snapshot = s.sim.operator.snapshot(s.uId);
    expect(snapshot.assignmentCount).toBe(1_000_000);
    expect(snapshot.assets.every((a) => a.assignedCount === 40_000 && a.availableCount === 0)).toBe(true);
    const first = await s.call("/assignments");
    expect(first.body).toMatchObject({ currentPageIndex: 0, nextPageIndex: 1, size: 1000, totalPages: 1000 });
    const last = await s.call("/assignments?pageIndex=999");
    expect(last.body.nextPageIndex).toBeUndefined();
    expect((last.body.assignments as Json[]).length).toBe(1000);
    const serial = (first.body.assignments as Json[])[5]?.serialNumber as string;
    const one = await s.call(`/assignments?serialNumber=${serial}`);
    expect(one.body.assignments).toHaveLength(1);
    // A filtered walk computes its selection once per version.
    const adamId = snapshot.assets[3]?.adamId;
    const filtered = await s.call(`/assignments?adamId=${adamId}&pageIndex=39`);
    expect(filtered.body).toMatchObject({ totalPages: 40, size: 1000 });
  });

  it("disassociating a seeded device frees its license", async () => {
    const { body } = await s.call("/assignments?pageIndex=500");
    const row = (body.assignments as Json[])[0] as Json;
    const reply = await s.call("/assets/disassociate", {
      body: { assets: [{ adamId: row.adamId }], serialNumbers: [row.serialNumber] },
    });
    expect((await s.waitEvent(reply.body.eventId as string)).eventStatus).toBe("COMPLETE");
    expect(s.sim.operator.snapshot(s.uId).assignmentCount).toBe(999_999);
    expect((await s.call(`/assignments?serialNumber=${row.serialNumber}`)).body.assignments).toEqual([]);
  });

  it("assigns 25,000 devices in ceil(25,000 / 1000) = 25 associate calls", async () => {
    const fresh = await startSim({ eventDelayMs: 0 });
    fresh.sim.operator.addAsset(fresh.uId, { adamId: "1", totalCount: 25_000 });
    const ids: string[] = [];
    for (let batch = 0; batch < 25; batch++) {
      const serialNumbers = Array.from({ length: 1000 }, (_, i) => `D${batch * 1000 + i}`);
      const reply = await fresh.call("/assets/associate", {
        body: { assets: [{ adamId: "1" }], serialNumbers },
      });
      ids.push(reply.body.eventId as string);
    }
    for (const id of ids) expect((await fresh.waitEvent(id)).eventStatus).toBe("COMPLETE");
    expect(fresh.sim.operator.stats().requests["/assets/associate"]).toBe(25);
    expect(fresh.sim.operator.snapshot(fresh.uId).assets[0]).toMatchObject({
      assignedCount: 25_000,
      availableCount: 0,
    });
    await fresh.close();
  });
});
