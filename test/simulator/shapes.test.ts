/**
 * Every endpoint answers in the shape of Apple's documented example (test/fixtures/apple):
 * the same keys with the same JSON types.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixture, type Json, type Sim, shapeOf, startSim, withReceiver } from "./helpers.js";

let s: Sim;
beforeAll(async () => {
  s = await startSim({ pageSize: 2 });
  s.sim.operator.addAsset(s.uId, { adamId: "408709785", totalCount: 25 });
  s.sim.operator.addAsset(s.uId, { adamId: "361309726", totalCount: 25 });
});
afterAll(() => s.close());

async function event(path: string, body: unknown): Promise<Json> {
  const reply = await s.call(path, { body });
  expect(reply.status).toBe(200);
  return reply.body;
}

describe("response shapes match Apple's fixtures", () => {
  it("GET /service/config has errorCodes, limits, notificationTypes and urls like Apple's example", async () => {
    const { body, status } = await s.call("/service/config", { token: null });
    const apple = fixture("service-config.response.json");
    expect(status).toBe(200);
    expect(shapeOf(body)).toEqual(shapeOf(apple));
    expect(body.limits).toEqual(apple.limits);
    expect(Object.keys(body.urls as Json).sort()).toEqual(Object.keys(apple.urls as Json).sort());
    expect((body.urls as Json).getAssets).toBe(`${s.sim.url}/assets`);
    expect(body.notificationTypes).toEqual(apple.notificationTypes);
    expect(body.errorCodes).toEqual(apple.errorCodes);
  });

  it("GET and POST /client/config answer like client-config.response(.get).json", async () => {
    const receiver = await withReceiver(s);
    const get = await s.call("/client/config");
    expect(shapeOf(get.body)).toEqual(shapeOf(fixture("client-config.response.get.json")));
    const post = await s.call("/client/config", { body: fixture("client-config.request.json") });
    // The fixture's https URL is unreachable from here: 9728, in Apple's error shape.
    expect(post.body.errorNumber).toBe(9728);
    const again = await s.call("/client/config", {
      body: { mdmInfo: { id: "x", name: "y", metadata: "z" } },
    });
    expect(shapeOf(again.body)).toEqual(shapeOf(fixture("client-config.response.json")));
    await receiver.close();
  });

  it("GET /assets pages like assets.response.tutorial.json", async () => {
    const { body } = await s.call("/assets?adamId=361309726");
    expect(shapeOf(body)).toEqual(shapeOf(fixture("assets.response.tutorial.json")));
    expect((body.assets as Json[])[0]).toMatchObject({
      adamId: "361309726",
      availableCount: 25,
      totalCount: 25,
    });
  });

  it("POST associate/disassociate/revoke and users create/update/retire answer EventResponses", async () => {
    const eventShape = shapeOf(fixture("assets-associate.response.managing-assets.json"));
    await event("/users/create", fixture("users-create.request.managing-users.json"));
    await s.sim.operator.idle();
    const bodies = [
      await event("/assets/associate", fixture("assets-associate.request.json")),
      await event("/assets/disassociate", fixture("assets-disassociate.request.json")),
      await event("/assets/revoke", fixture("assets-revoke.request.json")),
      await event("/users/create", fixture("users-create.request.json")),
      await event("/users/update", fixture("users-update.request.managing-users.json")),
      await event("/users/retire", fixture("users-retire.request.json")),
    ];
    for (const body of bodies) expect(shapeOf(body)).toEqual(eventShape);
    await s.sim.operator.idle();
  });

  it("GET /status answers like the PENDING, COMPLETE and FAILED examples", async () => {
    const slow = await startSim({ eventDelayMs: 60_000 });
    slow.sim.operator.addAsset(slow.uId, { adamId: "408709785", totalCount: 1 });
    const pending = await slow.call("/assets/associate", {
      body: { assets: [{ adamId: "408709785" }], serialNumbers: ["s1"] },
    });
    const pendingStatus = await slow.call(`/status?eventId=${pending.body.eventId}`);
    expect(shapeOf(pendingStatus.body)).toEqual(shapeOf(fixture("status.response.pending.json")));
    await slow.close();

    const ok = await event("/assets/associate", { assets: [{ adamId: "408709785" }], serialNumbers: ["s1"] });
    expect(shapeOf(await s.waitEvent(ok.eventId as string))).toEqual(
      shapeOf(fixture("status.response.complete.json")),
    );
    const failed = await event("/assets/associate", {
      assets: [{ adamId: "408709785" }],
      clientUserIds: ["nobody"],
    });
    const failedStatus = await s.waitEvent(failed.eventId as string);
    expect(shapeOf(failedStatus)).toEqual(shapeOf(fixture("status.response.failed.json")));
    expect(failedStatus).toMatchObject({ eventStatus: "FAILED", failures: [{ errorNumber: 9609 }] });
  });

  it("GET /assignments pages like the paginated examples, with nextPageIndex only before the last page", async () => {
    await event("/users/create", { users: [{ clientUserId: "client-1", email: "client-1@apple.com" }] });
    await s.sim.operator.idle();
    await event("/assets/associate", {
      assets: [{ adamId: "408709785" }],
      clientUserIds: ["client-1"],
      serialNumbers: ["serial-2", "serial-3"],
    });
    await s.sim.operator.idle();
    const first = await s.call("/assignments");
    expect(shapeOf(first.body)).toEqual(shapeOf(fixture("assignments.response.page-first.paginated.json")));
    const last = await s.call(`/assignments?pageIndex=${(first.body.totalPages as number) - 1}`);
    expect(shapeOf(last.body)).toEqual(shapeOf(fixture("assignments.response.page-last.paginated.json")));
    const user = await s.call("/assignments?clientUserId=client-1");
    expect(shapeOf(user.body)).toEqual(shapeOf(fixture("assignments.response.tutorial.json")));
    const items = (await s.call("/assignments?serialNumber=serial-2")).body.assignments as Json[];
    expect(shapeOf(items[0])).toEqual(
      shapeOf((fixture("assignments.response.json").assignments as Json[])[1]),
    );
  });

  it("GET /users answers like users.response.json (Registered with inviteCode) and the tutorial (Associated with idHash)", async () => {
    const registered = await s.call("/users?clientUserId=client-1");
    expect(shapeOf(registered.body)).toEqual(shapeOf(fixture("users.response.json")));
    await event("/users/create", fixture("users-create.request.tutorial.json"));
    await s.sim.operator.idle();
    const associated = await s.call("/users?clientUserId=user-1");
    expect(shapeOf(associated.body)).toEqual(shapeOf(fixture("users.response.tutorial.json")));
  });

  it("every authenticated response carries uId and tokenExpirationDate in Apple's date format", async () => {
    for (const path of ["/client/config", "/assets", "/assignments", "/users"]) {
      const { body } = await s.call(path);
      expect(body.uId).toBe(s.uId);
      expect(body.tokenExpirationDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    }
  });
});
