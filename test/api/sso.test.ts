import { createServer } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createAdministratorFromGroups, openSession } from "../../src/auth/auth.service.js";
import { createSsoClient } from "../../src/auth/sso.js";
import { findAdminNamedBy, linkSsoSubject } from "../../src/store/auth.repo.js";
import { type IdentityProvider, startIdentityProvider } from "../auth/identity-provider.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

const CALLBACK = "http://orchard.example.test/api/v1/auth/sso/callback";

/** The fixture's owner, signed in to the console (session cookie and CSRF header). */
async function ownerSession(f: Fixture): Promise<Record<string, string>> {
  const signIn = await f.app.inject({
    method: "POST",
    url: "/api/v1/auth/login",
    payload: { login: `owner-${f.ids.suffix}`, password: "correct horse battery" },
  });
  const cookie = signIn.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
  return { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
}

/** A port of this machine nothing listens on (taken, then given back). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * How the console signs in (`GET auth/methods`), PASSWORD_LOGIN=off, and the start of single
 * sign-on over HTTP. The whole flow through a provider's pages runs in Chromium
 * (test/web/sso.test.ts).
 */
describeEachDatabase("sign-in methods and single sign-on", (db) => {
  let idp: IdentityProvider;
  beforeAll(async () => {
    idp = await startIdentityProvider({ redirectUri: CALLBACK });
  });
  afterAll(async () => {
    await idp.close();
  });
  const settings = () => ({
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    redirectUri: CALLBACK,
    loginClaim: "email",
  });
  const client = () => createSsoClient(settings());

  it("auth/methods: passwords only by default; single sign-on beside them; single sign-on alone when passwords are off", async () => {
    const cases = [
      [{}, { password: true, sso: false }],
      [{ sso: client() }, { password: true, sso: true }],
      [
        { sso: client(), passwordLogin: false },
        { password: false, sso: true },
      ],
    ] as const;
    for (const [context, expected] of cases) {
      const f = await buildFixture(db().store, { context });
      try {
        const r = await f.app.inject({ method: "GET", url: "/api/v1/auth/methods" });
        expect(r.statusCode).toBe(200);
        expect(r.json()).toEqual(expected);
      } finally {
        await f.app.close();
      }
    }
  });

  it("PASSWORD_LOGIN=off: a password sign-in is a 403 password_login_off and opens no session; API tokens go on", async () => {
    const f = await buildFixture(db().store, { context: { sso: client(), passwordLogin: false } });
    try {
      const r = await f.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { login: `writer-${f.ids.suffix}`, password: "correct horse battery" },
      });
      expect(r.statusCode).toBe(403);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(r.json()).toMatchObject({ code: "password_login_off" });
      expect(r.cookies.find((c) => c.name === "orchard_session")).toBeUndefined();
      const apps = await f.app.inject({
        method: "GET",
        url: `/api/v1/spaces/${f.ids.spaceA}/apps`,
        headers: auth(f.tokens.write),
      });
      expect(apps.statusCode).toBe(200);
    } finally {
      await f.app.close();
    }
  });

  it("single sign-on off: its routes are 404 problems saying what to set", async () => {
    const f = await buildFixture(db().store);
    try {
      for (const url of ["/api/v1/auth/sso/start", "/api/v1/auth/sso/callback?code=x&state=y"]) {
        const r = await f.app.inject({ method: "GET", url });
        expect(r.statusCode, url).toBe(404);
        expect(r.json(), url).toMatchObject({ code: "sso_off" });
        expect(r.json().title, url).toMatch(/OIDC_ISSUER/);
      }
    } finally {
      await f.app.close();
    }
  });

  it("start: to the provider with PKCE (S256), state and nonce, the flow in an HttpOnly SameSite=Lax cookie of the callback's path for 10 minutes", async () => {
    const f = await buildFixture(db().store, { context: { sso: client() } });
    try {
      const r = await f.app.inject({ method: "GET", url: "/api/v1/auth/sso/start" });
      expect(r.statusCode).toBe(302);
      const to = new URL(String(r.headers.location));
      expect(to.origin).toBe(idp.issuer);
      expect(Object.fromEntries(to.searchParams)).toMatchObject({
        client_id: idp.clientId,
        redirect_uri: CALLBACK,
        response_type: "code",
        code_challenge_method: "S256",
      });
      for (const p of ["state", "nonce", "code_challenge"])
        expect(to.searchParams.get(p)?.length).toBeGreaterThan(20);
      expect(to.searchParams.get("scope")?.split(" ")).toEqual(expect.arrayContaining(["openid", "email"]));
      const cookie = r.cookies.find((c) => c.name === "orchard_sso");
      expect(cookie).toMatchObject({
        httpOnly: true,
        sameSite: "Lax",
        path: "/api/v1/auth/sso",
        maxAge: 600,
      });
      // The verifier stays in the browser's cookie; only its challenge goes to the provider.
      const flow = JSON.parse(Buffer.from(cookie?.value ?? "", "base64url").toString("utf8"));
      expect(to.searchParams.get("code_challenge")).not.toBe(flow.verifier);
      expect(to.searchParams.get("state")).toBe(flow.state);
    } finally {
      await f.app.close();
    }
  });

  it("PM1: with single sign-on, an administrator may be created without a password; no password then opens a session; without it, a 400 names body.password", async () => {
    for (const sso of [true, false]) {
      const f = await buildFixture(db().store, sso ? { context: { sso: client() } } : {});
      try {
        const owner = await ownerSession(f);
        const login = `carol-${f.ids.suffix}@example.org`;
        const created = await f.app.inject({
          method: "POST",
          url: "/api/v1/admins",
          headers: owner,
          payload: { login, grants: [{ spaceId: f.ids.spaceA, role: "read" }] },
        });
        if (!sso) {
          expect(created.statusCode).toBe(400);
          expect(created.json()).toMatchObject({
            code: "validation_failed",
            errors: [{ field: "body.password" }],
          });
          continue;
        }
        expect(created.statusCode, created.body).toBe(201);
        // Whatever is typed as the password, it is the 401 of a wrong password.
        // The decoy's password of earlier versions too: it opens nothing.
        for (const password of ["", "!sso-only", "correct horse battery", "orchard-decoy-password"]) {
          const r = await f.app.inject({
            method: "POST",
            url: "/api/v1/auth/login",
            payload: { login, password },
          });
          expect([400, 401], password).toContain(r.statusCode);
          expect(
            r.cookies.find((c) => c.name === "orchard_session"),
            password,
          ).toBeUndefined();
        }
      } finally {
        await f.app.close();
      }
    }
  });

  it("the flow's checks: a callback with another state (login CSRF: someone else's code) is refused; a flow older than 10 minutes has expired", async () => {
    const sso = client();
    const now = new Date();
    const { flow } = await sso.start(now);
    const { state } = JSON.parse(Buffer.from(flow, "base64url").toString("utf8")) as { state: string };
    await expect(sso.finish("?code=someone-elses&state=theirs", flow, now)).rejects.toMatchObject({
      name: "SsoError",
      failure: "invalid_response",
    });
    const later = new Date(now.getTime() + 10 * 60_000 + 1);
    await expect(sso.finish(`?code=x&state=${state}`, flow, later)).rejects.toMatchObject({
      failure: "expired",
    });
    await expect(sso.finish(`?code=x&state=${state}`, "not-a-flow", now)).rejects.toMatchObject({
      failure: "expired",
    });
  });

  it("behind TLS (an https callback), the flow's cookie is Secure even when a proxy forwards plain HTTP", async () => {
    const sso = createSsoClient({
      issuer: idp.issuer,
      clientId: idp.clientId,
      clientSecret: idp.clientSecret,
      redirectUri: "https://orchard.example.test/api/v1/auth/sso/callback",
      loginClaim: "email",
    });
    const f = await buildFixture(db().store, { context: { sso } });
    try {
      const r = await f.app.inject({ method: "GET", url: "/api/v1/auth/sso/start" });
      expect(r.cookies.find((c) => c.name === "orchard_sso")).toMatchObject({ secure: true, httpOnly: true });
    } finally {
      await f.app.close();
    }
  });

  it("an owner unlinks an administrator from the provider's account (PATCH unlinkSso): the next sign-in links anew", async () => {
    const f = await buildFixture(db().store, { context: { sso: client() } });
    try {
      const owner = await ownerSession(f);
      const admins = db().store.db.withTables<{
        admins: { id: string; login: string; sso_subject: string | null };
      }>();
      const writer = await admins
        .selectFrom("admins")
        .select("id")
        .where("login", "=", `writer-${f.ids.suffix}`)
        .executeTakeFirstOrThrow();
      expect(await linkSsoSubject(db().store.db, writer.id, "https://idp.example sub-1")).toBe("linked");
      expect(await linkSsoSubject(db().store.db, writer.id, "https://idp.example sub-2")).toBe("another");
      const r = await f.app.inject({
        method: "PATCH",
        url: `/api/v1/admins/${writer.id}`,
        headers: owner,
        payload: { unlinkSso: true },
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json()).toMatchObject({ id: writer.id, login: `writer-${f.ids.suffix}` });
      expect(await linkSsoSubject(db().store.db, writer.id, "https://idp.example sub-2")).toBe("linked");
      const unknown = await f.app.inject({
        method: "PATCH",
        url: "/api/v1/admins/no-such-admin",
        headers: owner,
        payload: { unlinkSso: true },
      });
      expect(unknown.statusCode).toBe(404);
    } finally {
      await f.app.close();
    }
  });

  it("a provider that does not answer: back to the sign-in page with provider_unreachable, and the next sign-in asks it again", async () => {
    const port = await closedPort();
    const sso = createSsoClient({
      issuer: `http://127.0.0.1:${port}`,
      clientId: "x",
      clientSecret: "y",
      redirectUri: CALLBACK,
      loginClaim: "email",
    });
    const f = await buildFixture(db().store, { context: { sso } });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await f.app.inject({ method: "GET", url: "/api/v1/auth/sso/start" });
        expect(r.statusCode).toBe(302);
        expect(r.headers.location).toBe("/login?sso_error=provider_unreachable");
        expect(r.cookies.find((c) => c.name === "orchard_sso")).toBeUndefined();
      }
      expect(f.logs.lines.join("\n")).toContain("provider_unreachable");
    } finally {
      await f.app.close();
    }
  });

  it("a failure of Orchard's own in the callback: back to the sign-in page with server_error (logged as an error), never a JSON 500 in the browser", async () => {
    const real = client();
    const sso = {
      overHttps: false,
      start: (now: Date) => real.start(now),
      logoutUrl: async () => undefined,
      // What openid-client or the database could throw that is no refusal of the provider's.
      finish: async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'sub')");
      },
    };
    const f = await buildFixture(db().store, { context: { sso } });
    try {
      const r = await f.app.inject({ method: "GET", url: "/api/v1/auth/sso/callback?code=c&state=s" });
      expect(r.statusCode).toBe(302);
      expect(r.headers.location).toBe("/login?sso_error=server_error");
      expect(r.cookies.find((c) => c.name === "orchard_session")).toBeUndefined();
      const logged = f.logs.lines.map((l) => JSON.parse(l) as { level: number; msg: string });
      expect(logged).toContainEqual(expect.objectContaining({ level: 50, msg: "single sign-on refused" }));
    } finally {
      await f.app.close();
    }
  });

  it("OIDC_GROUP_ROLES: an administrator whose roles come from the provider's groups is given no password (409 roles_from_groups, on its field); listed as such", async () => {
    const f = await buildFixture(db().store, { context: { sso: client() } });
    try {
      const grouped = await createAdministratorFromGroups(db().store.db, {
        login: `grouped-${f.ids.suffix}@example.org`,
        subject: `https://idp.example grouped-${f.ids.suffix}`,
        isOwner: false,
        grants: [{ spaceId: f.ids.spaceA, role: "read" }],
        now: new Date(),
      });
      const owner = await ownerSession(f);
      const r = await f.app.inject({
        method: "PATCH",
        url: `/api/v1/admins/${grouped.id}`,
        headers: owner,
        payload: { password: "a password to get around the groups" },
      });
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ code: "roles_from_groups", errors: [{ field: "body.password" }] });
      const list = await f.app.inject({ method: "GET", url: "/api/v1/admins", headers: owner });
      expect(list.json().items.find((a: { id: string }) => a.id === grouped.id)).toMatchObject({
        ssoManaged: true,
        ssoLinked: true,
        disabled: false,
      });
    } finally {
      await f.app.close();
    }
  });

  it("sign-out: a session single sign-on opened answers the provider's sign-out (200 redirect, with its ID token as hint) when OIDC_POST_LOGOUT_REDIRECT_URI is set; a password session, or a provider that does not answer, is a plain 204", async () => {
    const back = "http://orchard.example.test/login";
    const signOut = async (f: Fixture, idToken?: string) => {
      const owner = await findAdminNamedBy(db().store.db, `owner-${f.ids.suffix}`);
      if (!owner) throw new Error("fixture");
      const session = await openSession(db().store.db, owner, new Date(), idToken);
      return f.app.inject({
        method: "POST",
        url: "/api/v1/auth/logout",
        headers: { cookie: `orchard_session=${session.sessionId}`, "x-orchard-csrf": "1" },
      });
    };
    const on = await buildFixture(db().store, {
      context: { sso: createSsoClient({ ...settings(), postLogoutRedirectUri: back }) },
    });
    try {
      const r = await signOut(on, "header.payload.signature");
      expect(r.statusCode, r.body).toBe(200);
      const to = new URL(r.json().redirect);
      expect(to.origin).toBe(idp.issuer);
      expect(to.searchParams.get("id_token_hint")).toBe("header.payload.signature");
      expect(to.searchParams.get("post_logout_redirect_uri")).toBe(back);
      expect(r.cookies.find((c) => c.name === "orchard_session")?.value).toBe("");
      expect((await signOut(on)).statusCode).toBe(204);
      expect(on.logs.lines.join("\n")).not.toContain("header.payload.signature");
    } finally {
      await on.app.close();
    }
    const unreachable = await buildFixture(db().store, {
      context: {
        sso: createSsoClient({
          ...settings(),
          issuer: `http://127.0.0.1:${await closedPort()}`,
          postLogoutRedirectUri: back,
        }),
      },
    });
    try {
      expect((await signOut(unreachable, "header.payload.signature")).statusCode).toBe(204);
      expect(unreachable.logs.lines.join("\n")).toContain("sign-out could not be reached");
    } finally {
      await unreachable.app.close();
    }
  });
});
