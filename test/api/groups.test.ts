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
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

interface ActivityLine {
  action: string;
  adamId?: string;
  accountId?: string;
  ruleIds: string[];
  message?: string;
  messageKey?: string;
  messageParams?: Record<string, string | number>;
  details?: { changes?: unknown };
}

describeEachDatabase(
  "groups: All Users is built in, a group rules use is deleted only when confirmed",
  (database) => {
    let f: Fixture;
    let s = "";
    const send = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: object, token?: string) =>
      f.app.inject({
        method,
        url: `${s}${url}`,
        headers: auth(token ?? f.tokens.write),
        ...(payload ? { payload } : {}),
      });
    const activity = async (): Promise<ActivityLine[]> =>
      (await send("GET", "/activity?pageSize=200")).json().items as ActivityLine[];
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

    it("AC1, DI7: All Users cannot be deleted nor its members changed (409 built_in_group, saying why); it stays in every rule and nothing is logged", async () => {
      f = await buildFixture(database().store);
      s = `/api/v1/spaces/${f.ids.spaceA}`;
      const before = (await activity()).length;
      for (const url of ["/groups/all-users", "/groups/all-users?confirm=All%20Users"]) {
        const refused = await send("DELETE", url);
        expect(refused.statusCode, url).toBe(409);
        expect(refused.headers["content-type"]).toMatch(/application\/problem\+json/);
        expect(refused.json()).toMatchObject({ code: "built_in_group", status: 409 });
        expect(refused.json().title).toMatch(/built in.*every user of the space.*cannot be deleted/);
      }
      for (const method of ["POST", "DELETE"] as const) {
        const members = await send(method, "/groups/all-users/members", { userIds: [f.ids.userA] });
        expect(members.statusCode, method).toBe(409);
        expect(members.json().code).toBe("built_in_group");
        expect(members.json().title).toMatch(/members cannot be added or removed/);
      }
      // A read-only token is refused before: a change is a 403 whatever the group.
      expect((await send("DELETE", "/groups/all-users", undefined, f.tokens.read)).statusCode).toBe(403);
      const rules = (await send("GET", `/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`)).json();
      expect(rules.fcfs.groups).toEqual([{ id: "all-users", name: "All Users" }]);
      expect((await activity()).length).toBe(before);
      // AC1 still gives a new app of the account FCFS for All Users.
      await upsertAsset(
        database().store.db,
        {
          spaceId: f.ids.spaceA,
          accountId: f.ids.accountA,
          adamId: "284882215",
          pricingParam: "STDQ",
          productType: "App",
          name: "Numbers",
          total: 3,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
      const numbers = (await send("GET", `/accounts/${f.ids.accountA}/apps/284882215/rules`)).json();
      expect(numbers.fcfs.groups.map((g: { id: string }) => g.id)).toEqual(["all-users"]);
    });

    it("DI7: All Users counts every user of the space not deleted, and lists them as its members; other groups count their members not deleted", async () => {
      const list = async () =>
        (await send("GET", "/groups?pageSize=100")).json().items as Array<{
          id: string;
          name: string;
          members: number;
          builtIn?: boolean;
        }>;
      const users = (await send("GET", "/users?pageSize=1")).json().total as number;
      expect(users).toBeGreaterThan(0);
      const allUsers = (await list()).find((g) => g.id === "all-users");
      expect(allUsers).toEqual(expect.objectContaining({ name: "All Users", members: users, builtIn: true }));
      expect((await send("GET", "/groups/all-users")).json()).toMatchObject({
        id: "all-users",
        builtIn: true,
      });
      const teachers = (await list()).find((g) => g.id === f.ids.groupA);
      expect(teachers).toMatchObject({ name: "Teachers", members: 0 });
      expect(teachers?.builtIn).toBeUndefined();

      // A new user is one more; a deleted user one less, even when their row stays for the licenses' history (RV5).
      const dora = await enrolledUser("Dora Dee");
      await addGroupMembers(database().store.db, f.ids.spaceA, f.ids.groupA, [dora.id]);
      const [granted] = await requestLicenses(database().store.db, {
        spaceId: f.ids.spaceA,
        adamId: f.ids.adamId,
        requests: [
          {
            spaceId: f.ids.spaceA,
            adamId: f.ids.adamId,
            subject: { kind: "user", userId: dora.id },
            why: "requested",
          },
        ],
        actor: { kind: "system" },
        now: NOW,
      });
      expect(granted?.decision.outcome).toBe("grant");
      expect((await list()).find((g) => g.id === "all-users")?.members).toBe(users + 1);
      expect((await list()).find((g) => g.id === f.ids.groupA)?.members).toBe(1);
      const members = (await send("GET", "/groups/all-users/members?pageSize=500")).json();
      expect(members.total).toBe(users + 1);
      expect(members.items.map((u: { id: string }) => u.id)).toContain(dora.id);

      expect((await send("DELETE", `/users/${dora.id}`)).statusCode).toBe(204);
      expect((await list()).find((g) => g.id === "all-users")?.members).toBe(users);
      expect((await list()).find((g) => g.id === f.ids.groupA)?.members).toBe(0);
      expect((await send("GET", "/groups/all-users/members?pageSize=500")).json().total).toBe(users);
      expect((await send("GET", `/groups/${f.ids.groupA}/members`)).json().total).toBe(0);
    });

    it("DI1, DI7, MA2, LT4: a group that rules use is refused (409 group_in_use naming them) unless confirm repeats its name; then it leaves those rules (FCFS off where none is left), each change logged; its members get no new license through it, licenses held stay", async () => {
      const { db } = database().store;
      const spaceId = f.ids.spaceA;
      const keynote = "409183694";
      await upsertAsset(
        db,
        {
          spaceId,
          accountId: f.ids.accountA,
          adamId: keynote,
          pricingParam: "STDQ",
          productType: "App",
          name: "Keynote",
          total: 5,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
      await setCatalogApp(db, { spaceId, adamId: keynote, name: "Keynote" }, NOW);
      const put = (adamId: string, groupIds: string[]) =>
        send("PUT", `/accounts/${f.ids.accountA}/apps/${adamId}/rules`, { fcfs: { groupIds } });
      expect((await put(keynote, [f.ids.groupA])).statusCode).toBe(200); // Keynote: Teachers only
      expect((await put(f.ids.adamId, ["all-users", f.ids.groupA])).statusCode).toBe(200); // Pages: both
      const tom = await enrolledUser("Tom Teacher");
      const uma = await enrolledUser("Uma Teacher");
      await addGroupMembers(db, spaceId, f.ids.groupA, [tom.id, uma.id]);
      const ask = async (userId: string, app: string) =>
        (await send("POST", "/license-requests", { app, user: userId, why: "requested" })).json();
      const toms = await ask(tom.id, keynote);
      expect(toms.decision.outcome).toBe("grant"); // through Teachers
      const before = (await activity()).length;

      // Refused: the rules that use it, by app name, with the account; nothing changed.
      const refused = await send("DELETE", `/groups/${f.ids.groupA}`);
      expect(refused.statusCode).toBe(409);
      expect(refused.headers["content-type"]).toMatch(/application\/problem\+json/);
      const p = refused.json();
      expect(p).toMatchObject({
        code: "group_in_use",
        status: 409,
        usedBy: {
          total: 2,
          rules: [
            { accountId: f.ids.accountA, accountName: "Main", adamId: keynote, appName: "Keynote" },
            { accountId: f.ids.accountA, accountName: "Main", adamId: f.ids.adamId, appName: "Pages" },
          ],
        },
      });
      expect(p.detail).toContain("Teachers is one of the FCFS groups of 2 license rules");
      expect(p.detail).toContain(`Keynote (${keynote}) in Main, Pages (${f.ids.adamId}) in Main`);
      expect(p.detail).toMatch(/send confirm with the group's exact name/);
      expect((await send("GET", `/groups/${f.ids.groupA}`)).statusCode).toBe(200);
      expect(
        (await send("GET", `/accounts/${f.ids.accountA}/apps/${keynote}/rules`)).json().fcfs.groups,
      ).toEqual([{ id: f.ids.groupA, name: "Teachers" }]);
      expect((await activity()).length).toBe(before);
      // A confirmation that is not the group's exact name is refused on its field.
      const mismatch = await send("DELETE", `/groups/${f.ids.groupA}?confirm=teachers`);
      expect(mismatch.statusCode).toBe(422);
      expect(mismatch.json()).toMatchObject({
        code: "confirmation_mismatch",
        errors: [{ field: "querystring.confirm" }],
      });

      // Confirmed: deleted, out of both rules, its members stay users.
      expect((await send("DELETE", `/groups/${f.ids.groupA}?confirm=Teachers`)).statusCode).toBe(204);
      expect((await send("GET", `/groups/${f.ids.groupA}`)).statusCode).toBe(404);
      expect((await send("GET", `/users/${uma.id}`)).statusCode).toBe(200);
      const keynoteRules = (await send("GET", `/accounts/${f.ids.accountA}/apps/${keynote}/rules`)).json();
      expect(keynoteRules.fcfs).toBeUndefined(); // no group left: no FCFS rule, as a PUT without fcfs
      const pagesRules = (await send("GET", `/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`)).json();
      expect(pagesRules.fcfs.groups).toEqual([{ id: "all-users", name: "All Users" }]);

      // Logged: the deletion, and each rule it changed as a rules change (DI1).
      const lines = (await activity()).slice(0, (await activity()).length - before);
      expect(lines).toHaveLength(3);
      expect(lines.find((l) => l.action === "group.deleted")).toMatchObject({
        ruleIds: ["DI1", "DI7"],
        messageKey: "group.deleted_from_rules",
        messageParams: { name: "Teachers", rules: 2 },
        message: "group Teachers deleted and removed from the FCFS groups of 2 license rules",
      });
      const ruleLines = lines.filter((l) => l.action === "rules.updated");
      expect(ruleLines.map((l) => [l.adamId, l.accountId, l.messageKey, l.message]).sort()).toEqual(
        [
          [
            f.ids.adamId,
            f.ids.accountA,
            "rules.group_deleted",
            "group Teachers deleted: removed from the FCFS groups (1 left)",
          ],
          [
            keynote,
            f.ids.accountA,
            "rules.group_deleted",
            "group Teachers deleted: removed from the FCFS groups (0 left)",
          ],
        ].sort(),
      );
      expect(ruleLines.every((l) => l.ruleIds.join() === "DI1")).toBe(true);
      // Each names the group that left its FCFS groups, as a rules change does.
      for (const l of ruleLines)
        expect(l.details?.changes).toEqual({
          groups: {
            added: [],
            removed: [{ id: f.ids.groupA, name: "Teachers" }],
            addedCount: 0,
            removedCount: 1,
          },
        });

      // The licensing effect of the rules as they are now (MA2, DI7): Uma is no longer eligible for
      // Keynote; Tom keeps the license he holds (LT4); Pages still comes to Uma through All Users.
      const umas = await ask(uma.id, keynote);
      expect(umas.decision).toMatchObject({ outcome: "refuse", reason: "not_eligible" });
      const again = await ask(tom.id, keynote);
      expect(again.decision.outcome).toBe("keep");
      expect(again.licenseId).toBe(toms.licenseId);
      expect((await ask(uma.id, f.ids.adamId)).decision.outcome).toBe("grant");
    });

    it("a group no rule uses is deleted without confirmation, its members staying users, and the deletion is logged; an unknown group is a 404", async () => {
      const staff = (await send("POST", "/groups", { name: "Staff" })).json();
      expect((await send("POST", `/groups/${staff.id}/members`, { userIds: [f.ids.userA] })).statusCode).toBe(
        204,
      );
      const before = (await activity()).length;
      expect((await send("DELETE", `/groups/${staff.id}`)).statusCode).toBe(204);
      expect((await send("GET", `/groups/${staff.id}`)).statusCode).toBe(404);
      expect((await send("GET", `/users/${f.ids.userA}`)).statusCode).toBe(200);
      const lines = await activity();
      expect(lines.length).toBe(before + 1);
      expect(lines[0]).toMatchObject({
        action: "group.deleted",
        ruleIds: [],
        messageKey: "group.deleted",
        message: "group Staff deleted",
      });
      expect((await send("DELETE", `/groups/${staff.id}`)).statusCode).toBe(404);
    });

    it("DI1, invariant 4: members added and removed are named in their line's details; sent again, nothing is logged", async () => {
      const coaches = (await send("POST", "/groups", { name: "Chess coaches" })).json();
      const kim = await enrolledUser("Kim");
      const members = `/groups/${coaches.id}/members`;
      expect((await send("POST", members, { userIds: [f.ids.userA, kim.id] })).statusCode).toBe(204);
      const [added] = await activity();
      expect(added).toMatchObject({
        action: "group.members_changed",
        messageKey: "group.members_added",
        details: {
          groupId: coaches.id,
          members: {
            added: expect.arrayContaining([{ id: kim.id, name: "Kim" }]),
            removed: [],
            addedCount: 2,
            removedCount: 0,
          },
        },
      });
      const before = (await activity()).length;
      expect((await send("POST", members, { userIds: [kim.id] })).statusCode).toBe(204);
      expect((await activity()).length).toBe(before);
      expect((await send("DELETE", members, { userIds: [kim.id] })).statusCode).toBe(204);
      expect((await activity())[0]).toMatchObject({
        messageKey: "group.members_removed",
        details: { members: { added: [], removed: [{ id: kim.id, name: "Kim" }], removedCount: 1 } },
      });
    });

    it("DI1: two groups of a space never share a name (case and outer spaces aside): create and rename are a 409 naming body.name; a group keeps its own name in another case", async () => {
      const coaches = (await send("POST", "/groups", { name: "Coaches" })).json();
      const other = (await send("POST", "/groups", { name: "Referees" })).json();
      for (const [method, url, name] of [
        ["POST", "/groups", " coaches "],
        ["PATCH", `/groups/${other.id}`, "COACHES"],
        ["POST", "/groups", "all users"],
      ] as const) {
        const r = await f.app.inject({
          method,
          url: `${s}${url}`,
          headers: auth(f.tokens.write),
          payload: { name },
        });
        expect(r.statusCode, r.body).toBe(409);
        expect(r.json()).toMatchObject({ code: "duplicate_name", errors: [{ field: "body.name" }] });
      }
      const recased = await f.app.inject({
        method: "PATCH",
        url: `${s}/groups/${coaches.id}`,
        headers: auth(f.tokens.write),
        payload: { name: "COACHES" },
      });
      expect(recased.statusCode, recased.body).toBe(200);
      expect((await send("GET", `/groups/${other.id}`)).json().name).toBe("Referees");
    });

    it("the OpenAPI document describes the confirmation and the refusals", async () => {
      const doc = (await f.app.inject({ url: "/openapi.json" })).json();
      const op = doc.paths["/api/v1/spaces/{spaceId}/groups/{groupId}"].delete;
      expect(op.parameters.map((p: { name: string }) => p.name)).toContain("confirm");
      expect(op.summary).toMatch(/built_in_group.*group_in_use/s);
      expect(JSON.stringify(op.responses["409"])).toContain("GroupInUseProblem");
      expect(Object.keys(doc.components.schemas.GroupInUseProblem.properties)).toContain("usedBy");
      expect(Object.keys(doc.components.schemas.Group.properties)).toContain("builtIn");
    });
  },
);
