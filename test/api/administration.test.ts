import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

/**
 * What an owner does in the console's Settings through the API: administrators and their
 * roles per space (PM1), spaces (create, rename). Owners sign in (an owner's power
 * is its administrator's, not a token's).
 */
describeEachDatabase("administrators and spaces API", (db) => {
  let f: Fixture;
  let owner: Record<string, string> = {};
  const password = "a long enough initial password 7";
  const signIn = async (login: string, secret: string) => {
    const r = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login, password: secret },
    });
    expect(r.statusCode, r.body).toBe(200);
    const cookie = r.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
    return { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
  };
  const call = (method: string, url: string, headers: Record<string, string>, payload?: unknown) =>
    f.app.inject({
      method: method as "GET",
      url: `/api/v1${url}`,
      headers,
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it("PM1: an owner reads the password rules and adds an administrator with a role per space; the password is never echoed nor logged", async () => {
    f = await buildFixture(db().store);
    owner = await signIn(`owner-${f.ids.suffix}`, "correct horse battery");
    const rules = await call("GET", "/admins/password-rules", owner);
    expect(rules.json()).toEqual({ minLength: 12, maxLength: 1000 });

    const created = await call("POST", "/admins", owner, {
      login: `carol-${f.ids.suffix}`,
      displayName: "Carol Campus",
      password,
      grants: [
        { spaceId: f.ids.spaceA, role: "manage" },
        { spaceId: f.ids.spaceB, role: "read" },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ login: `carol-${f.ids.suffix}`, isOwner: false });
    const list = (await call("GET", "/admins", owner)).json();
    const carol = list.items.find((a: { login: string }) => a.login === `carol-${f.ids.suffix}`);
    expect(carol).toMatchObject({ displayName: "Carol Campus", isOwner: false });
    expect(new Set(carol.grants)).toEqual(
      new Set([
        { spaceId: f.ids.spaceA, role: "manage" },
        { spaceId: f.ids.spaceB, role: "read" },
      ]),
    );
    expect(created.body + JSON.stringify(list)).not.toContain(password);
    expect(f.logs.lines.join("\n")).not.toContain(password);

    // The new administrator signs in with the initial password and sees the two spaces.
    const session = await signIn(`carol-${f.ids.suffix}`, password);
    const spaces = (await call("GET", "/spaces", session)).json().items;
    expect(spaces.map((s: { id: string; role: string }) => [s.id, s.role]).sort()).toEqual(
      [
        [f.ids.spaceA, "manage"],
        [f.ids.spaceB, "read"],
      ].sort(),
    );
  });

  it("PM1: a refused administrator names its field: password too short, login taken, unknown or repeated space; nothing is created", async () => {
    const short = await call("POST", "/admins", owner, { login: `dan-${f.ids.suffix}`, password: "short" });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ code: "weak_password", errors: [{ field: "body.password" }] });
    expect(short.body).not.toContain('"short"');
    // Blank, or given in an edit: the same refusal, with the same code.
    const blank = await call("POST", "/admins", owner, {
      login: `dan-${f.ids.suffix}`,
      password: " ".repeat(14),
    });
    expect(blank.json()).toMatchObject({ code: "weak_password", title: "a password is not only spaces" });
    const carol = (await call("GET", "/admins", owner))
      .json()
      .items.find((a: { login: string }) => a.login === `carol-${f.ids.suffix}`);
    const edit = await call("PATCH", `/admins/${carol.id}`, owner, { password: "short" });
    expect(edit.statusCode).toBe(400);
    expect(edit.json()).toMatchObject({ code: "weak_password", errors: [{ field: "body.password" }] });

    const taken = await call("POST", "/admins", owner, { login: `carol-${f.ids.suffix}`, password });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "login_taken", errors: [{ field: "body.login" }] });

    for (const grants of [
      [{ spaceId: "no-such-space", role: "read" }],
      [
        { spaceId: f.ids.spaceA, role: "read" },
        { spaceId: f.ids.spaceA, role: "manage" },
      ],
    ]) {
      const r = await call("POST", "/admins", owner, { login: `dan-${f.ids.suffix}`, password, grants });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().errors[0].field).toMatch(/^body\.grants\.\d\.spaceId$/);
    }
    const logins = (await call("GET", "/admins", owner)).json().items.map((a: { login: string }) => a.login);
    expect(logins).not.toContain(`dan-${f.ids.suffix}`);
  });

  it("PM1: an owner changes and removes an administrator's grants (a space that does not exist names its field); the administrator's session sees it at once", async () => {
    const carol = (await call("GET", "/admins", owner))
      .json()
      .items.find((a: { login: string }) => a.login === `carol-${f.ids.suffix}`);
    const session = await signIn(`carol-${f.ids.suffix}`, password);
    const changed = await call("PUT", `/admins/${carol.id}/grants`, owner, {
      grants: [{ spaceId: f.ids.spaceA, role: "read" }],
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().grants).toEqual([{ spaceId: f.ids.spaceA, role: "read" }]);
    const unknown = await call("PUT", `/admins/${carol.id}/grants`, owner, {
      grants: [{ spaceId: "no-such-space", role: "read" }],
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().errors).toEqual([{ field: "body.grants.0.spaceId", message: expect.any(String) }]);
    const spaces = (await call("GET", "/spaces", session)).json().items;
    expect(spaces.map((s: { id: string; role: string }) => [s.id, s.role])).toEqual([[f.ids.spaceA, "read"]]);
    const write = await call("PATCH", `/spaces/${f.ids.spaceA}`, session, { appsAndBooksEnabled: true });
    expect(write.statusCode).toBe(403);
    // A non-owner may not change grants, even its own.
    const self = await call("PUT", `/admins/${carol.id}/grants`, session, {
      grants: [{ spaceId: f.ids.spaceA, role: "manage" }],
    });
    expect(self.statusCode).toBe(403);
  });

  it("PM1: an owner removes an administrator: its session ends at once; an owner cannot remove themselves; a non-owner cannot remove anyone", async () => {
    const admins = (await call("GET", "/admins", owner)).json().items as Array<{ id: string; login: string }>;
    const carol = admins.find((a) => a.login === `carol-${f.ids.suffix}`);
    const me = admins.find((a) => a.login === `owner-${f.ids.suffix}`);
    if (!carol || !me) throw new Error("fixture");
    const session = await signIn(`carol-${f.ids.suffix}`, password);
    expect((await call("DELETE", `/admins/${me.id}`, session)).statusCode).toBe(403);
    expect((await call("DELETE", `/admins/${carol.id}`, auth(f.tokens.write))).statusCode).toBe(403);

    const self = await call("DELETE", `/admins/${me.id}`, owner);
    expect(self.statusCode).toBe(409);
    expect(self.json().code).toBe("cannot_remove_self");

    expect((await call("DELETE", `/admins/${carol.id}`, owner)).statusCode).toBe(204);
    expect((await call("GET", "/auth/me", session)).statusCode).toBe(401);
    const gone = await call("DELETE", `/admins/${carol.id}`, owner);
    expect(gone.statusCode).toBe(404);
    expect(gone.headers["content-type"]).toMatch(/application\/problem\+json/);
    const logins = (await call("GET", "/admins", owner)).json().items.map((a: { login: string }) => a.login);
    expect(logins).not.toContain(`carol-${f.ids.suffix}`);
    const again = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: `carol-${f.ids.suffix}`, password },
    });
    expect(again.statusCode).toBe(401);
  });

  it("PM1: two owners removing each other at once leave one owner; a removed administrator's API tokens are revoked", async () => {
    const makeOwner = async (login: string) => {
      const r = await call("POST", "/admins", owner, { login, password, isOwner: true });
      expect(r.statusCode, r.body).toBe(201);
      return { id: r.json().id as string, session: await signIn(login, password) };
    };
    const [dora, eve] = await Promise.all([
      makeOwner(`dora-${f.ids.suffix}`),
      makeOwner(`eve-${f.ids.suffix}`),
    ]);
    const tokenOf = async (session: Record<string, string>) => {
      const r = await call("POST", "/auth/tokens", session, {
        name: "integration",
        grants: [{ spaceId: f.ids.spaceA, role: "read" }],
      });
      expect(r.statusCode, r.body).toBe(201);
      return auth(r.json().token);
    };
    const tokens = { dora: await tokenOf(dora.session), eve: await tokenOf(eve.session) };

    const [byDora, byEve] = await Promise.all([
      call("DELETE", `/admins/${eve.id}`, dora.session),
      call("DELETE", `/admins/${dora.id}`, eve.session),
    ]);
    // The owners' rows are locked: the second finds its caller gone, no owner any more (403),
    // or, reaching the server once the first committed, its session gone with its owner (401).
    const codes = [byDora.statusCode, byEve.statusCode].sort();
    expect(codes[0]).toBe(204);
    expect([401, 403]).toContain(codes[1]);
    const [removed, kept] =
      byDora.statusCode === 204 ? (["eve", "dora"] as const) : (["dora", "eve"] as const);
    const left = (await call("GET", "/admins", owner)).json().items as Array<{ login: string }>;
    expect(left.map((a) => a.login)).toContain(`${kept}-${f.ids.suffix}`);
    expect(left.map((a) => a.login)).not.toContain(`${removed}-${f.ids.suffix}`);
    // The removed owner's API token is revoked, not only emptied of roles; the other's works.
    expect((await call("GET", "/auth/me", tokens[removed])).statusCode).toBe(401);
    expect((await call("GET", `/spaces/${f.ids.spaceA}/accounts`, tokens[kept])).statusCode).toBe(200);
  });

  it("PM1: an owner edits an administrator's display name and owner role; the administrator's session sees it at once", async () => {
    const login = `frank-${f.ids.suffix}`;
    const created = await call("POST", "/admins", owner, { login, password });
    expect(created.statusCode, created.body).toBe(201);
    const frank = created.json().id as string;
    const session = await signIn(login, password);
    expect((await call("GET", "/admins", session)).statusCode).toBe(403);

    const edited = await call("PATCH", `/admins/${frank}`, owner, {
      displayName: "  Frank Field ",
      isOwner: true,
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json()).toMatchObject({ id: frank, login, displayName: "Frank Field", isOwner: true });
    const listed = (await call("GET", "/admins", session))
      .json()
      .items.find((a: { id: string }) => a.id === frank);
    expect(listed).toMatchObject({ displayName: "Frank Field", isOwner: true });

    const back = await call("PATCH", `/admins/${frank}`, owner, { isOwner: false });
    expect(back.json()).toMatchObject({ displayName: "Frank Field", isOwner: false });
    expect((await call("GET", "/admins", session)).statusCode).toBe(403);
  });

  it("PM1: an owner sets a new password: the administrator's sessions end at once, the old password no longer signs in, the new one does; it is never echoed nor logged", async () => {
    const login = `frank-${f.ids.suffix}`;
    const frank = (await call("GET", "/admins", owner))
      .json()
      .items.find((a: { login: string }) => a.login === login).id as string;
    const session = await signIn(login, password);
    const fresh = "a brand new password for frank";
    const reset = await call("PATCH", `/admins/${frank}`, owner, { password: fresh });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(reset.body).not.toContain(fresh);
    expect(f.logs.lines.join("\n")).not.toContain(fresh);
    expect((await call("GET", "/auth/me", session)).statusCode).toBe(401);
    const old = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login, password },
    });
    expect(old.statusCode).toBe(401);
    const again = await signIn(login, fresh);
    expect((await call("GET", "/auth/me", again)).json()).toMatchObject({ id: frank, isOwner: false });
  });

  it("PM1: an owner cannot take away their own owner role; a non-owner edits no one; a bad value names its field", async () => {
    const admins = (await call("GET", "/admins", owner)).json().items as Array<{ id: string; login: string }>;
    const me = admins.find((a) => a.login === `owner-${f.ids.suffix}`);
    const frank = admins.find((a) => a.login === `frank-${f.ids.suffix}`);
    if (!me || !frank) throw new Error("fixture");
    const self = await call("PATCH", `/admins/${me.id}`, owner, { isOwner: false });
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ code: "cannot_demote_self", errors: [{ field: "body.isOwner" }] });
    expect((await call("GET", "/auth/me", owner)).json().isOwner).toBe(true);
    // Their own display name, though, is theirs to change.
    const named = await call("PATCH", `/admins/${me.id}`, owner, { displayName: "Olivia Owner" });
    expect(named.statusCode, named.body).toBe(200);

    const session = await signIn(`frank-${f.ids.suffix}`, "a brand new password for frank");
    for (const [who, target] of [
      [session, frank.id],
      [session, me.id],
      [auth(f.tokens.write), frank.id],
    ] as const) {
      const r = await call("PATCH", `/admins/${target}`, who, { isOwner: true });
      expect(r.statusCode).toBe(403);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
    expect((await call("GET", "/auth/me", session)).json().isOwner).toBe(false);

    for (const [payload, field] of [
      [{ password: "short" }, "body.password"],
      [{ password: "p".repeat(1001) }, "body.password"],
      [{ displayName: "a\u0000b" }, "body.displayName"],
      [{ displayName: "   " }, "body.displayName"],
      [{ isOwner: "yes" }, "body.isOwner"],
      [{}, "body"],
    ] as const) {
      const r = await call("PATCH", `/admins/${frank.id}`, owner, payload);
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
      expect(r.json().errors[0].field).toBe(field);
      expect(r.body).not.toContain('"short"');
    }
    expect((await call("PATCH", "/admins/no-such-admin", owner, { displayName: "X" })).statusCode).toBe(404);
  });

  it("PM1: an owner disables an administrator: their session ends, they cannot sign in, the API tokens they created stop; enabled again, all comes back; never oneself", async () => {
    const login = `ivy-${f.ids.suffix}`;
    const created = await call("POST", "/admins", owner, {
      login,
      password,
      grants: [{ spaceId: f.ids.spaceA, role: "manage" }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const ivy = created.json().id as string;
    const listed = async () =>
      (await call("GET", "/admins", owner)).json().items.find((a: { id: string }) => a.id === ivy);
    expect((await listed()).lastSignInAt).toBeUndefined();
    const session = await signIn(login, password);
    // When they last signed in: owners see dormant accounts.
    expect((await listed()).lastSignInAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const minted = await call("POST", "/auth/tokens", session, {
      name: "ivy's script",
      grants: [{ spaceId: f.ids.spaceA, role: "read" }],
    });
    expect(minted.statusCode, minted.body).toBe(201);
    const token = auth(minted.json().token as string);
    expect((await call("GET", `/spaces/${f.ids.spaceA}/apps`, token)).statusCode).toBe(200);

    const off = await call("PATCH", `/admins/${ivy}`, owner, { disabled: true });
    expect(off.statusCode, off.body).toBe(200);
    expect(off.json()).toMatchObject({ disabled: true, grants: [{ spaceId: f.ids.spaceA, role: "manage" }] });
    expect((await call("GET", "/auth/me", session)).statusCode).toBe(401);
    const refused = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login, password },
    });
    expect(refused.statusCode).toBe(401);
    // The token has no role left there: the space is not shown (invariant 6).
    expect((await call("GET", `/spaces/${f.ids.spaceA}/apps`, token)).statusCode).toBe(404);

    const on = await call("PATCH", `/admins/${ivy}`, owner, { disabled: false });
    expect(on.json()).toMatchObject({ disabled: false });
    // The session the disable ended stays ended: enabled, they sign in anew.
    expect((await call("GET", "/auth/me", session)).statusCode).toBe(401);
    expect((await call("GET", "/auth/me", await signIn(login, password))).statusCode).toBe(200);
    expect((await call("GET", `/spaces/${f.ids.spaceA}/apps`, token)).statusCode).toBe(200);

    const me = (await call("GET", "/auth/me", owner)).json().id as string;
    const self = await call("PATCH", `/admins/${me}`, owner, { disabled: true });
    expect(self.statusCode).toBe(409);
    expect(self.json()).toMatchObject({ code: "cannot_disable_self", errors: [{ field: "body.disabled" }] });
    expect((await call("GET", "/auth/me", owner)).statusCode).toBe(200);
  });

  it("NT3: an owner sets an administrator's e-mail and notification e-mails; asking without an address, or a bad address, names its field and changes nothing", async () => {
    const login = `jo-${f.ids.suffix}`;
    const address = `jo-${f.ids.suffix}@example.org`;
    const bare = await call("POST", "/admins", owner, { login, password, notifyByEmail: true });
    expect(bare.statusCode).toBe(400);
    expect(bare.json()).toMatchObject({ code: "email_needed", errors: [{ field: "body.notifyByEmail" }] });
    const created = await call("POST", "/admins", owner, {
      login,
      password,
      email: address,
      notifyByEmail: true,
      grants: [{ spaceId: f.ids.spaceA, role: "read" }],
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ email: address, notifyByEmail: true });
    const jo = created.json().id as string;

    const badAddress = await call("PATCH", `/admins/${jo}`, owner, { email: "not an address" });
    expect(badAddress.statusCode).toBe(400);
    expect(badAddress.json()).toMatchObject({ errors: [{ field: "body.email" }] });
    // Removing the address stops the e-mails; asking again without one is refused.
    const removed = await call("PATCH", `/admins/${jo}`, owner, { email: null });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toMatchObject({ notifyByEmail: false });
    expect(removed.json().email).toBeUndefined();
    const again = await call("PATCH", `/admins/${jo}`, owner, { notifyByEmail: true, displayName: "Jo" });
    expect(again.json()).toMatchObject({ code: "email_needed" });
    const listed = (await call("GET", "/admins", owner))
      .json()
      .items.find((a: { id: string }) => a.id === jo);
    expect(listed).toMatchObject({ displayName: login, notifyByEmail: false });
    // Edits and the e-mail in one request.
    const both = await call("PATCH", `/admins/${jo}`, owner, {
      displayName: "Jo",
      email: address,
      notifyByEmail: true,
    });
    expect(both.json()).toMatchObject({ displayName: "Jo", email: address, notifyByEmail: true });
  });

  it("NT3: an administrator sets their own address and asks for their spaces' notifications (GET and PATCH /auth/me); an API token cannot", async () => {
    const login = `kim-${f.ids.suffix}`;
    const created = await call("POST", "/admins", owner, {
      login,
      password,
      grants: [{ spaceId: f.ids.spaceB, role: "manage" }],
    });
    expect(created.statusCode, created.body).toBe(201);
    const kim = await signIn(login, password);
    const before = (await call("GET", "/auth/me", kim)).json();
    expect(before).toMatchObject({ kind: "admin", notifyByEmail: false });
    expect(typeof before.emailNotifications).toBe("boolean");
    const asks = await call("PATCH", "/auth/me", kim, { notifyByEmail: true });
    expect(asks.statusCode).toBe(400);
    expect(asks.json()).toMatchObject({ code: "email_needed", errors: [{ field: "body.notifyByEmail" }] });
    const set = await call("PATCH", "/auth/me", kim, {
      email: `kim-${f.ids.suffix}@example.org`,
      notifyByEmail: true,
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ email: `kim-${f.ids.suffix}@example.org`, notifyByEmail: true });
    expect((await call("GET", "/auth/me", kim)).json()).toMatchObject({ notifyByEmail: true });
    expect((await call("PATCH", "/auth/me", kim, {})).statusCode).toBe(400);
    // Their language, their e-mails' too (the console saves its own there).
    // None yet (the console saves its own the first time): their e-mails are in English.
    expect((await call("GET", "/auth/me", kim)).json().language).toBeUndefined();
    const french = await call("PATCH", "/auth/me", kim, { language: "fr" });
    expect(french.json()).toMatchObject({ language: "fr", notifyByEmail: true });
    const klingon = await call("PATCH", "/auth/me", kim, { language: "tlh" });
    expect(klingon.statusCode).toBe(400);
    expect(klingon.json()).toMatchObject({ errors: [{ field: "body.language" }] });

    const minted = await call("POST", "/auth/tokens", kim, {
      name: "kim's script",
      grants: [{ spaceId: f.ids.spaceB, role: "read" }],
    });
    const token = auth(minted.json().token as string);
    const byToken = await call(
      "PATCH",
      "/auth/me",
      { ...token, "x-orchard-csrf": "1" },
      { notifyByEmail: false },
    );
    expect(byToken.statusCode).toBe(403);
    expect(byToken.json()).toMatchObject({ code: "administrators_only" });
    expect((await call("GET", "/auth/me", token)).json().email).toBeUndefined();
  });

  it("PM1: two owners taking away each other's owner role at once leave one owner", async () => {
    const makeOwner = async (login: string) => {
      const r = await call("POST", "/admins", owner, { login, password, isOwner: true });
      expect(r.statusCode, r.body).toBe(201);
      return { id: r.json().id as string, session: await signIn(login, password) };
    };
    const gus = await makeOwner(`gus-${f.ids.suffix}`);
    const hal = await makeOwner(`hal-${f.ids.suffix}`);
    const [byGus, byHal] = await Promise.all([
      call("PATCH", `/admins/${hal.id}`, gus.session, { isOwner: false }),
      call("PATCH", `/admins/${gus.id}`, hal.session, { isOwner: false }),
    ]);
    expect([byGus.statusCode, byHal.statusCode].sort()).toEqual([200, 403]);
    const owners = (await call("GET", "/admins", owner))
      .json()
      .items.filter((a: { id: string; isOwner: boolean }) => [gus.id, hal.id].includes(a.id) && a.isOwner);
    expect(owners).toHaveLength(1);
  });

  it("a name with a control character is a 400 on its field, never a 500", async () => {
    for (const [method, url, payload, field] of [
      ["POST", "/spaces", { name: "a\u0000b" }, "body.name"],
      ["POST", "/admins", { login: "x\u0000y", password }, "body.login"],
      ["PUT", `/spaces/${f.ids.spaceA}/name`, { name: "tab\there" }, "body.name"],
    ] as const) {
      const r = await call(method, url, owner, payload);
      expect(r.statusCode, `${method} ${url}`).toBe(400);
      expect(r.json().errors[0].field).toBe(field);
    }
  });

  it("an owner creates and renames a space; a blank name names its field; a non-owner may not rename; an unknown space is 404", async () => {
    const created = await call("POST", "/spaces", owner, { name: `Lyon ${f.ids.suffix}` });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ isDefault: false, appsAndBooksEnabled: true });

    const renamed = await call("PUT", `/spaces/${id}/name`, owner, {
      name: `  Lyon campus ${f.ids.suffix} `,
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    expect(renamed.json()).toMatchObject({ id, name: `Lyon campus ${f.ids.suffix}` });
    const listed = (await call("GET", "/spaces", owner))
      .json()
      .items.find((s: { id: string }) => s.id === id);
    expect(listed).toMatchObject({ name: `Lyon campus ${f.ids.suffix}`, role: "manage" });

    const blank = await call("PUT", `/spaces/${id}/name`, owner, { name: "  " });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().errors[0].field).toBe("body.name");
    const manager = await call("PUT", `/spaces/${f.ids.spaceA}/name`, auth(f.tokens.write), { name: "Mine" });
    expect(manager.statusCode).toBe(403);
    expect((await call("PUT", "/spaces/no-such-space/name", owner, { name: "X" })).statusCode).toBe(404);
  });
});
