import { expect, it } from "vitest";
import { adminPrincipal, issueApiToken } from "../../src/auth/auth.service.js";
import { findAdminForLogin, setGrants } from "../../src/store/auth.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

type Operation = { "x-orchard-roles"?: string[] };
const PASSWORD = "correct horse battery";
const DAY_MS = 86_400_000;

/**
 * PM1, least privilege for MDMs: an API token of role `mdm` calls exactly the routes the
 * OpenAPI document marks for it (`x-orchard-roles`), every other space route is a 403; a
 * token may end (`expiresAt`, `expiresInDays`) and is then a 401 `api_token_expired`.
 */
describeEachDatabase("API tokens: the mdm role and expiry", (db) => {
  let f: Fixture;
  let mdm = "";
  const spaceA = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const signIn = async (who: string) => {
    const r = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: `${who}-${f.ids.suffix}`, password: PASSWORD },
    });
    expect(r.statusCode, r.body).toBe(200);
    const cookie = r.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
    return { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
  };
  const createToken = async (session: Record<string, string>, payload: object) =>
    f.app.inject({ method: "POST", url: "/api/v1/auth/tokens", headers: session, payload });

  it("PM1: an mdm token calls exactly the routes marked mdm in the OpenAPI document; any other space route is a 403 naming its role", async () => {
    f = await buildFixture(db().store);
    const writer = await findAdminForLogin(db().store.db, `writer-${f.ids.suffix}`);
    if (!writer) throw new Error("no writer");
    const creator = await adminPrincipal(db().store.db, writer, "token");
    mdm = (
      await issueApiToken(db().store.db, creator, {
        name: "MDM",
        grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
        now: NOW,
      })
    ).token;

    const doc = f.app.swagger() as { paths: Record<string, Record<string, Operation>> };
    const roles = (path: string, method: string) =>
      doc.paths[`/api/v1${path}`]?.[method]?.["x-orchard-roles"];
    // The MDM's own calls are open to it, the administration is not (README, "For MDM vendors").
    expect(roles("/spaces/{spaceId}/mdm/check-in", "post")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/mdm/commands", "get")).toEqual(["manage", "read", "mdm"]);
    expect(roles("/spaces/{spaceId}/mdm/commands/ack", "post")).toContain("mdm");
    expect(roles("/spaces/{spaceId}/devices/{deviceId}/events", "post")).toContain("mdm");
    expect(roles("/spaces/{spaceId}/license-requests", "post")).toContain("mdm");
    // The change feed it follows (invariant 4).
    expect(roles("/spaces/{spaceId}/activity/feed", "get")).toEqual(["manage", "read", "mdm"]);
    expect(roles("/spaces/{spaceId}/devices/{deviceId}/installed-apps", "get")).toEqual([
      "manage",
      "read",
      "mdm",
    ]);
    // The devices and users it creates, changes and deletes (README).
    expect(roles("/spaces/{spaceId}/devices/{deviceId}", "delete")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/users/{userId}", "delete")).toEqual(["manage", "mdm"]);
    // Its directory's users in bulk, and its groups and their members (an MDM mirrors them).
    expect(roles("/spaces/{spaceId}/users/bulk", "post")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/groups", "post")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/groups/{groupId}", "delete")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/groups/{groupId}/members", "get")).toEqual(["manage", "read", "mdm"]);
    expect(roles("/spaces/{spaceId}/groups/{groupId}/members", "post")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/groups/{groupId}/members", "delete")).toEqual(["manage", "mdm"]);
    expect(roles("/spaces/{spaceId}/accounts", "post")).toEqual(["manage"]);
    expect(roles("/spaces/{spaceId}/licenses/reclaim", "post")).toEqual(["manage"]);
    expect(doc.paths["/api/v1/spaces/{spaceId}/mdm/check-in"]?.post).toMatchObject({
      description: expect.stringContaining("role `mdm` may call this route"),
    });

    const cases = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op["x-orchard-roles"] !== undefined)
        .map(([method, op]) => ({
          method: method.toUpperCase() as "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
          url: path
            .replace("{spaceId}", f.ids.spaceA)
            .replace("{accountId}", f.ids.accountA)
            .replace("{adamId}", f.ids.adamId)
            .replace("{userId}", f.ids.userA)
            .replace("{deviceId}", f.ids.deviceA)
            .replace("{groupId}", f.ids.groupA)
            .replace("{licenseId}", f.ids.licenseA)
            .replace("{notificationId}", f.ids.notificationA)
            .replace(/\{\w+\}/g, "x"),
          allowed: op["x-orchard-roles"]?.includes("mdm") === true,
        })),
    );
    expect(cases.filter((c) => c.allowed).length).toBeGreaterThan(20);
    expect(cases.filter((c) => !c.allowed).length).toBeGreaterThan(20);
    // Refusals first, deletions last: the allowed calls see the fixture intact.
    const order = [
      ...cases.filter((c) => !c.allowed),
      ...cases.filter((c) => c.allowed && c.method !== "DELETE"),
      ...cases.filter((c) => c.allowed && c.method === "DELETE"),
    ];
    for (const c of order) {
      const url = c.url.includes("/spaces/") ? c.url : `${c.url}?space=${f.ids.spaceA}`;
      const r = await f.app.inject({
        method: c.method,
        url,
        headers: auth(mdm),
        ...(c.method === "GET" || c.method === "DELETE" ? {} : { payload: {} }),
      });
      if (c.allowed) {
        expect([401, 403], `${c.method} ${c.url}: ${r.body}`).not.toContain(r.statusCode);
        expect(r.statusCode, `${c.method} ${c.url}: ${r.body}`).toBeLessThan(500);
      } else {
        expect(r.statusCode, `${c.method} ${c.url}`).toBe(403);
        expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
        expect(r.json()).toMatchObject({ code: "forbidden", title: expect.stringContaining("role (mdm)") });
      }
    }
  });

  it("PM1: an mdm token checks a device in and reads the command feed; accounts, rules, reclaim, admins and tokens are refused", async () => {
    const send = (method: "GET" | "POST" | "PUT", url: string, payload?: object) =>
      f.app.inject({ method, url, headers: auth(mdm), ...(payload ? { payload } : {}) });
    const serial = `MDM${f.ids.suffix}`.toUpperCase();
    expect(
      (await send("POST", `${spaceA()}/devices`, { serialNumber: serial, platform: "iOS" })).statusCode,
    ).toBe(201);
    const checkIn = await send("POST", `${spaceA()}/mdm/check-in`, { serialNumber: serial, installed: [] });
    expect(checkIn.statusCode, checkIn.body).toBe(200);
    const feed = await send("GET", `${spaceA()}/mdm/commands?ready=true`);
    expect(feed.statusCode, feed.body).toBe(200);
    expect(feed.json()).toHaveProperty("items");
    // The space's apps, for the MDM's own catalog: bundle ids, types, counts.
    const apps = await send("GET", `${spaceA()}/apps`);
    expect(apps.statusCode, apps.body).toBe(200);
    expect(apps.json().items[0]).toMatchObject({ adamId: f.ids.adamId, productType: "App" });

    for (const [method, url, payload] of [
      ["POST", `${spaceA()}/accounts`, { displayName: "X", sToken: "x" }],
      ["PUT", `${spaceA()}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`, {}],
      ["POST", `${spaceA()}/licenses/reclaim`, {}],
      ["GET", `${spaceA()}/activity`, undefined],
    ] as const) {
      const r = await send(method, url, payload);
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().title).toContain("role (mdm)");
    }
    // Not an owner, not an administrator: neither administrators nor tokens of its own.
    expect((await send("POST", "/api/v1/admins", { login: "x", password: "y" })).statusCode).toBe(403);
    expect(
      (
        await send("POST", "/api/v1/auth/tokens", {
          name: "x",
          grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
        })
      ).statusCode,
    ).toBe(403);
    // Who it is, and its one space, it may read.
    const me = await send("GET", "/api/v1/auth/me");
    expect(me.json().grants).toEqual([{ spaceId: f.ids.spaceA, role: "mdm" }]);
    const spaces = await send("GET", "/api/v1/spaces");
    expect(spaces.json().items).toEqual([expect.objectContaining({ id: f.ids.spaceA, role: "mdm" })]);
  });

  it("PM1: admins never get mdm (400, and the table refuses it); only a manager gives it", async () => {
    const owner = await signIn("owner");
    const writer = await findAdminForLogin(db().store.db, `writer-${f.ids.suffix}`);
    const put = await f.app.inject({
      method: "PUT",
      url: `/api/v1/admins/${writer?.id}/grants`,
      headers: owner,
      payload: { grants: [{ spaceId: f.ids.spaceA, role: "mdm" }] },
    });
    expect(put.statusCode).toBe(400);
    expect(put.json().errors[0].field).toBe("body.grants.0.role");
    await expect(
      setGrants(db().store.db, { kind: "admin", id: writer?.id ?? "" }, [
        { spaceId: f.ids.spaceA, role: "mdm" as "read" },
      ]),
    ).rejects.toThrow(/role_grants_role_check/);
    // A read-only administrator's token cannot change anything: no mdm to give.
    const reader = await signIn("reader");
    const refused = await createToken(reader, {
      name: "r",
      grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().code).toBe("grant_exceeds_own_role");
  });

  it("PM1: a grant may name the default space `default`, as a path does; it is granted, and listed, by the space's id", async () => {
    const store = db().store.db;
    await store.updateTable("spaces").set({ is_default: false }).execute();
    await store.updateTable("spaces").set({ is_default: true }).where("id", "=", f.ids.spaceA).execute();
    const owner = await signIn("owner");
    const made = await createToken(owner, {
      name: "mdm via alias",
      grants: [{ spaceId: "default", role: "mdm" }],
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json().grants).toEqual([{ spaceId: f.ids.spaceA, role: "mdm" }]);
    const checkIn = await f.app.inject({
      method: "GET",
      url: "/api/v1/spaces/default/mdm/commands",
      headers: auth(made.json().token),
    });
    expect(checkIn.statusCode, checkIn.body).toBe(200);
    // Named twice, by its alias and its id: one space, refused as such.
    const twice = await createToken(owner, {
      name: "twice",
      grants: [
        { spaceId: "default", role: "mdm" },
        { spaceId: f.ids.spaceA, role: "read" },
      ],
    });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().errors[0]).toMatchObject({
      field: "body.grants.1.spaceId",
      message: "one role per space",
    });
  });

  it("a token with an end works until then, shows it and its last use; an expired one is a 401 api_token_expired, not an unknown token", async () => {
    const writer = await signIn("writer");
    const created = await createToken(writer, {
      name: "MDM for 30 days",
      grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
      expiresInDays: 30,
    });
    expect(created.statusCode, created.body).toBe(201);
    const fresh = created.json();
    expect(fresh).toMatchObject({
      expiresAt: new Date(NOW.getTime() + 30 * DAY_MS).toISOString(),
      expired: false,
      grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
    });
    expect(
      (await f.app.inject({ url: `${spaceA()}/mdm/commands`, headers: auth(fresh.token) })).statusCode,
    ).toBe(200);

    const admin = await findAdminForLogin(db().store.db, `writer-${f.ids.suffix}`);
    if (!admin) throw new Error("no writer");
    const ended = await issueApiToken(db().store.db, await adminPrincipal(db().store.db, admin, "token"), {
      name: "ended",
      grants: [{ spaceId: f.ids.spaceA, role: "mdm" }],
      now: new Date(NOW.getTime() - DAY_MS),
      expiresAt: NOW,
    });
    const expired = await f.app.inject({ url: `${spaceA()}/mdm/commands`, headers: auth(ended.token) });
    expect(expired.statusCode).toBe(401);
    expect(expired.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(expired.json()).toMatchObject({
      code: "api_token_expired",
      title: expect.stringContaining("expired"),
    });
    expect(expired.headers["www-authenticate"]).toContain('error="invalid_token"');
    // The same token with a wrong secret is unknown, whatever its end: nothing is told about it.
    const forged = ended.token.replace(/_[^_]+$/, `_${"A".repeat(43)}`);
    const unknown = await f.app.inject({ url: `${spaceA()}/mdm/commands`, headers: auth(forged) });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe("unauthenticated");

    const list = await f.app.inject({ url: "/api/v1/auth/tokens", headers: writer });
    const items = list.json().items as Array<Record<string, unknown>>;
    expect(items.find((t) => t.id === fresh.id)).toMatchObject({
      expired: false,
      expiresAt: fresh.expiresAt,
      lastUsedAt: NOW.toISOString(),
    });
    expect(items.find((t) => t.id === ended.record.id)).toMatchObject({
      expired: true,
      expiresAt: NOW.toISOString(),
    });
    expect(items.find((t) => t.id === ended.record.id)).not.toHaveProperty("lastUsedAt");
    expect(JSON.stringify(items)).not.toContain(fresh.token);
  });

  it("bad token requests are 400 problem+json naming the field: an end in the past or past 3,650 days, both ends, an unknown role, a space twice", async () => {
    const writer = await signIn("writer");
    const grants = [{ spaceId: f.ids.spaceA, role: "mdm" }];
    for (const [payload, field] of [
      [{ name: "past", grants, expiresAt: new Date(NOW.getTime() - 1000).toISOString() }, "body.expiresAt"],
      [{ name: "now", grants, expiresAt: NOW.toISOString() }, "body.expiresAt"],
      [{ name: "forever", grants, expiresAt: "9999-12-31T00:00:00Z" }, "body.expiresAt"],
      [{ name: "both", grants, expiresAt: "2027-01-01T00:00:00Z", expiresInDays: 30 }, "body.expiresInDays"],
      [{ name: "zero", grants, expiresInDays: 0 }, "body.expiresInDays"],
      [{ name: "role", grants: [{ spaceId: f.ids.spaceA, role: "superuser" }] }, "body.grants.0.role"],
      [
        { name: "twice", grants: [...grants, { spaceId: f.ids.spaceA, role: "read" }] },
        "body.grants.1.spaceId",
      ],
    ] as const) {
      const r = await createToken(writer, payload);
      expect(r.statusCode, `${payload.name}: ${r.body}`).toBe(400);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(
        r.json().errors.map((e: { field: string }) => e.field),
        payload.name,
      ).toContain(field);
    }
    // Invariant 6: a space the administrator has no role in is refused alike, existing or not.
    for (const spaceId of [f.ids.spaceB, "no-such-space"]) {
      const r = await createToken(writer, { name: "elsewhere", grants: [{ spaceId, role: "mdm" }] });
      expect(r.statusCode, spaceId).toBe(403);
      expect(r.json().code).toBe("grant_exceeds_own_role");
    }
  });
});
