import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture } from "./harness.js";

/**
 * API_TOKEN_REQUESTS_PER_MINUTE: each API token has its own budget per minute, whatever it
 * calls; past it, a 429 problem+json with Retry-After. Console sessions are not counted.
 */
describeEachDatabase("API tokens: requests per minute", (db) => {
  it("a token past its budget gets 429 problem+json with Retry-After; another token and a console session go on", async () => {
    const f = await buildFixture(db().store, { tokenRateLimit: 5 });
    try {
      const apps = (headers: Record<string, string>) =>
        f.app.inject({ method: "GET", url: `/api/v1/spaces/${f.ids.spaceA}/apps`, headers });
      for (let i = 0; i < 4; i++) {
        const r = await apps(auth(f.tokens.write));
        expect(r.statusCode, r.body).toBe(200);
        expect(r.headers["x-ratelimit-remaining"]).toBe(String(4 - i));
      }
      // A request refused as invalid counts too: a loop of 400s is slowed like any other.
      const invalid = await f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}/users`,
        headers: auth(f.tokens.write),
        payload: { name: "" },
      });
      expect(invalid.statusCode).toBe(400);
      expect(invalid.headers["x-ratelimit-remaining"]).toBe("0");
      const refused = await apps(auth(f.tokens.write));
      expect(refused.statusCode).toBe(429);
      expect(refused.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 429, code: "rate_limited" });
      expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
      // Every route counts against the same budget, and a write is refused before it runs.
      const write = await f.app.inject({
        method: "POST",
        url: `/api/v1/spaces/${f.ids.spaceA}/users`,
        headers: auth(f.tokens.write),
        payload: { name: "Not created" },
      });
      expect(write.statusCode).toBe(429);
      const users = await db()
        .store.db.selectFrom("users")
        .select("name")
        .where("space_id", "=", f.ids.spaceA)
        .execute();
      expect(users.map((u) => u.name)).not.toContain("Not created");
      // Another token has a budget of its own.
      expect((await apps(auth(f.tokens.read))).statusCode).toBe(200);
      // A person in the console is not counted.
      const login = await f.app.inject({
        method: "POST",
        url: "/api/v1/auth/login",
        payload: { login: `writer-${f.ids.suffix}`, password: "correct horse battery" },
      });
      const cookie = login.cookies.find((c) => c.name === "orchard_session")?.value ?? "";
      for (let i = 0; i < 8; i++) {
        const r = await apps({ cookie: `orchard_session=${cookie}` });
        expect(r.statusCode, r.body).toBe(200);
      }
    } finally {
      await f.app.close();
    }
  });
});
