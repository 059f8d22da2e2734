/**
 * Paging (pageIndex / currentPageIndex / nextPageIndex / totalPages / size, 9650),
 * sinceVersionId deltas (9721), versionId moving on every change, and read filters.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
beforeEach(async () => {
  s = await startSim({ pageSize: 10, assetPageSize: 2 });
});
afterEach(() => s.close());

async function walk(path: string, key: string): Promise<{ items: Json[]; pages: Json[] }> {
  const items: Json[] = [];
  const pages: Json[] = [];
  let pageIndex: unknown = 0;
  const sep = path.includes("?") ? "&" : "?";
  while (pageIndex !== undefined) {
    const { body } = await s.call(`${path}${sep}pageIndex=${pageIndex}`);
    expect(body.currentPageIndex).toBe(pageIndex);
    items.push(...(body[key] as Json[]));
    pages.push(body);
    pageIndex = body.nextPageIndex;
  }
  return { items, pages };
}

describe("paging", () => {
  it("walks every assignment once across pages; nextPageIndex is absent on the last page", async () => {
    s.sim.operator.seed(s.uId, { apps: 3, licensesPerApp: 20, assignments: 45 });
    const { items, pages } = await walk("/assignments", "assignments");
    expect(items).toHaveLength(45);
    expect(new Set(items.map((a) => `${a.adamId}/${a.serialNumber}`)).size).toBe(45);
    expect(pages.map((p) => p.size)).toEqual([10, 10, 10, 10, 5]);
    expect(pages.every((p) => p.totalPages === 5)).toBe(true);
    expect(pages.at(-1)?.nextPageIndex).toBeUndefined();
  });

  it("9650: a page index out of range, negative or not a number", async () => {
    s.sim.operator.seed(s.uId, { apps: 1, licensesPerApp: 20, assignments: 15 });
    for (const pageIndex of ["2", "-1", "1.5", "x"]) {
      const reply = await s.call(`/assignments?pageIndex=${pageIndex}`);
      expect(reply.status, pageIndex).toBe(400);
      expect(reply.body.errorNumber, pageIndex).toBe(9650);
    }
    expect((await s.call("/users?pageIndex=1")).body.errorNumber).toBe(9650);
    expect((await s.call("/assets?pageIndex=1")).body.errorNumber).toBe(9650);
  });

  it("an empty result is one empty page", async () => {
    const { body } = await s.call("/assignments");
    expect(body).toMatchObject({ assignments: [], currentPageIndex: 0, size: 0, totalPages: 1 });
    expect(body.nextPageIndex).toBeUndefined();
  });

  it("pages users and assets (assets with their own page size)", async () => {
    s.sim.operator.seed(s.uId, { apps: 5, licensesPerApp: 1, users: 23 });
    expect((await walk("/users", "users")).items).toHaveLength(23);
    const assets = await walk("/assets", "assets");
    expect(assets.items).toHaveLength(5);
    expect(assets.pages).toHaveLength(3);
  });
});

describe("sinceVersionId", () => {
  it("versionId moves on every change and sinceVersionId returns only what changed since", async () => {
    s.sim.operator.seed(s.uId, { apps: 1, licensesPerApp: 100, assignments: 30 });
    const adamId = s.sim.operator.snapshot(s.uId).assets[0]?.adamId;
    const before = (await s.call("/assignments")).body.versionId as string;
    expect((await s.call("/assignments")).body.versionId).toBe(before);
    const reply = await s.call("/assets/associate", {
      body: { assets: [{ adamId }], serialNumbers: ["new-1", "new-2"] },
    });
    await s.waitEvent(reply.body.eventId as string);
    const after = (await s.call("/assignments")).body.versionId as string;
    expect(after).not.toBe(before);
    const delta = await s.call(`/assignments?sinceVersionId=${before}`);
    expect((delta.body.assignments as Json[]).map((a) => a.serialNumber)).toEqual(["new-1", "new-2"]);
    expect(delta.body.versionId).toBe(after);
    expect(((await s.call(`/assignments?sinceVersionId=${after}`)).body.assignments as Json[]).length).toBe(
      0,
    );
  });

  it("sinceVersionId on /users returns the users created or changed since", async () => {
    s.sim.operator.seed(s.uId, { apps: 0, licensesPerApp: 0, users: 5 });
    const version = (await s.call("/users")).body.versionId as string;
    const reply = await s.call("/users/create", { body: { users: [{ clientUserId: "late" }] } });
    await s.waitEvent(reply.body.eventId as string);
    const delta = await s.call(`/users?sinceVersionId=${version}`);
    expect((delta.body.users as Json[]).map((u) => u.clientUserId)).toEqual(["late"]);
  });

  it("a full walk checkpointed at its first page's versionId, then a delta, misses no assignment released mid-walk", async () => {
    // APPLE-API.md "Paging semantics": keep page 0's versionId, walk on, then read sinceVersionId.
    const paged = await startSim({ pageSize: 2 });
    paged.sim.operator.addAsset(paged.uId, { adamId: "1", totalCount: 10 });
    const body = (serialNumbers: string[]) => ({ assets: [{ adamId: "1" }], serialNumbers });
    const added = await paged.call("/assets/associate", { body: body(["A", "B", "C", "D"]) });
    await paged.waitEvent(added.body.eventId as string);
    const first = await paged.call("/assignments?pageIndex=0");
    const seen = new Set((first.body.assignments as Json[]).map((a) => a.serialNumber));
    const released = await paged.call("/assets/disassociate", { body: body(["A"]) });
    await paged.waitEvent(released.body.eventId as string);
    let pageIndex = first.body.nextPageIndex;
    while (pageIndex !== undefined) {
      const page = await paged.call(`/assignments?pageIndex=${pageIndex}`);
      for (const a of page.body.assignments as Json[]) seen.add(a.serialNumber);
      pageIndex = page.body.nextPageIndex;
    }
    const delta = await paged.call(`/assignments?sinceVersionId=${first.body.versionId}`);
    for (const a of delta.body.assignments as Json[]) seen.add(a.serialNumber);
    for (const a of paged.sim.operator.assignments(paged.uId)) expect(seen).toContain(a.serialNumber);
    await paged.close();
  });

  it("9721: a versionId this location never gave, or one from before a bulk seed", async () => {
    for (const bad of ["nope", "021f10a0-7035-11eb-9f67-bd1df52e1e13"]) {
      const reply = await s.call(`/assignments?sinceVersionId=${bad}`);
      expect(reply.status).toBe(400);
      expect(reply.body.errorNumber).toBe(9721);
      expect((await s.call(`/users?sinceVersionId=${bad}`)).body.errorNumber).toBe(9721);
    }
    const old = (await s.call("/assignments")).body.versionId as string;
    s.sim.operator.seed(s.uId, { apps: 1, licensesPerApp: 10, assignments: 5 });
    expect((await s.call(`/assignments?sinceVersionId=${old}`)).body.errorNumber).toBe(9721);
  });
});

describe("filters", () => {
  it("GET /assets filters by adamId, productType, pricingParam, deviceAssignable, revocable and counts", async () => {
    const op = s.sim.operator;
    op.addAsset(s.uId, { adamId: "1", totalCount: 5 });
    op.addAsset(s.uId, { adamId: "1", pricingParam: "PLUS", totalCount: 1 });
    op.addAsset(s.uId, { adamId: "2", productType: "Book", totalCount: 0 });
    const ids = async (q: string) =>
      ((await s.call(`/assets?${q}`)).body.assets as Json[]).map((a) => `${a.adamId}${a.pricingParam}`);
    expect(await ids("adamId=1")).toEqual(["1STDQ", "1PLUS"]);
    expect(await ids("productType=Book")).toEqual(["2STDQ"]);
    expect(await ids("pricingParam=PLUS")).toEqual(["1PLUS"]);
    expect(await ids("deviceAssignable=false")).toEqual(["2STDQ"]);
    expect(await ids("revocable=true&minAvailableCount=2")).toEqual(["1STDQ"]);
    expect(await ids("maxAvailableCount=1&adamId=1")).toEqual(["1PLUS"]);
    expect(await ids("minAssignedCount=1")).toEqual([]);
    expect((await s.call("/assets?deviceAssignable=maybe")).body.errorNumber).toBe(9602);
    expect((await s.call("/assets?productType=Movie")).body.errorNumber).toBe(9602);
    expect((await s.call("/assets?minAssignedCount=-1")).body.errorNumber).toBe(9602);
  });

  it("GET /assignments filters by adamId, serialNumber, clientUserId, and adds user state on request", async () => {
    const op = s.sim.operator;
    op.addAsset(s.uId, { adamId: "1", totalCount: 5 });
    op.addAsset(s.uId, { adamId: "2", totalCount: 5 });
    const created = await s.call("/users/create", {
      body: { users: [{ clientUserId: "u1", managedAppleId: "u1@x.com" }] },
    });
    await s.waitEvent(created.body.eventId as string);
    const reply = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "1" }, { adamId: "2" }], serialNumbers: ["s1"], clientUserIds: ["u1"] },
    });
    await s.waitEvent(reply.body.eventId as string);
    const list = async (q: string) => (await s.call(`/assignments?${q}`)).body.assignments as Json[];
    expect(await list("adamId=2")).toHaveLength(2);
    expect((await list("serialNumber=s1")).map((a) => a.adamId)).toEqual(["1", "2"]);
    expect(await list("clientUserId=u1&adamId=1")).toEqual([
      { adamId: "1", clientUserId: "u1", pricingParam: "STDQ" },
    ]);
    expect((await list("clientUserId=u1&adamId=1&includeUserState=true"))[0]).toMatchObject({
      userStatus: "Associated",
      idHash: expect.any(String),
    });
    expect(await list("serialNumber=unknown")).toEqual([]);
    expect(await list("pricingParam=PLUS")).toEqual([]);
  });

  it("GET /assignments includeUserState shows a retired user's kept book as userStatus Retired; excludeInactiveUsers hides it", async () => {
    s.sim.operator.addAsset(s.uId, { adamId: "7", productType: "Book", totalCount: 1 });
    const created = await s.call("/users/create", { body: { users: [{ clientUserId: "r1" }] } });
    await s.waitEvent(created.body.eventId as string);
    const assoc = await s.call("/assets/associate", {
      body: { assets: [{ adamId: "7" }], clientUserIds: ["r1"] },
    });
    await s.waitEvent(assoc.body.eventId as string);
    const retired = await s.call("/users/retire", { body: { users: [{ clientUserId: "r1" }] } });
    await s.waitEvent(retired.body.eventId as string);
    const list = async (q: string) => (await s.call(`/assignments?${q}`)).body.assignments as Json[];
    // Books are not revocable, so retiring keeps the assignment.
    expect(await list("clientUserId=r1&includeUserState=true")).toEqual([
      { adamId: "7", clientUserId: "r1", pricingParam: "STDQ", userStatus: "Retired" },
    ]);
    expect(await list("clientUserId=r1&excludeInactiveUsers=true")).toEqual([]);
  });
});
