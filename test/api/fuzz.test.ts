import fc from "fast-check";
import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";
import { routeCases, withSpace } from "./routes.js";

/** Whatever a client sends, every route answers 2xx or a 4xx problem+json: never 5xx. */
describeEachDatabase("fuzzed bodies and query strings on every route", (db) => {
  let f: Fixture;
  it("never answers 5xx", async () => {
    f = await buildFixture(db().store);
    const cases = routeCases(f.app, f).filter(
      (c) => c.method !== "DELETE" && !c.path.endsWith("/auth/logout"),
    );
    const value = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
      fc.double(),
    );
    const keys = fc.constantFrom(
      "name",
      "sToken",
      "app",
      "user",
      "device",
      "why",
      "changes",
      "position",
      "confirm",
      "fcfs",
      "reservedUserIds",
      "devices",
      "serialNumber",
      "platform",
      "grants",
      "login",
      "password",
      "page",
      "pageSize",
      "sort",
      "q",
      "keys",
      "state",
      "from",
      "kind",
      "order",
    );
    const body = fc.oneof(fc.dictionary(keys, value, { maxKeys: 5 }), value, fc.string({ maxLength: 40 }));
    const query = fc.dictionary(keys, fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String)), {
      maxKeys: 4,
    });
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...cases), body, query, async (c, payload, q) => {
        const search = new URLSearchParams(q).toString();
        const url = withSpace(c, f.ids.spaceA);
        const r = await f.app.inject({
          method: c.method as "POST",
          url: search ? `${url}${url.includes("?") ? "&" : "?"}${search}` : url,
          headers: { ...auth(f.tokens.write), "content-type": "application/json" },
          ...(c.method === "GET"
            ? {}
            : { payload: typeof payload === "string" ? payload : JSON.stringify(payload) }),
        });
        expect(r.statusCode, `${c.method} ${c.path} ${r.body}`).toBeLessThan(500);
        if (r.statusCode >= 400) expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      }),
      { numRuns: 600, seed: 42 },
    );
  });
});
