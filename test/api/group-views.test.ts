import { expect, it } from "vitest";
import {
  addGroupMembers,
  createUser,
  requestLicenses,
  setAppleStatus,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, userBasedForAll } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

interface UsedBy {
  total: number;
  rules: Array<{ accountId: string; accountName: string; adamId: string; appName?: string }>;
}
interface GroupView {
  id: string;
  name: string;
  members?: number;
  builtIn?: boolean;
  usedBy: UsedBy;
}

/**
 * What the console's Groups pages read beyond the groups themselves: the rules that use each
 * group, a rename, the groups of a user, and what a user waits for (the user page's card).
 */
describeEachDatabase("groups and users as the console's pages read them", (database) => {
  let f: Fixture;
  let s = "";
  const send = (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    payload?: object,
    token?: string,
  ) =>
    f.app.inject({
      method,
      url: `${s}${url}`,
      headers: auth(token ?? f.tokens.write),
      ...(payload ? { payload } : {}),
    });
  const list = async (q = "") => (await send("GET", `/groups?pageSize=100${q}`)).json().items as GroupView[];
  const app = async (adamId: string, name: string) => {
    const { db } = database().store;
    await upsertAsset(
      db,
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId,
        pricingParam: "STDQ",
        productType: "App",
        name,
        total: 5,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    await setCatalogApp(db, { spaceId: f.ids.spaceA, adamId, name }, NOW);
  };
  const enrolledUser = async (name: string) => {
    const { db } = database().store;
    const user = await createUser(db, {
      spaceId: f.ids.spaceA,
      name,
      appleClientUserId: `${name}-${f.ids.suffix}`,
    });
    await setAppleStatus(db, f.ids.spaceA, user.id, "Associated", NOW);
    return user;
  };

  it("DI1, DI7: the list and a group say which license rules use it (usedBy, by app name, with the account); a group no rule uses says none; All Users' rules are counted whole and named up to 20", async () => {
    f = await buildFixture(database().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const keynote = "409183694";
    await app(keynote, "Keynote");
    const put = (adamId: string, groupIds: string[]) =>
      send("PUT", `/accounts/${f.ids.accountA}/apps/${adamId}/rules`, { fcfs: { groupIds } });
    expect((await put(keynote, [f.ids.groupA])).statusCode).toBe(200);
    expect((await put(f.ids.adamId, ["all-users", f.ids.groupA])).statusCode).toBe(200);
    const staff = (await send("POST", "/groups", { name: "Staff" })).json();

    const teachersRules = [
      { accountId: f.ids.accountA, accountName: "Main", adamId: keynote, appName: "Keynote" },
      { accountId: f.ids.accountA, accountName: "Main", adamId: f.ids.adamId, appName: "Pages" },
    ];
    const listed = await list();
    expect(listed.find((g) => g.id === f.ids.groupA)).toMatchObject({
      name: "Teachers",
      members: 0,
      usedBy: { total: 2, rules: teachersRules },
    });
    expect(listed.find((g) => g.id === staff.id)?.usedBy).toEqual({ total: 0, rules: [] });
    const read = (await send("GET", `/groups/${f.ids.groupA}`)).json();
    expect(read).toMatchObject({ id: f.ids.groupA, usedBy: { total: 2, rules: teachersRules } });
    // Searching the list keeps each group's rules.
    expect((await list("&q=teach")).map((g) => [g.name, g.usedBy.total])).toEqual([["Teachers", 2]]);

    // AC1 puts All Users on every new app of the account: with Pages, 21 rules, the first 20 named, by app name.
    for (let i = 0; i < 20; i++) await app(String(500000000 + i), `App ${String(i).padStart(2, "0")}`);
    const allUsers = (await send("GET", "/groups/all-users")).json() as GroupView;
    expect(allUsers.usedBy.total).toBe(21);
    expect(allUsers.usedBy.rules).toHaveLength(20);
    expect(allUsers.usedBy.rules.slice(0, 2).map((r) => r.appName)).toEqual(["App 00", "App 01"]);
    expect((await list()).find((g) => g.id === "all-users")?.usedBy.rules).toEqual(allUsers.usedBy.rules);
    // The other groups of the page are unaffected by the cut of All Users.
    expect((await list()).find((g) => g.id === f.ids.groupA)?.usedBy.total).toBe(2);

    // Documented: the list's items and a group are GroupView, with usedBy.
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    expect(doc.components.schemas.GroupView.required).toContain("usedBy");
    expect(JSON.stringify(doc.paths["/api/v1/spaces/{spaceId}/groups"].get.responses["200"])).toContain(
      "GroupView",
    );
  });

  it("DI1: a group is renamed (PATCH, strict body, trimmed): the rules that use it read its new name, and deleting it then asks for the new name; All Users cannot be renamed (409 built_in_group); bad names are 400s; another space's group is a 404", async () => {
    const renamed = await send("PATCH", `/groups/${f.ids.groupA}`, { name: "  Teachers 2026  " });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ id: f.ids.groupA, name: "Teachers 2026", usedBy: { total: 2 } });
    expect((await send("GET", `/groups/${f.ids.groupA}`)).json().name).toBe("Teachers 2026");
    const rules = (await send("GET", `/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`)).json();
    expect(rules.fcfs.groups).toContainEqual({ id: f.ids.groupA, name: "Teachers 2026" });

    for (const body of [{ name: "   " }, { name: "x".repeat(301) }, {}, { name: "Ok", externalId: "e-1" }]) {
      const bad = await send("PATCH", `/groups/${f.ids.groupA}`, body);
      expect(bad.statusCode, JSON.stringify(body)).toBe(400);
      expect(bad.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(bad.json().code).toBe("validation_failed");
    }
    const builtIn = await send("PATCH", "/groups/all-users", { name: "Everyone" });
    expect(builtIn.statusCode).toBe(409);
    expect(builtIn.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(builtIn.json()).toMatchObject({ code: "built_in_group" });
    expect(builtIn.json().title).toMatch(/built in.*cannot be renamed/);
    expect((await send("GET", "/groups/all-users")).json().name).toBe("All Users");
    expect((await send("PATCH", "/groups/no-such-group", { name: "X" })).statusCode).toBe(404);
    expect((await send("PATCH", `/groups/${f.ids.groupA}`, { name: "X" }, f.tokens.read)).statusCode).toBe(
      403,
    );
    // Another space's administrator does not reach this space's group.
    const foreign = await f.app.inject({
      method: "PATCH",
      url: `/api/v1/spaces/${f.ids.spaceB}/groups/${f.ids.groupA}`,
      headers: auth(f.tokens.other),
      payload: { name: "Taken over" },
    });
    expect(foreign.statusCode).toBe(404);
    expect((await send("GET", `/groups/${f.ids.groupA}`)).json().name).toBe("Teachers 2026");

    // The confirmation of a deletion is the group's name as it is now.
    expect((await send("DELETE", `/groups/${f.ids.groupA}?confirm=Teachers`)).statusCode).toBe(422);
    expect((await send("DELETE", `/groups/${f.ids.groupA}?confirm=Teachers%202026`)).statusCode).toBe(204);
  });

  it("DI7: a user's groups are All Users first, then the groups they are a member of by name; an unknown user, or another space's, is a 404", async () => {
    const { db } = database().store;
    const zed = (await send("POST", "/groups", { name: "Zed group" })).json();
    const art = (await send("POST", "/groups", { name: "Art club" })).json();
    await send("POST", "/groups", { name: "Not hers" });
    await addGroupMembers(db, f.ids.spaceA, zed.id, [f.ids.userA]);
    await addGroupMembers(db, f.ids.spaceA, art.id, [f.ids.userA]);
    const groups = await send("GET", `/users/${f.ids.userA}/groups`, undefined, f.tokens.read);
    expect(groups.statusCode).toBe(200);
    expect(groups.json().items.map((g: { id: string; name: string }) => [g.id, g.name])).toEqual([
      ["all-users", "All Users"],
      [art.id, "Art club"],
      [zed.id, "Zed group"],
    ]);
    expect(groups.json().items[0].builtIn).toBe(true);
    const unknown = await send("GET", "/users/no-such-user/groups");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe("not_found");
    expect((await send("GET", `/users/${f.ids.userB}/groups`)).statusCode).toBe(404);
  });

  it("DB2, UB3: a user's waiting list names the apps they wait for a user-based license of, with their place in each queue; none is an empty list; an unknown user is a 404 problem, another space's user is refused", async () => {
    const { db, keys } = database().store;
    const spaceId = f.ids.spaceA;
    const adamId = "777000333";
    await setCatalogApp(db, { spaceId, adamId, name: "Numbers" }, NOW);
    const { account } = await accountWithSeats(db, keys, { spaceId, adamId, total: 1 });
    await userBasedForAll(db, { spaceId, accountId: account.id, adamId });
    const holder = await enrolledUser("Hana Holder");
    const waiter = await enrolledUser("Wes Waiter");
    const ask = async (userId: string, minutes: number) =>
      (
        await requestLicenses(db, {
          spaceId,
          adamId,
          // UB3: a mandatory user-licensed app waits for a license; a requested one is refused (LT3).
          requests: [{ spaceId, adamId, subject: { kind: "user", userId }, why: "mandatory" }],
          actor: { kind: "system" },
          now: at(minutes),
        })
      )[0]?.decision.outcome;
    expect(await ask(holder.id, 0)).toBe("grant");
    expect(await ask(waiter.id, 1)).toBe("wait");

    const waiting = await send("GET", `/users/${waiter.id}/waiting`, undefined, f.tokens.read);
    expect(waiting.statusCode).toBe(200);
    expect(waiting.json()).toEqual({
      items: [
        {
          adamId,
          name: "Numbers",
          position: 1,
          of: 1,
          why: "mandatory",
          reason: "no_license",
          ruleIds: expect.arrayContaining(["UB3"]),
          waitingSince: at(1).toISOString(),
        },
      ],
    });
    // The holder waits for nothing; the app's queue says the same wait.
    expect((await send("GET", `/users/${holder.id}/waiting`)).json()).toEqual({ items: [] });
    const queue = (await send("GET", `/apps/${adamId}/waiting`)).json();
    expect(queue.items).toEqual([expect.objectContaining({ position: 1, userId: waiter.id })]);

    const unknown = await send("GET", "/users/no-such-user/waiting");
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(unknown.json()).toMatchObject({ code: "not_found", status: 404 });
    expect(unknown.json().detail).toMatch(/user no-such-user does not exist/);
    // Another space's user is not found through this space; this space's user is not reached from another's.
    expect((await send("GET", `/users/${f.ids.userB}/waiting`)).statusCode).toBe(404);
    const foreign = await f.app.inject({
      url: `/api/v1/spaces/${f.ids.spaceB}/users/${waiter.id}/waiting`,
      headers: auth(f.tokens.other),
    });
    expect(foreign.statusCode).toBe(404);
    const otherToken = await f.app.inject({
      url: `${s}/users/${waiter.id}/waiting`,
      headers: auth(f.tokens.other),
    });
    expect(otherToken.statusCode).toBe(404);
    expect(otherToken.json().items).toBeUndefined();
  });

  it("DI1: who changed a group is in the activity log: created, renamed, members added and removed (a change that changes nothing logs nothing)", async () => {
    f = await buildFixture(database().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const groupLines = async () =>
      (
        (await send("GET", "/activity?pageSize=100")).json().items as Array<{
          action: string;
          message: string;
          actorName?: string;
        }>
      )
        .filter((a) => a.action.startsWith("group."))
        .reverse();
    const u1 = await enrolledUser("ann");
    const u2 = await enrolledUser("bob");
    const created = await send("POST", "/groups", { name: "Choir" });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await send("POST", `/groups/${id}/members`, { userIds: [u1.id, u2.id] })).statusCode).toBe(204);
    expect((await send("POST", `/groups/${id}/members`, { userIds: [u1.id] })).statusCode).toBe(204); // already in
    expect((await send("PATCH", `/groups/${id}`, { name: "Choir" })).statusCode).toBe(200); // the same name
    expect((await send("PATCH", `/groups/${id}`, { name: "Singers" })).statusCode).toBe(200);
    expect((await send("DELETE", `/groups/${id}/members`, { userIds: [u2.id, u2.id] })).statusCode).toBe(204);
    expect((await send("DELETE", `/groups/${id}/members`, { userIds: [u2.id] })).statusCode).toBe(204); // gone already
    const lines = await groupLines();
    expect(lines.map((l) => [l.action, l.message])).toEqual([
      ["group.created", "group Choir created"],
      ["group.members_changed", "members added to group Choir: 2"],
      ["group.renamed", "group Choir renamed Singers"],
      ["group.members_changed", "members removed from group Singers: 1"],
    ]);
    expect(new Set(lines.map((l) => l.actorName)).size).toBe(1);
    expect(lines[0]?.actorName).toBeTruthy();
  });
});
