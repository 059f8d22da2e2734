import { expect, it } from "vitest";
import { setAccountHealth } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, INNER_TOKEN, NOW, STOKEN } from "./harness.js";

/**
 * GET /spaces/:spaceId/accounts/:accountId/apple-work: what an account still owes Apple
 * (invariant 3), paused accounts (NT2), and the API's rules: PM1 (read-only may read),
 * invariant 6 (another space's answers 404), invariant 5 (never the sToken), problem+json.
 */
describeEachDatabase("API: an account's Apple work", (db) => {
  let f: Fixture;
  const url = (spaceId: string, accountId: string, query = "") =>
    `/api/v1/spaces/${spaceId}/accounts/${accountId}/apple-work${query}`;
  const get = (path: string, token?: string) =>
    f.app.inject({ method: "GET", url: path, headers: token ? auth(token) : {} });

  it("PM1: the read-only role reads the work; invariant 3: the fixture's grant waits to be sent", async () => {
    f = await buildFixture(db().store);
    const r = await get(url(f.ids.spaceA, f.ids.accountA), f.tokens.read);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers["content-type"]).toMatch(/application\/json/);
    const body = r.json();
    expect(body).toMatchObject({
      accountId: f.ids.accountA,
      displayName: "Main",
      health: "ok",
      paused: false,
      asOf: NOW.toISOString(),
      pending: { total: 1, byKind: [{ kind: "associate", count: 1, waitingRetry: 0 }], waitingRetry: 0 },
      inFlight: { calls: 0, operations: 0, items: [] },
      failures: { total: 0, items: [] },
    });
    expect(body.pending.oldestCreatedAt).toBe(NOW.toISOString());
  });

  it("invariant 5: never the sToken, nor anything of it", async () => {
    const r = await get(url(f.ids.spaceA, f.ids.accountA), f.tokens.write);
    expect(r.statusCode).toBe(200);
    expect(r.body).not.toContain(INNER_TOKEN);
    expect(r.body).not.toContain(STOKEN);
    expect(r.body).not.toMatch(/stoken|ciphertext/i);
  });

  it("NT2: a token problem shows the account as paused, its work still there", async () => {
    await setAccountHealth(db().store.db, f.ids.spaceA, f.ids.accountA, "expired", NOW);
    const r = await get(url(f.ids.spaceA, f.ids.accountA), f.tokens.read);
    expect(r.json()).toMatchObject({ health: "expired", paused: true, pending: { total: 1 } });
    await setAccountHealth(db().store.db, f.ids.spaceA, f.ids.accountA, "ok", NOW);
  });

  it("invariant 6: another space's account, or a principal of another space, is 404 problem+json", async () => {
    const cases = [
      // A manager of space B, asking through space B for space A's account.
      { path: url(f.ids.spaceB, f.ids.accountA), token: f.tokens.other },
      // A manager of space B, asking space A directly.
      { path: url(f.ids.spaceA, f.ids.accountA), token: f.tokens.other },
      // No role anywhere.
      { path: url(f.ids.spaceA, f.ids.accountA), token: f.tokens.none },
      // A reader of space A, asking for space B's account through space A.
      { path: url(f.ids.spaceA, f.ids.accountB), token: f.tokens.read },
      // An account that does not exist.
      { path: url(f.ids.spaceA, "no-such-account"), token: f.tokens.read },
    ];
    for (const c of cases) {
      const r = await get(c.path, c.token);
      expect(r.statusCode, c.path).toBe(404);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(r.json()).toMatchObject({ status: 404, code: "not_found" });
      expect(r.body).not.toContain("Other"); // space B's account name never leaks
    }
  });

  it("401 without credentials", async () => {
    const r = await get(url(f.ids.spaceA, f.ids.accountA));
    expect(r.statusCode).toBe(401);
    expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
  });

  it("bad ids are a 4xx problem+json, never 200 nor 5xx", async () => {
    for (const accountId of ["x".repeat(201), "%00", "..", "%2e%2e%2f%2e%2e", "a%20b", "'%20or%201=1--"]) {
      const path = url(f.ids.spaceA, accountId);
      const r = await get(path, f.tokens.read);
      expect(r.statusCode, `${path}: ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, path).toBeLessThan(500);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
    for (const spaceId of ["x".repeat(201), "%00", "no-such-space"]) {
      const r = await get(url(spaceId, f.ids.accountA), f.tokens.read);
      expect(r.statusCode, spaceId).toBe(404);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
    }
  });

  it("bad query values are 400 problem+json naming the field", async () => {
    for (const query of [
      "?failures=lots",
      "?failures=101",
      "?failures=-1",
      "?failures=1.5",
      "?failures=0x10",
      "?failures=1e1",
      "?failures=1&failures=2",
    ]) {
      const r = await get(url(f.ids.spaceA, f.ids.accountA, query), f.tokens.read);
      expect(r.statusCode, query).toBe(400);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      const problem = r.json();
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain("querystring.failures");
    }
    const ok = await get(url(f.ids.spaceA, f.ids.accountA, "?failures=0"), f.tokens.read);
    expect(ok.statusCode).toBe(200);
  });

  it("is documented in the OpenAPI document with its schema", async () => {
    const doc = f.app.swagger() as {
      paths: Record<string, Record<string, { summary?: string }>>;
      components?: { schemas?: Record<string, unknown> };
    };
    const path = doc.paths["/api/v1/spaces/{spaceId}/accounts/{accountId}/apple-work"];
    expect(path?.get?.summary).toMatch(/Apple work/);
    expect(doc.components?.schemas?.AppleWork).toBeDefined();
  });
});
