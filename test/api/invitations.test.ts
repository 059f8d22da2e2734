import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import {
  addGroupMembers,
  createAccount,
  createDevice,
  createGroup,
  createSpace,
  createUser,
  createUsers,
  listOutbox,
  requestLicenses,
  setAppleStatus,
} from "../../src/store/index.js";
import { recordInvitationTemplate } from "../../src/store/invitations.repo.js";
import { applyAppleUsers } from "../../src/store/sync-users.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

/** Apple's own service config value (test/fixtures/apple/service-config.response.json). */
const APPLE_TEMPLATE =
  "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=%25inviteCode%25&mt=8";

/**
 * UB2 through the API: a user carries where their registration at Apple stands and, once
 * Apple invited them, the invitation link built as Apple documents it; users are invited
 * one by one or by group; waits for enrolment name the invitation they wait on; a space
 * may register waiting users on its own.
 */
describeEachDatabase("API: Apps and Books invitations", (db) => {
  let f: Fixture;
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const send = (method: "GET" | "POST" | "PATCH", url: string, payload?: object, token?: string) =>
    f.app.inject({ method, url, headers: auth(token ?? f.tokens.write), ...(payload ? { payload } : {}) });
  const user = async (id: string) => (await send("GET", `${s()}/users/${id}`)).json();
  const store = () => db().store.db;

  it("UB2: GET users and users/:id carry the registration at Apple, and once invited Apple's invitation link; the list filters by each registration", async () => {
    f = await buildFixture(db().store);
    const ada = (await send("POST", `${s()}/users`, { name: "Ada", email: "ada@example.com" })).json();
    expect(ada).toMatchObject({ registration: "not_registered", enrolled: false });
    expect(ada).not.toHaveProperty("invitationUrl");
    expect(await user(f.ids.userA)).toMatchObject({ registration: "enrolled", enrolled: true });

    expect((await send("POST", `${s()}/users/invite`, { userIds: [ada.id] })).json()).toEqual({
      invited: 1,
      accounts: 1,
    });
    // Asked, Apple not answered yet: registering, no link.
    const asked = await user(ada.id);
    expect(asked).toMatchObject({ registration: "registering", enrolled: false });
    expect(asked).not.toHaveProperty("invitationUrl");
    // The list's filter says the same as each user's registration, whatever it is.
    const listedAs = async (registration: string) =>
      (await send("GET", `${s()}/users?pageSize=100&registration=${registration}`))
        .json()
        .items.map((u: { id: string; registration: string }) => [u.id, u.registration]);
    const agree = async () => {
      for (const r of ["enrolled", "invited", "registering", "not_registered", "retired"])
        expect(
          (await listedAs(r)).every(([, is]: string[]) => is === r),
          r,
        ).toBe(true);
    };
    expect(await listedAs("registering")).toEqual([[ada.id, "registering"]]);
    expect((await listedAs("not_registered")).map(([id]: string[]) => id)).not.toContain(ada.id);
    expect((await listedAs("not_invited")).map(([id]: string[]) => id)).toContain(ada.id);
    await agree();
    const [op] = await listOutbox(store(), { spaceId: f.ids.spaceA, kind: "create_user" });
    const clientUserId = op?.clientUserId ?? "";
    // The worker sent it (test/sync/invitations.test.ts runs it against the simulator).
    await store()
      .updateTable("outbox")
      .set({ state: "done" })
      .where("seq", "=", op?.seq ?? 0)
      .execute();

    // Apple registered them (its answer, as the sync applies it) before any sync read its service config.
    await applyAppleUsers(
      store(),
      f.ids.spaceA,
      [{ clientUserId, status: "Registered", inviteCode: "f551b37da07146628e8dcbe0111f0364" }],
      NOW,
    );
    const noTemplate = await user(ada.id);
    expect(noTemplate).toMatchObject({ registration: "invited" });
    expect(noTemplate).not.toHaveProperty("invitationUrl");

    await recordInvitationTemplate(store(), { spaceId: f.ids.spaceA, id: f.ids.accountA }, APPLE_TEMPLATE);
    const invited = await user(ada.id);
    expect(invited.invitationUrl).toBe(
      "https://buy.itunes.apple.com/WebObjects/MZFinance.woa/wa/associateVPPUserWithITSAccount?inviteCode=f551b37da07146628e8dcbe0111f0364&mt=8",
    );
    // The list says the same, user by user; the invite code itself is never shown apart from the link.
    const list = (await send("GET", `${s()}/users?pageSize=100`)).json();
    const byId = new Map(list.items.map((u: { id: string }) => [u.id, u]));
    expect(byId.get(ada.id)).toMatchObject({ registration: "invited", invitationUrl: invited.invitationUrl });
    expect(byId.get(f.ids.userA)).toMatchObject({ registration: "enrolled" });
    expect(JSON.stringify(list)).not.toContain('"inviteCode"');
    // The list filtered by where users stand: Ada invited, userA enrolled, a newcomer not invited.
    const newcomer = (await send("POST", `${s()}/users`, { name: "Newcomer" })).json();
    const filtered = async (registration: string) =>
      (await send("GET", `${s()}/users?pageSize=100&registration=${registration}`))
        .json()
        .items.map((u: { id: string; registration: string }) => [u.id, u.registration]);
    expect(await filtered("invited")).toEqual([[ada.id, "invited"]]);
    expect(await filtered("enrolled")).toContainEqual([f.ids.userA, "enrolled"]);
    expect((await filtered("enrolled")).every(([, r]: string[]) => r === "enrolled")).toBe(true);
    expect(await filtered("not_invited")).toContainEqual([newcomer.id, "not_registered"]);
    expect((await filtered("not_invited")).map(([id]: string[]) => id)).not.toContain(ada.id);
    const bad = await send("GET", `${s()}/users?registration=pending`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe("querystring.registration");
    // A group's members too.
    const group = (await send("POST", `${s()}/groups`, { name: `Invited ${f.ids.suffix}` })).json();
    await send("POST", `${s()}/groups/${group.id}/members`, { userIds: [ada.id] });
    expect((await send("GET", `${s()}/groups/${group.id}/members`)).json().items).toEqual([
      expect.objectContaining({ id: ada.id, registration: "invited", invitationUrl: invited.invitationUrl }),
    ]);

    // Inviting an invited user again registers nothing (Apple would refuse: 9716); the link stays.
    expect((await send("POST", `${s()}/users/invite`, { userIds: [ada.id] })).json()).toEqual({
      invited: 0,
      accounts: 1,
    });
    // Accepted (Associated): enrolled, the link gone; retired at Apple: retired.
    await applyAppleUsers(store(), f.ids.spaceA, [{ clientUserId, status: "Associated" }], NOW);
    expect(await user(ada.id)).toMatchObject({ registration: "enrolled", enrolled: true });
    expect(await user(ada.id)).not.toHaveProperty("invitationUrl");
    await applyAppleUsers(store(), f.ids.spaceA, [{ clientUserId, status: "Retired" }], NOW);
    expect(await user(ada.id)).toMatchObject({ registration: "retired", enrolled: false });
    expect(await listedAs("retired")).toEqual([[ada.id, "retired"]]);
    await agree();
  });

  it("UB2: POST users/invite with a groupId invites the group's users Apple has not registered, by batches; all-users: the space's", async () => {
    const spaceId = (await createSpace(store(), { name: `bulk ${f.ids.suffix}` })).id;
    const account = await createAccount(store(), db().store.keys, {
      spaceId,
      displayName: "Bulk",
      sToken: STOKEN,
    });
    const teachers = await createGroup(store(), { spaceId, name: "Teachers" });
    // 1,100 teachers (three batches of 500), one enrolled, one invited, one deleted; 5 users out of the group.
    const members = await createUsers(
      store(),
      Array.from({ length: 1100 }, (_, i) => ({ spaceId, name: `Teacher ${String(i).padStart(4, "0")}` })),
    );
    const others = await createUsers(
      store(),
      Array.from({ length: 5 }, (_, i) => ({ spaceId, name: `Pupil ${i}` })),
    );
    const [enrolled, invited, gone] = members;
    await setAppleStatus(store(), spaceId, enrolled?.id ?? "", "Associated", NOW);
    await setAppleStatus(store(), spaceId, invited?.id ?? "", "Registered", NOW);
    await store()
      .updateTable("users")
      .set({ deleted_at: NOW })
      .where("id", "=", gone?.id ?? "")
      .execute();
    await addGroupMembers(
      store(),
      spaceId,
      teachers.id,
      members.map((m) => m.id),
    );
    const url = `/api/v1/spaces/${spaceId}/users/invite`;
    const owner = await ownerToken(f, spaceId);
    const inviteGroup = (groupId: string) =>
      f.app.inject({ method: "POST", url, headers: auth(owner), payload: { groupId } });

    const first = await inviteGroup(teachers.id);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ invited: 1097, accounts: 1 });
    const ops = await listOutbox(store(), { spaceId, kind: "create_user" });
    expect(ops).toHaveLength(1097);
    expect(new Set(ops.map((o) => o.accountId))).toEqual(new Set([account.id]));
    // Sent again: every one is on its way already.
    expect((await inviteGroup(teachers.id)).json()).toEqual({ invited: 0, accounts: 1 });
    // RV5: a deleted user is retired at Apple, never registered again, even named.
    const named = await f.app.inject({
      method: "POST",
      url,
      headers: auth(owner),
      payload: { userIds: [gone?.id] },
    });
    expect(named.json()).toEqual({ invited: 0, accounts: 1 });
    // All Users: the rest of the space (the pupils), not the other space's users.
    expect((await inviteGroup("all-users")).json()).toEqual({ invited: 5, accounts: 1 });
    const registering = (await listOutbox(store(), { spaceId, kind: "create_user" })).length;
    expect(registering).toBe(1102);
    const pupil = (
      await f.app.inject({ url: `/api/v1/spaces/${spaceId}/users/${others[0]?.id}`, headers: auth(owner) })
    ).json();
    expect(pupil.registration).toBe("registering");
  });

  it("UB2: bad invitations are problems naming the field, never a 500; a read-only role cannot invite", async () => {
    const both = await send("POST", `${s()}/users/invite`, { userIds: [f.ids.userA], groupId: f.ids.groupA });
    expect(both.statusCode).toBe(400);
    expect(both.headers["content-type"]).toContain("application/problem+json");
    expect(both.json().detail).toContain("give either userIds");
    expect((await send("POST", `${s()}/users/invite`, {})).statusCode).toBe(400);
    const unknownGroup = await send("POST", `${s()}/users/invite`, { groupId: "no-such-group" });
    expect(unknownGroup.statusCode).toBe(404);
    expect(unknownGroup.json().errors).toEqual([expect.objectContaining({ field: "body.groupId" })]);
    const unknownUser = await send("POST", `${s()}/users/invite`, { userIds: ["no-such-user"] });
    expect(unknownUser.statusCode).toBe(404);
    expect(unknownUser.json().errors?.[0]?.field).toMatch(/^body\.userIds/);
    const readOnly = await send("POST", `${s()}/users/invite`, { userIds: [f.ids.userA] }, f.tokens.read);
    expect(readOnly.statusCode).toBe(403);
    // A space whose only account cannot be used: refused, saying why.
    await db()
      .store.db.updateTable("accounts")
      .set({ health: "expired" })
      .where("id", "=", f.ids.accountB)
      .execute();
    const noAccount = await send(
      "POST",
      `/api/v1/spaces/${f.ids.spaceB}/users/invite`,
      { groupId: "all-users" },
      f.tokens.other,
    );
    expect(noAccount.statusCode).toBe(400);
    expect(noAccount.json().detail).toContain("no usable Apps and Books account");
    await db()
      .store.db.updateTable("accounts")
      .set({ health: "ok" })
      .where("id", "=", f.ids.accountB)
      .execute();
  });

  it("UB2, UB3: a wait for enrolment names its invitation in the app's queue, the user's and the device's waiting lists", async () => {
    const carol = await createUser(store(), { spaceId: f.ids.spaceA, name: "Carol" });
    const dan = await createUser(store(), { spaceId: f.ids.spaceA, name: "Dan" });
    const device = await createDevice(store(), {
      spaceId: f.ids.spaceA,
      serialNumber: `DAN${f.ids.suffix}`.toUpperCase(),
      platform: "iOS",
      userId: dan.id,
    });
    // DI2: requested apps get user-based licenses; neither user is enrolled (UB2).
    const results = await requestLicenses(store(), {
      spaceId: f.ids.spaceA,
      adamId: f.ids.adamId,
      requests: [
        {
          spaceId: f.ids.spaceA,
          adamId: f.ids.adamId,
          subject: { kind: "user", userId: carol.id },
          why: "requested",
        },
        {
          spaceId: f.ids.spaceA,
          adamId: f.ids.adamId,
          subject: { kind: "device", deviceId: device.id },
          why: "requested",
        },
      ],
      actor: { kind: "system" },
      now: NOW,
    });
    expect(results.map((r) => r.decision)).toEqual([
      expect.objectContaining({ outcome: "wait", reason: "not_enrolled" }),
      expect.objectContaining({ outcome: "wait", reason: "not_enrolled" }),
    ]);
    await send("POST", `${s()}/users/invite`, { userIds: [dan.id] });

    const queue = (await send("GET", `${s()}/apps/${f.ids.adamId}/waiting`)).json().items;
    expect(queue).toEqual([
      expect.objectContaining({
        userId: carol.id,
        reason: "not_enrolled",
        invitation: { userId: carol.id, registration: "not_registered" },
      }),
      expect.objectContaining({
        deviceId: device.id,
        deviceUserId: dan.id,
        reason: "not_enrolled",
        invitation: { userId: dan.id, registration: "registering" },
      }),
    ]);
    expect((await send("GET", `${s()}/users/${carol.id}/waiting`)).json().items).toEqual([
      expect.objectContaining({ invitation: { userId: carol.id, registration: "not_registered" } }),
    ]);
    expect((await send("GET", `${s()}/devices/${device.id}/waiting`)).json().items).toEqual([
      expect.objectContaining({ invitation: { userId: dan.id, registration: "registering" } }),
    ]);
  });

  it("UB2: PATCH spaces/:id turns registering waiting users at Apple on and off (off by default)", async () => {
    expect((await send("GET", s())).json()).toMatchObject({
      registerWaitingUsers: false,
      appsAndBooksEnabled: true,
    });
    const on = await send("PATCH", s(), { registerWaitingUsers: true });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toMatchObject({ registerWaitingUsers: true, appsAndBooksEnabled: true });
    expect((await send("PATCH", s(), { registerWaitingUsers: false })).json().registerWaitingUsers).toBe(
      false,
    );
    const empty = await send("PATCH", s(), {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().detail).toContain("registerWaitingUsers");
    expect((await send("PATCH", s(), { registerWaitingUsers: true }, f.tokens.read)).statusCode).toBe(403);
  });

  it("the OpenAPI document lists the registration states a User and a waiting request carry", async () => {
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    const states = ["not_registered", "registering", "invited", "enrolled", "retired"];
    expect(doc.components.schemas.User.properties.registration.enum).toEqual(states);
    expect(doc.components.schemas.WaitingInvitation.properties.registration.enum).toEqual(states);
    expect(doc.components.schemas.User.required).toContain("registration");
  });
});

/** A token of an owner-made administrator managing this space (the fixture's tokens reach space A and B only). */
async function ownerToken(f: Fixture, spaceId: string): Promise<string> {
  const db = f.deps.db;
  const grants = [{ spaceId, role: "manage" as const }];
  const admin = await createAdministrator(db, {
    login: `bulk-${spaceId.slice(0, 8)}`,
    password: "correct horse battery",
    isOwner: false,
    grants,
    now: NOW,
  });
  const principal = await adminPrincipal(db, admin, "token");
  return (await issueApiToken(db, { ...principal, isOwner: true }, { name: "bulk", grants, now: NOW })).token;
}
