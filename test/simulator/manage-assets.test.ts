/**
 * POST /assets/associate, /assets/disassociate, /assets/revoke: synchronous limits and
 * error numbers (9700-9707, 9718, 9719; a failure creates no event), then asynchronous
 * events PENDING -> COMPLETE / FAILED with per-subject failures (9709, 9609).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
const APP = "408709785";
const BOOK = "111111111";
beforeEach(async () => {
  s = await startSim({
    limits: {
      maxAssets: 3,
      maxClientUserIds: 4,
      maxSerialNumbers: 5,
      maxRevokeClientUserIds: 2,
      maxRevokeSerialNumbers: 2,
    },
  });
  s.sim.operator.addAsset(s.uId, { adamId: APP, totalCount: 10 });
  s.sim.operator.addAsset(s.uId, { adamId: BOOK, productType: "Book", totalCount: 10 });
});
afterEach(() => s.close());

const serials = (n: number, prefix = "SN") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const associate = (body: unknown) => s.call("/assets/associate", { body });
const disassociate = (body: unknown) => s.call("/assets/disassociate", { body });

async function done(reply: { body: Json }): Promise<Json> {
  expect(reply.body.eventId).toEqual(expect.any(String));
  return s.waitEvent(reply.body.eventId as string);
}

async function expectError(
  reply: Promise<{ status: number; body: Json }>,
  errorNumber: number,
): Promise<void> {
  const { status, body } = await reply;
  expect(body.errorNumber).toBe(errorNumber);
  expect(status).toBe(400);
  expect(body.errorMessage).toEqual(expect.any(String));
}

describe("synchronous validation (no event is created)", () => {
  it("9718: assets missing or empty", async () => {
    await expectError(associate({ serialNumbers: ["a"] }), 9718);
    await expectError(associate({ assets: [], serialNumbers: ["a"] }), 9718);
  });
  it("9719: neither clientUserIds nor serialNumbers (associate, disassociate, revoke)", async () => {
    await expectError(associate({ assets: [{ adamId: APP }] }), 9719);
    await expectError(disassociate({ assets: [{ adamId: APP }], serialNumbers: [] }), 9719);
    await expectError(s.call("/assets/revoke", { body: {} }), 9719);
  });
  it("9700: more assets than maxAssets", async () => {
    const assets = ["1", "2", "3", "4"].map((adamId) => ({ adamId }));
    await expectError(associate({ assets, serialNumbers: ["a"] }), 9700);
  });
  it("9700 counts unique assets: maxAssets entries plus a repeat is 9703 (POST /assets/associate)", async () => {
    const assets = ["1", "2", "3", "1"].map((adamId) => ({ adamId }));
    await expectError(associate({ assets, serialNumbers: ["a"] }), 9703);
  });
  it("9701 / 9702: more clientUserIds / serialNumbers than the limits", async () => {
    await expectError(associate({ assets: [{ adamId: APP }], clientUserIds: serials(5, "u") }), 9701);
    await expectError(associate({ assets: [{ adamId: APP }], serialNumbers: serials(6) }), 9702);
  });
  it("9701 / 9702 on revoke use maxRevokeClientUserIds / maxRevokeSerialNumbers", async () => {
    await expectError(s.call("/assets/revoke", { body: { clientUserIds: serials(3, "u") } }), 9701);
    await expectError(s.call("/assets/revoke", { body: { serialNumbers: serials(3) } }), 9702);
  });
  it("9703 / 9704 / 9705: duplicate assets, clientUserIds, serialNumbers", async () => {
    await expectError(
      associate({ assets: [{ adamId: APP }, { adamId: APP, pricingParam: "STDQ" }], serialNumbers: ["a"] }),
      9703,
    );
    await expectError(associate({ assets: [{ adamId: APP }], clientUserIds: ["u", "u"] }), 9704);
    await expectError(associate({ assets: [{ adamId: APP }], serialNumbers: ["a", "b", "a"] }), 9705);
    await expectError(s.call("/assets/revoke", { body: { serialNumbers: ["a", "a"] } }), 9705);
  });
  it("9707: a book (not device-assignable) with serialNumbers", async () => {
    const { body } = await associate({ assets: [{ adamId: BOOK }], serialNumbers: ["a"] });
    expect(body).toMatchObject({
      errorNumber: 9707,
      errorInfo: { assets: [{ adamId: BOOK, pricingParam: "STDQ" }] },
    });
  });
  it("9706: disassociating a non-revocable asset (a book)", async () => {
    await expectError(disassociate({ assets: [{ adamId: BOOK }], clientUserIds: ["u"] }), 9706);
  });
  it("9602: wrong types (asset without adamId, unknown pricingParam, numbers as serials)", async () => {
    await expectError(associate({ assets: [{}], serialNumbers: ["a"] }), 9602);
    await expectError(
      associate({ assets: [{ adamId: APP, pricingParam: "FREE" }], serialNumbers: ["a"] }),
      9602,
    );
    await expectError(associate({ assets: [{ adamId: APP }], serialNumbers: [1] }), 9602);
    await expectError(associate({ assets: "x", serialNumbers: ["a"] }), 9602);
  });
  it("a synchronous failure leaves the counts untouched", async () => {
    await associate({ assets: [{ adamId: APP }], serialNumbers: serials(6) });
    await s.sim.operator.idle();
    expect(s.sim.operator.snapshot(s.uId).assignmentCount).toBe(0);
  });
});

describe("asynchronous events", () => {
  it("associate answers an eventId at once, PENDING, then COMPLETE with numCompleted = numRequested = assets x subjects", async () => {
    const slow = await startSim({ eventDelayMs: 100 });
    slow.sim.operator.addAsset(slow.uId, { adamId: APP, totalCount: 10 });
    slow.sim.operator.addAsset(slow.uId, { adamId: "2", totalCount: 10 });
    const reply = await slow.call("/assets/associate", {
      body: { assets: [{ adamId: APP }, { adamId: "2" }], serialNumbers: ["a", "b"] },
    });
    const pending = await slow.call(`/status?eventId=${reply.body.eventId}`);
    expect(pending.body).toMatchObject({ eventStatus: "PENDING", eventType: "ASSOCIATE", numRequested: 4 });
    const status = await slow.waitEvent(reply.body.eventId as string);
    expect(status).toMatchObject({ eventStatus: "COMPLETE", numCompleted: 4, numRequested: 4 });
    expect(status.failures).toBeUndefined();
    await slow.close();
  });

  it("9709: licenses running out mid-batch fail the rest: FAILED with numCompleted < numRequested", async () => {
    const status = await done(await associate({ assets: [{ adamId: APP }], serialNumbers: serials(5) }));
    expect(status.eventStatus).toBe("COMPLETE");
    const more = await done(await associate({ assets: [{ adamId: APP }], serialNumbers: serials(5, "X") }));
    expect(more).toMatchObject({ eventStatus: "COMPLETE", numCompleted: 5 });
    const over = await done(await associate({ assets: [{ adamId: APP }], serialNumbers: ["Y1", "Y2"] }));
    expect(over).toMatchObject({
      eventStatus: "FAILED",
      numCompleted: 0,
      numRequested: 2,
      failures: [{ errorNumber: 9709, errorInfo: { serialNumbers: ["Y1", "Y2"] } }],
    });
    expect(s.sim.operator.snapshot(s.uId).assets[0]).toMatchObject({
      assignedCount: 10,
      availableCount: 0,
      totalCount: 10,
    });
  });

  it("9709: an asset the location does not own fails per subject", async () => {
    const status = await done(await associate({ assets: [{ adamId: "999" }], serialNumbers: ["a"] }));
    expect(status).toMatchObject({ eventStatus: "FAILED", failures: [{ errorNumber: 9709 }] });
  });

  it("9609: a clientUserId that is not a registered user fails, the others complete (partial FAILED)", async () => {
    await done(await s.call("/users/create", { body: { users: [{ clientUserId: "client-1" }] } }));
    const status = await done(
      await associate({
        assets: [{ adamId: APP }],
        clientUserIds: ["client-1", "client-4"],
        serialNumbers: ["a"],
      }),
    );
    expect(status).toMatchObject({
      eventStatus: "FAILED",
      numCompleted: 2,
      numRequested: 3,
      failures: [{ errorNumber: 9609, errorInfo: { clientUserIds: ["client-4"] } }],
    });
  });

  it("re-associating an existing assignment does not use a second license (idempotent)", async () => {
    await done(await associate({ assets: [{ adamId: APP }], serialNumbers: ["a"] }));
    const again = await done(await associate({ assets: [{ adamId: APP }], serialNumbers: ["a"] }));
    expect(again.eventStatus).toBe("COMPLETE");
    expect(s.sim.operator.snapshot(s.uId).assets[0]?.assignedCount).toBe(1);
  });

  it("disassociate returns the license; disassociating what is not assigned completes without change", async () => {
    await done(await associate({ assets: [{ adamId: APP }], serialNumbers: ["a", "b"] }));
    const status = await done(await disassociate({ assets: [{ adamId: APP }], serialNumbers: ["a", "zzz"] }));
    expect(status).toMatchObject({ eventStatus: "COMPLETE", eventType: "DISASSOCIATE", numCompleted: 2 });
    expect(s.sim.operator.snapshot(s.uId).assets[0]).toMatchObject({ assignedCount: 1, availableCount: 9 });
    expect([...s.sim.operator.assignments(s.uId)]).toEqual([
      { adamId: APP, pricingParam: "STDQ", serialNumber: "b" },
    ]);
  });

  it("revoke releases every revocable asset of the users and devices, keeping books", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "2", totalCount: 5 });
    await done(await s.call("/users/create", { body: { users: [{ clientUserId: "u1" }] } }));
    await done(
      await associate({
        assets: [{ adamId: APP }, { adamId: "2" }],
        serialNumbers: ["a"],
        clientUserIds: ["u1"],
      }),
    );
    await done(await associate({ assets: [{ adamId: BOOK }], clientUserIds: ["u1"] }));
    const status = await done(
      await s.call("/assets/revoke", { body: { serialNumbers: ["a"], clientUserIds: ["u1"] } }),
    );
    expect(status).toMatchObject({
      eventStatus: "COMPLETE",
      eventType: "REVOKE",
      numRequested: 2,
      numCompleted: 2,
    });
    expect([...s.sim.operator.assignments(s.uId)]).toEqual([
      { adamId: BOOK, clientUserId: "u1", pricingParam: "STDQ" },
    ]);
  });

  it("revoke of an unknown clientUserId fails with 9609", async () => {
    const status = await done(await s.call("/assets/revoke", { body: { clientUserIds: ["ghost"] } }));
    expect(status).toMatchObject({ eventStatus: "FAILED", failures: [{ errorNumber: 9609 }] });
  });

  it("9708: an unknown eventId, or another location's, is not found", async () => {
    expect((await s.call("/status?eventId=nope")).body.errorNumber).toBe(9708);
    expect((await s.call("/status")).body.errorNumber).toBe(9708);
    const reply = await associate({ assets: [{ adamId: APP }], serialNumbers: ["a"] });
    const other = s.sim.operator.createLocation({ orgName: "other" });
    const foreign = await s.call(`/status?eventId=${reply.body.eventId}`, { token: other.sToken });
    expect(foreign.status).toBe(400);
    expect(foreign.body.errorNumber).toBe(9708);
  });

  it("counts stay consistent (assigned + available = total, none negative) under concurrent associate/disassociate", async () => {
    const calls = [];
    for (let i = 0; i < 40; i++) {
      const body = { assets: [{ adamId: APP }], serialNumbers: serials(5, `C${i % 4}-`) };
      calls.push(i % 3 === 2 ? disassociate(body) : associate(body));
    }
    const replies = await Promise.all(calls);
    await Promise.all(replies.map((r) => done(r)));
    const asset = s.sim.operator.snapshot(s.uId).assets[0];
    expect(asset).toBeDefined();
    if (!asset) return;
    expect(asset.assignedCount + asset.availableCount).toBe(asset.totalCount);
    expect(asset.assignedCount).toBeGreaterThanOrEqual(0);
    expect(asset.availableCount).toBeGreaterThanOrEqual(0);
    expect(asset.assignedCount).toBe(
      [...s.sim.operator.assignments(s.uId)].filter((a) => a.adamId === APP).length,
    );
  });
});
