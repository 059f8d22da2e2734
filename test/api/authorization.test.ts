import { expect, it } from "vitest";
import { parseApiToken } from "../../src/auth/secrets.js";
import { revokeApiToken } from "../../src/store/auth.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, ownerSession } from "./harness.js";
import { type RouteCase, routeCases, withSpace } from "./routes.js";

/**
 * PM1 and invariant 6 on every route: no credentials -> 401; a principal without a role
 * in the space, or with a role in another space only -> 404 as if it did not exist; a
 * read-only role asking to change -> 403; the roles that may -> neither, and never 5xx.
 */
describeEachDatabase("authorization on every route", (db) => {
  let f: Fixture;
  let cases: RouteCase[] = [];
  const call = (c: RouteCase, token: string | undefined, url = withSpace(c, f.ids.spaceA)) =>
    f.app.inject({
      method: c.method as "GET",
      url,
      headers: token ? auth(token) : {},
      ...(c.method === "GET" || c.method === "DELETE" ? {} : { payload: {} }),
    });

  it("lists the routes from the OpenAPI document", async () => {
    f = await buildFixture(db().store);
    cases = routeCases(f.app, f);
    expect(cases.length).toBeGreaterThan(45);
  });

  it("answers 401 without credentials, except on public routes", async () => {
    for (const c of cases.filter((c) => c.kind !== "public")) {
      const r = await call(c, undefined);
      expect(r.statusCode, `${c.method} ${c.path}`).toBe(401);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
  });

  it("invariant 6: a space route for a principal with no role, or a role in another space only, is 404", async () => {
    for (const c of cases.filter((c) => c.kind === "read" || c.kind === "write")) {
      for (const token of [f.tokens.none, f.tokens.other]) {
        const r = await call(c, token);
        expect(r.statusCode, `${c.method} ${c.path}`).toBe(404);
        expect(r.json().code).toBe("not_found");
      }
    }
  });

  it("invariant 6: an owner naming a space that does not exist gets 404 on every space route, never a 200 of nothing", async () => {
    const ghost = "no-such-space";
    const owner = await ownerSession(f);
    for (const c of cases.filter((c) => c.kind === "read" || c.kind === "write")) {
      const url = c.url.includes(f.ids.spaceA) ? c.url.replace(f.ids.spaceA, ghost) : withSpace(c, ghost);
      const r = await f.app.inject({
        method: c.method as "GET",
        url,
        headers: owner,
        ...(c.method === "GET" || c.method === "DELETE" ? {} : { payload: {} }),
      });
      expect(r.statusCode, `${c.method} ${url}: ${r.body}`).toBe(404);
      expect(r.json()).toMatchObject({ code: "not_found", detail: `space ${ghost} does not exist` });
    }
  });

  it("PM1: the read-only role reads but never changes (403 on every write route)", async () => {
    for (const c of cases.filter((c) => c.kind === "write")) {
      const r = await call(c, f.tokens.read);
      expect(r.statusCode, `${c.method} ${c.path}`).toBe(403);
      expect(r.json().code).toBe("forbidden");
    }
    for (const c of cases.filter((c) => c.kind === "read")) {
      const r = await call(c, f.tokens.read);
      expect([401, 403], `${c.method} ${c.path}`).not.toContain(r.statusCode);
      expect(r.statusCode, `${c.method} ${c.path}: ${r.body}`).toBeLessThan(500);
    }
  });

  it("owner routes refuse every non-owner with 403", async () => {
    for (const c of cases.filter((c) => c.kind === "owner")) {
      const r = await call(c, f.tokens.write);
      expect(r.statusCode, `${c.method} ${c.path}`).toBe(403);
    }
  });

  it("PM1: App and content management passes authorization on every space route, never 5xx", async () => {
    // Writes last, deletions at the very end: earlier calls see the fixture intact.
    const order = [
      ...cases.filter((c) => c.kind === "read"),
      ...cases.filter((c) => c.kind === "write" && c.method !== "DELETE"),
      ...cases.filter((c) => c.method === "DELETE" && c.kind === "write"),
    ];
    for (const c of order) {
      const r = await call(c, f.tokens.write);
      expect([401, 403], `${c.method} ${c.path}`).not.toContain(r.statusCode);
      expect(r.statusCode, `${c.method} ${c.path}: ${r.body}`).toBeLessThan(500);
    }
  });

  it("a license of another space is 404 even for a manager (ids do not cross spaces)", async () => {
    const other = await f.app.inject({
      url: `/api/v1/spaces/${f.ids.spaceB}/licenses/${f.ids.licenseA}`,
      headers: auth(f.tokens.other),
    });
    expect(other.statusCode).toBe(404);
    const user = await f.app.inject({
      url: `/api/v1/spaces/${f.ids.spaceB}/users/${f.ids.userA}`,
      headers: auth(f.tokens.other),
    });
    expect(user.statusCode).toBe(404);
  });

  it("a wrong or revoked API token is 401", async () => {
    const r = await f.app.inject({
      url: "/api/v1/spaces",
      headers: auth(`orch_tok_aaaaaaaaaaaa_${"b".repeat(43)}`),
    });
    expect(r.statusCode).toBe(401);
    const tokenId = parseApiToken(f.tokens.none)?.id ?? "";
    await revokeApiToken(db().store.db, tokenId, new Date());
    expect((await f.app.inject({ url: "/api/v1/spaces", headers: auth(f.tokens.none) })).statusCode).toBe(
      401,
    );
  });

  it("a token revoked through the API is refused on its very next call (principals are cached, issue 5)", async () => {
    const used = await f.app.inject({ url: "/api/v1/spaces", headers: auth(f.tokens.read) });
    expect(used.statusCode).toBe(200);
    const signIn = await f.app.inject({
      method: "POST",
      url: "/api/v1/auth/login",
      payload: { login: `reader-${f.ids.suffix}`, password: "correct horse battery" },
    });
    expect(signIn.statusCode).toBe(200);
    const cookie = signIn.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
    const session = { cookie: `orchard_session=${cookie}`, "x-orchard-csrf": "1" };
    const tokenId = parseApiToken(f.tokens.read)?.id ?? "";
    const revoked = await f.app.inject({
      method: "DELETE",
      url: `/api/v1/auth/tokens/${tokenId}`,
      headers: session,
    });
    expect(revoked.statusCode).toBe(204);
    const after = await f.app.inject({ url: "/api/v1/spaces", headers: auth(f.tokens.read) });
    expect(after.statusCode).toBe(401);
    // The session itself ends at once at sign-out.
    expect((await f.app.inject({ url: "/api/v1/auth/me", headers: session })).statusCode).toBe(200);
    await f.app.inject({ method: "POST", url: "/api/v1/auth/logout", headers: session });
    expect((await f.app.inject({ url: "/api/v1/auth/me", headers: session })).statusCode).toBe(401);
  });
});
