import { expect, it } from "vitest";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture } from "./harness.js";

/**
 * `default` names the default space in a path (`/spaces/default/…`) and in `?space=`: an MDM
 * working in one space needs no id. It is the same space, under the same roles: a caller
 * without a role in the default space does not reach it by its alias either.
 */
describeEachDatabase("API: the default space's alias", (db) => {
  let f: Fixture;
  const get = (url: string, token: string) => f.app.inject({ method: "GET", url, headers: auth(token) });

  it("CA3, PM1: /spaces/default/… is the default space under the caller's roles in it; what it makes is addressed by the space's id", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    // Space A is this database's default space.
    await store.updateTable("spaces").set({ is_default: false }).execute();
    await store.updateTable("spaces").set({ is_default: true }).where("id", "=", f.ids.spaceA).execute();

    const byId = await get(`/api/v1/spaces/${f.ids.spaceA}/apps`, f.tokens.read);
    const byAlias = await get("/api/v1/spaces/default/apps", f.tokens.read);
    expect(byAlias.statusCode).toBe(200);
    expect(byAlias.json()).toEqual(byId.json());
    expect((await get(`/api/v1/spaces/default/licenses/${f.ids.licenseA}`, f.tokens.read)).json().id).toBe(
      f.ids.licenseA,
    );
    expect((await get("/api/v1/spaces/default", f.tokens.read)).json().id).toBe(f.ids.spaceA);
    // A route that takes ?space=: the same.
    const explained = (space: string) =>
      get(`/api/v1/explain?space=${space}&app=${f.ids.adamId}&user=${f.ids.userA}`, f.tokens.read);
    const viaAlias = await explained("default");
    expect(viaAlias.statusCode).toBe(200);
    expect(viaAlias.json()).toEqual((await explained(f.ids.spaceA)).json());

    // Roles hold: no role in the default space, no default space; a read role writes nothing.
    expect((await get("/api/v1/spaces/default/apps", f.tokens.other)).statusCode).toBe(404);
    const write = await f.app.inject({
      method: "POST",
      url: "/api/v1/spaces/default/users",
      headers: auth(f.tokens.read),
      payload: { name: "Nobody" },
    });
    expect(write.statusCode).toBe(403);
    const created = await f.app.inject({
      method: "POST",
      url: "/api/v1/spaces/default/users",
      headers: auth(f.tokens.write),
      payload: { name: "Made through the alias" },
    });
    expect(created.statusCode).toBe(201);
    // Its Location names the space by its id.
    expect(created.headers.location).toContain(`/spaces/${f.ids.spaceA}/users/`);
  });
});
