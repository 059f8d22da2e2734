import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture } from "./harness.js";

describeEachDatabase("request bodies", (db) => {
  it("RV2: a revocation sent without a body, or with an empty JSON body, takes the route's defaults", async () => {
    const f = await buildFixture(db().store);
    const url = `/api/v1/spaces/${f.ids.spaceA}/licenses/${f.ids.licenseA}/revoke`;
    const bare = await f.app.inject({ method: "POST", url, headers: auth(f.tokens.write) });
    expect(bare.statusCode).toBe(200);
    expect(bare.json().revoked).toHaveLength(1);
    // Revoked already: the same call now fails on the license's state, not on the empty body.
    const empty = await f.app.inject({
      method: "POST",
      url,
      headers: { ...auth(f.tokens.write), "content-type": "application/json" },
    });
    expect(empty.statusCode).toBe(409);
    expect(empty.json().code).toBe("invalid_transition");
  });

  it("a route that needs a body says which fields are missing; broken JSON is a 400 problem, not a 500", async () => {
    const f = await buildFixture(db().store);
    const url = `/api/v1/spaces/${f.ids.spaceA}/license-requests`;
    const missing = await f.app.inject({ method: "POST", url, headers: auth(f.tokens.write) });
    expect(missing.statusCode).toBe(400);
    expect(missing.headers["content-type"]).toMatch(/problem\+json/);
    expect(missing.json().code).toBe("validation_failed");
    const broken = await f.app.inject({
      method: "POST",
      url,
      headers: { ...auth(f.tokens.write), "content-type": "application/json" },
      payload: '{"adamId": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.headers["content-type"]).toMatch(/problem\+json/);
    // Each field error says which rule it broke and the rule's figures, for a client to word it.
    const named = await f.app.inject({
      method: "POST",
      url,
      headers: auth(f.tokens.write),
      payload: { app: "1", user: "u", why: "whenever" },
    });
    expect(named.json().errors).toContainEqual(
      expect.objectContaining({
        field: "body.why",
        rule: "invalid_value",
        limits: { values: "requested, mandatory, check_in" },
      }),
    );
    const blank = await f.app.inject({
      method: "PATCH",
      url: `/api/v1/spaces/${f.ids.spaceA}/accounts/${f.ids.accountA}`,
      headers: auth(f.tokens.write),
      payload: { name: "   " },
    });
    expect(blank.statusCode, blank.body).toBe(400);
    expect(blank.json().errors).toEqual([
      expect.objectContaining({
        field: "body.name",
        rule: "too_small",
        limits: { minimum: 1, origin: "string" },
      }),
    ]);
    const poisoned = await f.app.inject({
      method: "POST",
      url,
      headers: { ...auth(f.tokens.write), "content-type": "application/json" },
      payload: '{"__proto__": {"admin": true}}',
    });
    expect(poisoned.statusCode).toBe(400);
  });

  it("a URL the router cannot read is a problem+json too: a broken escape is a 400, an id past 200 characters its field's 400 however long", async () => {
    const f = await buildFixture(db().store);
    const get = (url: string) => f.app.inject({ url, headers: auth(f.tokens.read) });
    const broken = await get(`/api/v1/spaces/${f.ids.spaceA}/devices/%E0%A4%A`);
    expect(broken.statusCode).toBe(400);
    expect(broken.headers["content-type"]).toMatch(/problem\+json/);
    expect(broken.json()).toMatchObject({ code: "bad_url", detail: expect.stringContaining("%25") });
    expect(broken.json()).toMatchObject({ code: "bad_url", detail: expect.stringContaining("%25") });
    for (const length of [201, 1001, 12_000]) {
      const longId = await get(`/api/v1/spaces/${f.ids.spaceA}/devices/${"x".repeat(length)}`);
      expect(longId.statusCode).toBe(400);
      expect(longId.json().errors[0]).toMatchObject({ field: "params.deviceId", rule: "too_big" });
    }
  });
});
