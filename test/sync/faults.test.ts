import { afterAll, beforeAll, expect, it } from "vitest";
import { findAsset, listLicensesForApp } from "../../src/store/index.js";
import { dispatchOnce } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { checkIn, iosDevices, revokeOnIos } from "./fixtures.js";
import { appleSubjects, drain, type Harness, iosAppAccount, startHarness } from "./harness.js";

describeEachDatabase("sync under Apple's faults", (tdb) => {
  let h: Harness;
  const warnings: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    h = await startHarness(tdb(), {
      // Rate limiting is raised here for speed; the pacing test below keeps Apple's 15 req/s.
      sim: { enforceRateLimit: false, limits: { maxRequestPerSecond: 500 } },
      deps: { logger: { info() {}, error() {}, warn: (f) => void warnings.push(f) } },
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("invariant 3: 10,000 assignments (and 500 releases) converge to exactly Apple's state through 429s, 5xx, latency and dropped notifications", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 10_000, name: "Faulty" });
    const devices = await iosDevices(db, space.id, 10_000);
    expect(await checkIn(db, space.id, adamId, devices, 2500)).toBe(10_000);
    h.sim.operator.setFaults({
      rate429: 0.2,
      rate5xx: 0.05,
      latencyMs: 3,
      dropNotifications: 0.3,
      retryAfterSeconds: 0.02,
    });
    try {
      // 500 released while the associations are at Apple: each release waits for its
      // association, then goes to Apple through the same faults.
      expect((await dispatchOnce(h.deps, "test-worker")).claimed).toBeGreaterThan(0);
      const released = (await listLicensesForApp(db, space.id, adamId, { limit: 500 })).map((l) => l.id);
      await revokeOnIos(db, space.id, released);
      await drain(h, { maxRounds: 400 });
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(warnings.some((w) => w.errorNumber === 9646)).toBe(true); // the faults did happen

    const licenses = await listLicensesForApp(db, space.id, adamId);
    const assigned = licenses.filter((l) => l.state === "assigned");
    expect(assigned).toHaveLength(9_500);
    expect(licenses.filter((l) => l.state === "in_grace")).toHaveLength(500);
    const serialOf = new Map(devices.map((d) => [d.id, d.serialNumber]));
    const expected = new Set(assigned.map((l) => `s:${serialOf.get(l.deviceId ?? "")}`));
    const atApple = appleSubjects(h.sim, loc.uId, adamId);
    expect(atApple.length).toBe(9_500); // none doubled
    expect(new Set(atApple).size).toBe(9_500);
    expect(atApple.every((s) => expected.has(s))).toBe(true); // none lost, none extra
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(9_500);
    const snapshot = h.sim.operator.snapshot(loc.uId).assets.find((a) => a.adamId === adamId);
    expect(snapshot?.assignedCount).toBe(9_500);
  }, 90_000);
});

describeEachDatabase("pacing at Apple's 15 requests per second", (tdb) => {
  let h: Harness;
  const throttled: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    // Apple's own limit enforced; small batches make many calls.
    h = await startHarness(tdb(), {
      sim: { enforceRateLimit: true, limits: { maxSerialNumbers: 10 } },
      deps: {
        logger: { info() {}, error() {}, warn: (f) => void (f.errorNumber === 9646 && throttled.push(f)) },
      },
      notifications: false,
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("sends 30 associate calls and their status polls without a single 429", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 300, name: "Paced" });
    await checkIn(db, space.id, adamId, await iosDevices(db, space.id, 300));
    const started = performance.now();
    const { calls } = await drain(h);
    const seconds = (performance.now() - started) / 1000;
    expect(calls).toBe(30);
    expect(throttled).toHaveLength(0);
    const requests = Object.values(h.sim.operator.stats().requests).reduce((a, b) => a + b, 0);
    // No one-second window held more than 15: the run lasted at least (requests - 15) / 15 s.
    expect(seconds).toBeGreaterThanOrEqual((requests - 15 * 3) / 15);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(300);
  }, 60_000);
});
