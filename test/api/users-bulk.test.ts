import { expect, it } from "vitest";
import { adminPrincipal, issueApiToken } from "../../src/auth/auth.service.js";
import { findAdminForLogin } from "../../src/store/auth.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

interface BulkAnswer {
  created: number;
  existing: number;
  items: Array<{
    id: string;
    name: string;
    externalId?: string;
    clientUserId?: string;
    registration: string;
  }>;
}

/**
 * `POST users/bulk`: an MDM's directory sync in one call (as `devices/bulk`): all or none,
 * safe to send again with `existing=keep`, every clash named by its index.
 */
describeEachDatabase("users in bulk", (db) => {
  let f: Fixture;
  let s = "";
  const bulk = (users: object[], query = "") =>
    f.app.inject({
      method: "POST",
      url: `${s}/users/bulk${query}`,
      headers: auth(f.tokens.write),
      payload: { users },
    });
  const count = async () =>
    (await f.app.inject({ url: `${s}/users?pageSize=1`, headers: auth(f.tokens.read) })).json()
      .total as number;

  it("AC7, UB2: creates the list in order, each answered as GET users answers it; sent again with existing=keep, nothing is created twice", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const list = [
      { name: "Ann Bulk", externalId: `ann-${f.ids.suffix}`, email: "ann@example.com" },
      { name: "Ben Bulk", externalId: `ben-${f.ids.suffix}`, clientUserId: `ben-apple-${f.ids.suffix}` },
      { name: "Cid Bulk" },
    ];
    const first = await bulk(list);
    expect(first.statusCode, first.body).toBe(201);
    const made = first.json<BulkAnswer>();
    expect(made).toMatchObject({ created: 3, existing: 0 });
    expect(made.items.map((u) => u.name)).toEqual(["Ann Bulk", "Ben Bulk", "Cid Bulk"]);
    expect(made.items[1]).toMatchObject({
      clientUserId: `ben-apple-${f.ids.suffix}`,
      registration: "not_registered",
    });
    const one = await f.app.inject({ url: `${s}/users/${made.items[0]?.id}`, headers: auth(f.tokens.read) });
    expect(one.json()).toEqual(made.items[0]);

    // The same two with externalIds again, and a new one: the two answered as they are.
    const total = await count();
    const again = await bulk(
      [list[1] as object, { name: "Dee Bulk", externalId: `dee-${f.ids.suffix}` }, list[0] as object],
      "?existing=keep",
    );
    expect(again.statusCode, again.body).toBe(201);
    const kept = again.json<BulkAnswer>();
    expect(kept).toMatchObject({ created: 1, existing: 2 });
    expect(kept.items.map((u) => u.id)).toEqual([made.items[1]?.id, expect.any(String), made.items[0]?.id]);
    expect(await count()).toBe(total + 1);
  });

  it("a taken externalId or clientUserId is a 409 naming each index, a key given twice a 400 naming the second: nothing is created", async () => {
    const total = await count();
    const taken = await bulk([
      { name: "New One", externalId: `new-${f.ids.suffix}` },
      { name: "Ann Again", externalId: `ann-${f.ids.suffix}` },
      { name: "Ben's Apple id", clientUserId: `ben-apple-${f.ids.suffix}` },
    ]);
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.headers["content-type"]).toMatch(/problem\+json/);
    expect(taken.json()).toMatchObject({ code: "already_exists" });
    expect(taken.json().errors.map((e: { field: string }) => e.field)).toEqual([
      "body.users.1.externalId",
      "body.users.2.clientUserId",
    ]);
    // existing=keep answers Ann, but Ben's Apple id stays another user's.
    const stillTaken = await bulk(
      [{ name: "Ben's Apple id", clientUserId: `ben-apple-${f.ids.suffix}` }],
      "?existing=keep",
    );
    expect(stillTaken.statusCode).toBe(409);
    expect(stillTaken.json().errors[0].field).toBe("body.users.0.clientUserId");

    const twice = await bulk([
      { name: "Eve", externalId: `eve-${f.ids.suffix}` },
      { name: "Eve Again", externalId: `eve-${f.ids.suffix}` },
    ]);
    expect(twice.statusCode).toBe(400);
    expect(twice.json()).toMatchObject({
      code: "validation_failed",
      errors: [{ field: "body.users.1.externalId" }],
    });
    expect(await count()).toBe(total);
    // An empty list, or one past 5,000, is the schema's 400.
    expect((await bulk([])).statusCode).toBe(400);
  });

  it("PM1: an mdm token creates users in bulk and mirrors its directory's groups and their members", async () => {
    const writer = await findAdminForLogin(db().store.db, `writer-${f.ids.suffix}`);
    if (!writer) throw new Error("no writer");
    const creator = await adminPrincipal(db().store.db, writer, "token");
    const mdm = (
      await issueApiToken(db().store.db, creator, {
        name: "MDM",
        grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
        now: new Date(),
      })
    ).token;
    const send = (method: "POST" | "DELETE" | "GET", url: string, payload?: object) =>
      f.app.inject({ method, url: `${s}${url}`, headers: auth(mdm), ...(payload ? { payload } : {}) });
    const users = await send("POST", "/users/bulk", {
      users: [{ name: "Fay Sync", externalId: `fay-${f.ids.suffix}` }],
    });
    expect(users.statusCode, users.body).toBe(201);
    const fay = users.json<BulkAnswer>().items[0]?.id as string;
    const group = await send("POST", "/groups", { name: "Synced class" });
    expect(group.statusCode, group.body).toBe(201);
    const members = `/groups/${group.json().id}/members`;
    expect((await send("POST", members, { userIds: [fay] })).statusCode).toBe(204);
    expect((await send("GET", members)).json().items.map((u: { id: string }) => u.id)).toEqual([fay]);
    expect((await send("DELETE", members, { userIds: [fay] })).statusCode).toBe(204);
    expect((await send("DELETE", `/groups/${group.json().id}`)).statusCode).toBe(204);
  });
});
