/**
 * Notifications POSTed with `Authorization: Bearer <notificationAuthToken>` in Apple's
 * shapes (test/fixtures/apple/notification.*.json), split at 100 elements, up to 3
 * delivery attempts, only subscribed types.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fixture, type Json, type Receiver, type Sim, shapeOf, startSim, withReceiver } from "./helpers.js";

let s: Sim;
let receiver: Receiver;
beforeEach(async () => {
  s = await startSim();
  receiver = await withReceiver(s);
});
afterEach(async () => {
  await s.close();
  await receiver.close();
});

const body = (n: { body: Json }) => n.body.notification as Json;
const ofEvent = (eventId: unknown) => (n: { body: Json }) => body(n).eventId === eventId;

describe("notifications", () => {
  it("ASSET_COUNT on buy and refund, shaped like notification.asset-count.json", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "408709785", totalCount: 25 });
    s.sim.operator.buy(s.uId, "408709785", 10);
    s.sim.operator.refund(s.uId, "408709785", 12);
    await s.sim.operator.idle();
    const counts = receiver.ofType("ASSET_COUNT");
    expect(counts.map((n) => body(n).countDelta)).toEqual([25, 10, -12]);
    expect(shapeOf(counts[2]?.body)).toEqual(shapeOf(fixture("notification.asset-count.json")));
    expect(counts.every((n) => n.headers.authorization === "Bearer SUp3rS3Cr3t")).toBe(true);
    expect(s.sim.operator.snapshot(s.uId).assets[0]).toMatchObject({
      totalCount: 23,
      retiredCount: 12,
      availableCount: 23,
    });
  });

  it("ASSET_MANAGEMENT SUCCESS on associate, and FAILURE with error 9709 for what did not fit", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "1234", totalCount: 1 });
    const created = await s.call("/users/create", { body: { users: [{ clientUserId: "user1" }] } });
    await s.waitEvent(created.body.eventId as string);
    const reply = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1234" }], serialNumbers: ["device0", "device1"], clientUserIds: ["user1"] },
    });
    const eventId = reply.body.eventId;
    const success = await receiver.next((n) => ofEvent(eventId)(n) && body(n).result === "SUCCESS");
    const failure = await receiver.next((n) => ofEvent(eventId)(n) && body(n).result === "FAILURE");
    expect(shapeOf(success.body)).toEqual(shapeOf(fixture("notification.asset-management.associate.json")));
    expect(shapeOf(failure.body)).toEqual(
      shapeOf(fixture("notification.asset-management.failure.handling-errors.json")),
    );
    expect(body(failure)).toMatchObject({
      type: "ASSOCIATE",
      error: { errorNumber: 9709 },
      assignments: [
        { adamId: "1234", pricingParam: "STDQ", serialNumber: "device1" },
        { adamId: "1234", pricingParam: "STDQ", clientUserId: "user1" },
      ],
    });
  });

  it("ASSET_MANAGEMENT DISASSOCIATE and REVOKE", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "1", totalCount: 5 });
    const a = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1" }], serialNumbers: ["d1", "d2"] },
    });
    await s.waitEvent(a.body.eventId as string);
    const d = await s.call("/assets/disassociate", {
      body: { assets: [{ adamId: "1" }], serialNumbers: ["d1"] },
    });
    const r = await s.call("/assets/revoke", { body: { serialNumbers: ["d2"] } });
    const dis = await receiver.next(ofEvent(d.body.eventId));
    const rev = await receiver.next(ofEvent(r.body.eventId));
    expect(body(dis)).toMatchObject({
      type: "DISASSOCIATE",
      result: "SUCCESS",
      assignments: [{ serialNumber: "d1" }],
    });
    expect(body(rev)).toMatchObject({
      type: "REVOKE",
      result: "SUCCESS",
      assignments: [{ adamId: "1", serialNumber: "d2" }],
    });
    expect(shapeOf(dis.body)).toEqual(shapeOf(fixture("notification.asset-management.associate.json")));
  });

  it("splits at 100 elements: 150 devices make two notifications of 100 and 50", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "1", totalCount: 200 });
    const serialNumbers = Array.from({ length: 150 }, (_, i) => `S${i}`);
    const reply = await s.call("/assets/associate", { body: { assets: [{ adamId: "1" }], serialNumbers } });
    await s.waitEvent(reply.body.eventId as string);
    await s.sim.operator.idle();
    const parts = receiver.received.filter(ofEvent(reply.body.eventId));
    expect(parts.map((n) => (body(n).assignments as Json[]).length).sort()).toEqual([100, 50].sort());
    expect(new Set(parts.map((n) => n.body.notificationId)).size).toBe(2);
  });

  it("USER_MANAGEMENT on create / update / retire, and USER_ASSOCIATED when an invitation is accepted", async () => {
    const c = await s.call("/users/create", {
      body: { users: [{ clientUserId: "client-100", email: "client-100@apple.com" }] },
    });
    const create = await receiver.next(ofEvent(c.body.eventId));
    expect(shapeOf(create.body)).toEqual(shapeOf(fixture("notification.user-management.create.json")));
    const u = await s.call("/users/update", {
      body: { users: [{ clientUserId: "client-100", email: "new@apple.com" }] },
    });
    expect(body(await receiver.next(ofEvent(u.body.eventId)))).toMatchObject({
      type: "UPDATE",
      users: [{ email: "new@apple.com" }],
    });
    s.sim.operator.acceptInvitation(s.uId, "client-100");
    const associated = await receiver.next((n) => n.body.notificationType === "USER_ASSOCIATED");
    expect(shapeOf(associated.body)).toEqual(shapeOf(fixture("notification.user-associated.json")));
    const r = await s.call("/users/retire", { body: { users: [{ clientUserId: "client-100" }] } });
    expect(body(await receiver.next(ofEvent(r.body.eventId)))).toMatchObject({
      type: "RETIRE",
      users: [{ status: "Retired" }],
    });
  });

  it("makes up to 3 delivery attempts, then gives up", async () => {
    let failuresLeft = 2;
    receiver.status = () => (failuresLeft-- > 0 ? 503 : 200);
    const before = receiver.attempts;
    s.sim.operator.buy(s.uId, "7", 1);
    await receiver.next((n) => n.body.notificationType === "ASSET_COUNT");
    expect(receiver.attempts - before).toBe(3);

    receiver.status = () => 500;
    const start = receiver.attempts;
    s.sim.operator.buy(s.uId, "7", 1);
    await s.sim.operator.idle();
    expect(receiver.attempts - start).toBe(3);
  });

  it("sends only the subscribed types", async () => {
    await s.call("/client/config", { body: { notificationTypes: ["USER_MANAGEMENT"] } });
    s.sim.operator.buy(s.uId, "7", 1);
    const c = await s.call("/users/create", { body: { users: [{ clientUserId: "x" }] } });
    await receiver.next(ofEvent(c.body.eventId));
    await s.sim.operator.idle();
    expect(receiver.ofType("ASSET_COUNT")).toHaveLength(0);
  });
});
