/**
 * Users: create / update / retire (9714, 9715, 9717, 9720 synchronous; 9716, 9609
 * asynchronous), statuses Registered / Associated / Retired, invitations.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
beforeEach(async () => {
  s = await startSim({ limits: { maxUsers: 3 } });
});
afterEach(() => s.close());

async function run(path: string, users: unknown[]): Promise<Json> {
  const reply = await s.call(path, { body: { users } });
  expect(reply.status).toBe(200);
  return s.waitEvent(reply.body.eventId as string);
}
const userList = async (query = "") => (await s.call(`/users${query}`)).body.users as Json[];

describe("users", () => {
  it("9720: users missing or empty; 9714: over maxUsers; 9715: duplicates; 9717: bad email", async () => {
    const cases: Array<[unknown, number]> = [
      [{}, 9720],
      [{ users: [] }, 9720],
      [{ users: [1, 2, 3, 4].map((i) => ({ clientUserId: `c${i}` })) }, 9714],
      [{ users: [{ clientUserId: "a" }, { clientUserId: "a" }] }, 9715],
      [{ users: [{ clientUserId: "a", email: "not-an-email" }] }, 9717],
      [{ users: [{ email: "a@b.co" }] }, 9602],
    ];
    for (const [body, errorNumber] of cases) {
      for (const path of ["/users/create", "/users/update"]) {
        const reply = await s.call(path, { body });
        expect(reply.status, `${path} ${JSON.stringify(body)}`).toBe(400);
        expect(reply.body.errorNumber, `${path} ${JSON.stringify(body)}`).toBe(errorNumber);
      }
    }
  });

  it("create gives Registered with an inviteCode, or Associated with an idHash for a managedAppleId", async () => {
    const status = await run("/users/create", [
      { clientUserId: "client-100", email: "client-100@next.com" },
      { clientUserId: "user-1", managedAppleId: "jappleseed@appleschool.example.com" },
    ]);
    expect(status).toMatchObject({
      eventStatus: "COMPLETE",
      eventType: "CREATE",
      numCompleted: 2,
      numRequested: 2,
    });
    const [registered, associated] = await userList();
    expect(registered).toMatchObject({
      clientUserId: "client-100",
      status: "Registered",
      inviteCode: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(associated).toEqual({ clientUserId: "user-1", status: "Associated", idHash: expect.any(String) });
  });

  it("9716: creating a clientUserId that is already registered fails asynchronously", async () => {
    await run("/users/create", [{ clientUserId: "a" }]);
    const status = await run("/users/create", [{ clientUserId: "a" }, { clientUserId: "b" }]);
    expect(status).toMatchObject({
      eventStatus: "FAILED",
      numCompleted: 1,
      failures: [{ errorNumber: 9716, errorInfo: { clientUserIds: ["a"] } }],
    });
  });

  it("update changes the email; 9609 for a user that does not exist", async () => {
    await run("/users/create", [{ clientUserId: "a", email: "a@x.com" }]);
    const status = await run("/users/update", [
      { clientUserId: "a", email: "a@y.com" },
      { clientUserId: "ghost", email: "g@y.com" },
    ]);
    expect(status).toMatchObject({
      eventStatus: "FAILED",
      eventType: "UPDATE",
      numCompleted: 1,
      failures: [{ errorNumber: 9609 }],
    });
    expect((await userList("?clientUserId=a"))[0]?.email).toBe("a@y.com");
  });

  it("retire makes the user Retired and releases its revocable licenses; re-creating adds a new record", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "1", totalCount: 2 });
    await run("/users/create", [{ clientUserId: "a", email: "a@x.com" }]);
    const assoc = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1" }], clientUserIds: ["a"] },
    });
    await s.waitEvent(assoc.body.eventId as string);
    expect(s.sim.operator.snapshot(s.uId).assets[0]?.assignedCount).toBe(1);
    const status = await run("/users/retire", [{ clientUserId: "a" }]);
    expect(status).toMatchObject({ eventStatus: "COMPLETE", eventType: "RETIRE" });
    expect(s.sim.operator.snapshot(s.uId).assets[0]?.assignedCount).toBe(0);
    expect(await userList()).toEqual([{ clientUserId: "a", email: "a@x.com", status: "Retired" }]);
    await run("/users/create", [{ clientUserId: "a", email: "a@x.com" }]);
    expect((await userList()).map((u) => u.status)).toEqual(["Retired", "Registered"]);
    expect((await userList("?activeOnly=true")).map((u) => u.status)).toEqual(["Registered"]);
    expect((await userList("?retiredOnly=true")).map((u) => u.status)).toEqual(["Retired"]);
    expect((await s.call("/users?activeOnly=true&retiredOnly=true")).body.errorNumber).toBe(9602);
    const again = await run("/users/retire", [{ clientUserId: "ghost" }]);
    expect(again).toMatchObject({ eventStatus: "FAILED", failures: [{ errorNumber: 9609 }] });
  });

  it("accepting an invitation makes a Registered user Associated (operator and invitation link)", async () => {
    await run("/users/create", [
      { clientUserId: "a", email: "a@x.com" },
      { clientUserId: "b", email: "b@x.com" },
    ]);
    s.sim.operator.acceptInvitation(s.uId, "a");
    const [a, b] = await userList();
    expect(a).toMatchObject({ status: "Associated", idHash: expect.any(String) });
    const config = (await s.call("/service/config")).body.urls as Json;
    const link = String(config.invitationEmail).replace("%25inviteCode%25", String(b?.inviteCode));
    expect((await fetch(link)).status).toBe(200);
    expect((await userList())[1]).toMatchObject({ clientUserId: "b", status: "Associated" });
    expect(() => s.sim.operator.acceptInvitation(s.uId, "a")).toThrow();
  });
});
