/**
 * Injected faults, reproducible with a seed: 429 / 9646 with Retry-After, 5xx
 * (500 / 9603, 503 / 9729), maintenance (503 / 9729 at once and events failing with 9644),
 * latency, events finished out of order, dropped, duplicated and reordered notifications; and the
 * real rate limit of maxRequestPerSecond (9646).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type Sim, startSim, withReceiver } from "./helpers.js";

const open: Sim[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
async function sim(options: Parameters<typeof startSim>[0] = {}): Promise<Sim> {
  const s = await startSim(options);
  open.push(s);
  return s;
}

async function statuses(s: Sim, n: number, path = "/assets"): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await s.call(path)).status);
  return out;
}

describe("faults", () => {
  it("9646: a 429 rate answers 429 with Retry-After, the same requests for the same seed", async () => {
    const runs: number[][] = [];
    for (let i = 0; i < 2; i++) {
      const s = await sim({ seed: 42 });
      s.sim.operator.setFaults({ rate429: 0.5, retryAfterSeconds: 7 });
      runs.push(await statuses(s, 30));
      const reply = await s.call("/assets");
      if (reply.status === 429) {
        expect(reply.body.errorNumber).toBe(9646);
        expect(reply.headers.get("retry-after")).toBe("7");
      }
    }
    expect(runs[0]).toEqual(runs[1]);
    expect(runs[0]).toContain(429);
    expect(runs[0]).toContain(200);
    const other = await sim({ seed: 43 });
    other.sim.operator.setFaults({ rate429: 0.5 });
    expect(await statuses(other, 30)).not.toEqual(runs[0]);
  });

  it("a refused token answers HTTP 200 with the error body under tokenErrorsAsHttp200, per endpoint; a good token is untouched", async () => {
    const s = await sim();
    s.sim.operator.setFaults({ tokenErrorsAsHttp200: true }, "/assets");
    expect((await s.call("/assets")).status).toBe(200);
    s.sim.operator.revokeToken(s.uId);
    const refused = await s.call("/assets");
    expect(refused.status).toBe(200);
    expect(refused.body.errorNumber).toBe(9625);
    // Other endpoints keep Apple's documented status.
    expect((await s.call("/users")).status).not.toBe(200);
  });

  it("5xx: 503 / 9729 by default, 500 / 9603 on request, with Retry-After", async () => {
    const s = await sim();
    s.sim.operator.setFaults({ rate5xx: 1, retryAfterSeconds: 120 });
    const reply = await s.call("/assets");
    expect(reply.status).toBe(503);
    expect(reply.body.errorNumber).toBe(9729);
    expect(reply.headers.get("retry-after")).toBe("120");
    s.sim.operator.setFaults({ rate5xx: 1, status5xx: 500 });
    const internal = await s.call("/assets");
    expect(internal.status).toBe(500);
    expect(internal.body.errorNumber).toBe(9603);
  });

  it("an event delay per endpoint finishes a later release before an earlier association: Apple keeps the serial", async () => {
    const s = await sim();
    s.sim.operator.addAsset(s.uId, { adamId: "1001", totalCount: 5 });
    s.sim.operator.setFaults({ eventDelayMs: 100 }, "/assets/associate");
    const body = { assets: [{ adamId: "1001" }], serialNumbers: ["SN1"] };
    const associated = await s.call("/assets/associate", { body });
    const released = await s.call("/assets/disassociate", { body });
    expect((await s.waitEvent(released.body.eventId as string)).eventStatus).toBe("COMPLETE");
    expect((await s.call(`/status?eventId=${associated.body.eventId}`)).body.eventStatus).toBe("PENDING");
    await s.sim.operator.idle();
    expect(s.sim.operator.snapshot(s.uId).assets.find((a) => a.adamId === "1001")?.assignedCount).toBe(1);
  });

  it("faults per endpoint leave the other endpoints alone, and clearFaults removes them", async () => {
    const s = await sim();
    s.sim.operator.setFaults({ rate429: 1 }, "/assignments");
    expect((await s.call("/assignments")).status).toBe(429);
    expect((await s.call("/assets")).status).toBe(200);
    s.sim.operator.clearFaults();
    expect((await s.call("/assignments")).status).toBe(200);
  });

  it("9729, 9644: maintenance answers 503 / 9729 at once (9644 is documented as asynchronous only), and events completing meanwhile fail with 9644", async () => {
    const s = await sim({ eventDelayMs: 30 });
    s.sim.operator.addAsset(s.uId, { adamId: "1", totalCount: 5 });
    s.sim.operator.setFaults({ maintenance: true }, "/assets");
    const sync = await s.call("/assets");
    expect(sync.status).toBe(503);
    expect(sync.body.errorNumber).toBe(9729);
    const reply = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1" }], serialNumbers: ["a"] },
    });
    expect(reply.status).toBe(200);
    s.sim.operator.setFaults({ maintenance: true }, "/assets/associate");
    await s.sim.operator.idle();
    s.sim.operator.clearFaults();
    const status = await s.waitEvent(reply.body.eventId as string);
    expect(status).toMatchObject({
      eventStatus: "FAILED",
      numCompleted: 0,
      failures: [{ errorNumber: 9644 }],
    });
    expect(s.sim.operator.snapshot(s.uId).assets[0]?.assignedCount).toBe(0);
  });

  it("added latency delays the answer", async () => {
    const s = await sim();
    s.sim.operator.setFaults({ latencyMs: 80 });
    const start = performance.now();
    await s.call("/assets");
    expect(performance.now() - start).toBeGreaterThanOrEqual(75);
  });

  it("dropped notifications are never delivered, while the event still completes", async () => {
    const s = await sim();
    const receiver = await withReceiver(s);
    s.sim.operator.setFaults({ dropNotifications: 1 });
    s.sim.operator.addAsset(s.uId, { adamId: "1", totalCount: 5 });
    const reply = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1" }], serialNumbers: ["a"] },
    });
    expect((await s.waitEvent(reply.body.eventId as string)).eventStatus).toBe("COMPLETE");
    await s.sim.operator.idle();
    expect(receiver.received.map((n) => n.body.notificationType)).toEqual(["TEST_NOTIFICATION"]);
    await receiver.close();
  });

  it("duplicated notifications arrive twice with the same notificationId (clients must dedupe)", async () => {
    const s = await sim();
    const receiver = await withReceiver(s);
    s.sim.operator.setFaults({ duplicateNotifications: 1 });
    s.sim.operator.buy(s.uId, "7", 1);
    await s.sim.operator.idle();
    const counts = receiver.ofType("ASSET_COUNT");
    expect(counts).toHaveLength(2);
    expect(counts[0]?.body).toEqual(counts[1]?.body);
    await receiver.close();
  });

  it("notification jitter delivers notifications out of the order they were sent", async () => {
    const s = await sim({ seed: 7 });
    const receiver = await withReceiver(s);
    s.sim.operator.setFaults({ notificationJitterMs: 200 });
    for (let i = 1; i <= 10; i++) s.sim.operator.buy(s.uId, "7", i);
    await s.sim.operator.idle();
    const deltas = receiver
      .ofType("ASSET_COUNT")
      .map((n) => (n.body.notification as { countDelta: number }).countDelta);
    expect([...deltas].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(deltas).not.toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await receiver.close();
  });

  it("9646: more than maxRequestPerSecond requests of one token in a second get 429 with Retry-After", async () => {
    const s = await sim({ enforceRateLimit: true, limits: { maxRequestPerSecond: 5 } });
    const replies = await Promise.all(Array.from({ length: 8 }, () => s.call("/assets")));
    const limited = replies.filter((r) => r.status === 429);
    expect(limited).toHaveLength(3);
    expect(limited[0]?.body.errorNumber).toBe(9646);
    expect(Number(limited[0]?.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    const other = s.sim.operator.createLocation({ orgName: "other" });
    expect((await s.call("/assets", { token: other.sToken })).status).toBe(200);
  });

  it("stats count calls per endpoint, including refused ones", async () => {
    const s = await sim();
    await s.call("/assets");
    await s.call("/assets", { token: null });
    await s.call("/assets/associate", { body: {} });
    expect(s.sim.operator.stats().requests).toMatchObject({ "/assets": 2, "/assets/associate": 1 });
  });
});
