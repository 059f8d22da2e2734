/**
 * Contract suite, part 2: users (create, update, retire, invitations, USER_MANAGEMENT and
 * USER_ASSOCIATED notifications, sinceVersionId) against the simulator.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventOutcomes } from "../../src/apple/index.js";
import { client, drain, receiver, rejection, type Simulator, simulator } from "./contract-helpers.js";

let sim: Simulator;
let inbox: Awaited<ReturnType<typeof receiver>>;
let uId: string;
let apple: ReturnType<typeof client>["client"];

beforeAll(async () => {
  sim = await simulator({ pageSize: 50 });
  inbox = await receiver();
  const location = sim.operator.createLocation({ orgName: "Users" });
  uId = location.uId;
  ({ client: apple } = client(sim, location.sToken));
  await apple.setClientConfig({
    notificationUrl: inbox.url,
    notificationAuthToken: "users-secret",
    notificationTypes: ["USER_MANAGEMENT", "USER_ASSOCIATED", "ASSET_MANAGEMENT"],
  });
});
afterAll(async () => {
  await sim.close();
  await inbox.close();
});

describe("users", () => {
  it("create: Registered with inviteCode, or Associated with idHash when managedAppleId is given", async () => {
    const event = await apple.createUsers([
      { clientUserId: "u-1", email: "u-1@example.com" },
      { clientUserId: "u-2", email: "u-2@example.com" },
      { clientUserId: "u-3", managedAppleId: "u-3@corp.example.com" },
    ]);
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    expect(status).toMatchObject({
      eventStatus: "COMPLETE",
      eventType: "CREATE",
      numCompleted: 3,
      numRequested: 3,
    });
    const users = await drain(apple.users());
    const byId = new Map(users.map((u) => [u.clientUserId, u]));
    expect(byId.get("u-1")).toMatchObject({ status: "Registered", email: "u-1@example.com" });
    expect(byId.get("u-1")?.inviteCode).toEqual(expect.any(String));
    expect(byId.get("u-3")).toMatchObject({ status: "Associated" });
    expect(byId.get("u-3")?.idHash).toEqual(expect.any(String));
    const note = await inbox.next(
      (n) => n.notificationType === "USER_MANAGEMENT" && n.notification.eventId === event.eventId,
    );
    expect(note.headers.authorization).toBe("Bearer users-secret");
  });

  it("an invitation accepted: USER_ASSOCIATED and the user becomes Associated", async () => {
    sim.operator.acceptInvitation(uId, "u-1");
    const note = await inbox.next((n) => n.notificationType === "USER_ASSOCIATED" && n.uId === uId);
    expect(
      note.body.notificationType === "USER_ASSOCIATED" && note.body.notification.associatedUsers[0],
    ).toMatchObject({ clientUserId: "u-1", status: "Associated" });
    expect((await drain(apple.users({ clientUserId: "u-1" })))[0]).toMatchObject({ status: "Associated" });
  });

  it("update and retire; activeOnly / retiredOnly; users pages stream; sinceVersionId", async () => {
    const firstWalk = [];
    for await (const page of apple.users()) firstWalk.push(page);
    const checkpoint = firstWalk.at(-1)?.checkpointVersionId ?? "";
    const update = await apple.updateUsers([{ clientUserId: "u-2", email: "u-2-new@example.com" }]);
    expect((await apple.waitForEvent(update.eventId, { pollIntervalMs: 10 })).eventType).toBe("UPDATE");
    const retire = await apple.retireUsers([{ clientUserId: "u-2" }]);
    expect((await apple.waitForEvent(retire.eventId, { pollIntervalMs: 10 })).eventType).toBe("RETIRE");

    const retired = await drain(apple.users({ retiredOnly: true }));
    expect(retired.map((u) => [u.clientUserId, u.status])).toEqual([["u-2", "Retired"]]);
    const active = await drain(apple.users({ activeOnly: true }));
    expect(active.map((u) => u.clientUserId).sort()).toEqual(["u-1", "u-3"]);
    const changed = await drain(apple.users({ sinceVersionId: checkpoint }));
    expect(changed.map((u) => u.clientUserId)).toEqual(["u-2"]);
    expect(await rejection(drain(apple.users({ activeOnly: true, retiredOnly: true })))).toMatchObject({
      errorNumber: 9602,
    });
  });

  it("createUsersBatched pages 250 users in ceil(250/100) calls and the list streams page by page", async () => {
    const users = Array.from({ length: 250 }, (_, i) => ({
      clientUserId: `bulk-${i}`,
      email: `bulk-${i}@example.com`,
    }));
    const events = await apple.createUsersBatched(users);
    expect(events).toHaveLength(3);
    for (const e of events) await apple.waitForEvent(e.eventId, { pollIntervalMs: 10 });
    let pages = 0;
    let count = 0;
    for await (const page of apple.users({ activeOnly: true })) {
      pages++;
      count += page.items.length;
    }
    expect(count).toBe(252);
    expect(pages).toBe(Math.ceil(252 / 50));
  });

  it("async 9716 (clientUserId already registered) and 9609 (update of an unknown user)", async () => {
    const again = await apple.createUsers([{ clientUserId: "u-3", email: "u-3@example.com" }]);
    const status = await apple.waitForEvent(again.eventId, { pollIntervalMs: 10 });
    expect(eventOutcomes(status, { clientUserIds: ["u-3"] }).failed).toEqual([
      expect.objectContaining({ errorNumber: 9716, subject: { clientUserId: "u-3" } }),
    ]);
    const failure = await inbox.next(
      (n) => n.notificationType === "USER_MANAGEMENT" && n.notification.eventId === again.eventId,
    );
    expect(failure.body.notificationType === "USER_MANAGEMENT" && failure.body.notification).toMatchObject({
      result: "FAILURE",
      error: { errorNumber: 9716 },
    });
    const unknown = await apple.updateUsers([{ clientUserId: "ghost", email: "ghost@example.com" }]);
    const failed = await apple.waitForEvent(unknown.eventId, { pollIntervalMs: 10 });
    expect(failed.eventStatus).toBe("FAILED");
    expect(eventOutcomes(failed).failed[0]).toMatchObject({
      errorNumber: 9609,
      subject: { clientUserId: "ghost" },
    });
  });

  it("synchronous user errors: 9714, 9715, 9717, 9720", async () => {
    const many = Array.from({ length: 101 }, (_, i) => ({ clientUserId: `m-${i}` }));
    const cases: Array<[number, () => Promise<unknown>]> = [
      [9714, () => apple.createUsers(many)],
      [9715, () => apple.createUsers([{ clientUserId: "d" }, { clientUserId: "d" }])],
      [9717, () => apple.createUsers([{ clientUserId: "e", email: "not-an-email" }])],
      [9720, () => apple.createUsers([])],
    ];
    for (const [errorNumber, call] of cases) {
      expect(await rejection(call()), String(errorNumber)).toMatchObject({
        errorNumber,
        kind: "invalid_request",
      });
    }
  });

  it("associating to users: the cross product of assets x users", async () => {
    sim.operator.addAsset(uId, { adamId: "700000001", totalCount: 10 });
    sim.operator.addAsset(uId, { adamId: "700000002", totalCount: 10 });
    const event = await apple.associate({
      assets: [{ adamId: "700000001" }, { adamId: "700000002" }],
      clientUserIds: ["u-1", "u-3"],
    });
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    expect(status).toMatchObject({ eventStatus: "COMPLETE", numRequested: 4, numCompleted: 4 });
    const assigned = await drain(apple.assignments({ clientUserId: "u-1" }));
    expect(assigned.map((a) => a.adamId).sort()).toEqual(["700000001", "700000002"]);
  });
});

describe("notifications received", () => {
  it("every notification the simulator sent matches Apple's notification schemas", async () => {
    await sim.operator.idle();
    expect(inbox.malformed).toEqual([]);
    expect(inbox.received.length).toBeGreaterThan(0);
  });
});
