import { expect, it } from "vitest";
import { createAccount, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

describeEachDatabase("explain, what-if, views and validation", (db) => {
  let f: Fixture;
  let s = "";
  let h: Record<string, string> = {};
  const get = (url: string) => f.app.inject({ url, headers: h });
  const post = (url: string, payload: object, method: "POST" | "PUT" = "POST") =>
    f.app.inject({ method, url, headers: h, payload });

  it("explain: the decision in words with its rule ids, and nothing written", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    h = auth(f.tokens.read);
    const before = (await get(`${s}/activity`)).json().total;
    const r = (await get(`${s}/explain?app=${f.ids.adamId}&device=${f.ids.deviceA}&why=mandatory`)).json();
    expect(r.decision.outcome).toBe("keep"); // LT4: the user's license serves the device
    expect(r.rules.map((x: { id: string }) => x.id)).toEqual(["LT4", "UB1"]);
    expect(r.rules[0].sentence).toMatch(/keeps using it/);
    expect((await get(`${s}/activity`)).json().total).toBe(before);
    const both = await get(`${s}/explain?app=${f.ids.adamId}&device=${f.ids.deviceA}&user=${f.ids.userA}`);
    expect(both.statusCode).toBe(400);
    expect(both.json().errors[0].field).toBe("querystring.user");
  });

  it("explain: asked together (one read of the app), each answer is its own; an unknown device is a 404 alone", async () => {
    const ask = (subject: string) => get(`${s}/explain?app=${f.ids.adamId}&${subject}&why=mandatory`);
    const [device, unknown, user] = await Promise.all([
      ask(`device=${f.ids.deviceA}`),
      ask("device=no-such-device"),
      ask(`user=${f.ids.userA}`),
    ]);
    expect([device?.statusCode, unknown?.statusCode, user?.statusCode]).toEqual([200, 404, 200]);
    // The device's answer is the one explain gives it alone (its user's license, LT4).
    expect(device?.json().rules.map((x: { id: string }) => x.id)).toEqual(["LT4", "UB1"]);
    expect(user?.json().decision.outcome).toBe("keep");
    expect(unknown?.headers["content-type"]).toMatch(/problem\+json/);
  });

  it("MA3: a new priority order in what-if revokes nothing; AC5: removing a token loses its licenses", async () => {
    h = auth(f.tokens.write);
    const second = await createAccount(db().store.db, db().store.keys, {
      spaceId: f.ids.spaceA,
      displayName: "Second",
      sToken: STOKEN,
    });
    await upsertAsset(
      db().store.db,
      {
        spaceId: f.ids.spaceA,
        accountId: second.id,
        adamId: f.ids.adamId,
        pricingParam: "STDQ",
        productType: "App",
        total: 5,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    const reorder = (
      await post(`${s}/what-if`, { changes: [{ kind: "priorities", order: [second.id, f.ids.accountA] }] })
    ).json();
    expect(reorder.totals.lose).toBe(0);
    expect(reorder.totals.keep).toBe(1);
    expect(reorder.rules.map((x: { id: string }) => x.id)).toContain("MA3");
    const removal = (
      await post(`${s}/what-if`, { changes: [{ kind: "remove_account", accountId: f.ids.accountA }] })
    ).json();
    expect(removal.totals.lose).toBe(1);
    expect(removal.apps[0].lose[0].summary).toMatch(/Second/);
    // Nothing was written: the license is still live.
    expect((await get(`${s}/licenses/${f.ids.licenseA}`)).json().state).toBe("pending_assign");
    const unknown = await post(`${s}/what-if`, { changes: [{ kind: "remove_account", accountId: "nope" }] });
    expect(unknown.statusCode).toBe(404);
  });

  it("DI1, DI7, DI6: rule validation errors name the field", async () => {
    const url = `${s}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/rules`;
    const both = await post(url, { reservedUserIds: [f.ids.userA], prohibitedUserIds: [f.ids.userA] }, "PUT");
    expect(both.statusCode).toBe(400);
    expect(both.json().errors[0].field).toBe("body.reservedUserIds.0");
    const many = Array.from({ length: 11 }, (_, i) => `u${i}`);
    const exceed = await post(url, { reservedUserIds: many }, "PUT");
    expect([404, 422]).toContain(exceed.statusCode);
    const ok = await post(
      url,
      { fcfs: { groupIds: [f.ids.groupA] }, reservedDeviceIds: [f.ids.deviceA] },
      "PUT",
    );
    expect(ok.statusCode).toBe(200);
    expect(ok.json().fcfs.groups[0].name).toBe("Teachers"); // VU2
    const device = await post(`${s}/devices`, { platform: "iOS" });
    expect(device.json().errors[0].field).toBe("body.serialNumber");
  });

  it("VU1, VU3, VU4, VU5, DI5, CA2: the views", async () => {
    expect((await get(`${s}/users/${f.ids.userA}/license-usage`)).json().items[0].license.type).toBe("user");
    expect((await get(`${s}/devices/${f.ids.deviceA}/installed-apps?q=pages`)).statusCode).toBe(200);
    const apps = (await get(`${s}/apps?sort=used&order=desc`)).json();
    expect(apps.items[0]).toMatchObject({ adamId: f.ids.adamId, price: 4.99, used: 1 });
    expect((await get(`${s}/apps/${f.ids.adamId}/license-usage?q=alice`)).json().total).toBe(1);
    expect((await get(`${s}/apps/${f.ids.adamId}/license-usage?q=nobody`)).json().total).toBe(0);
    const log = (await get(`${s}/accounts/${f.ids.accountA}/apps/${f.ids.adamId}/log`)).json();
    expect(log.items[0]).toMatchObject({
      userName: "Alice Apple",
      type: "user",
      lastAction: "license.granted",
    });
    const account = (await get(`${s}/accounts/${f.ids.accountA}`)).json();
    expect(Object.keys(account)).not.toContain("sToken");
    expect(account).toHaveProperty("createdAt");
  });

  it("RV4 revokes one license from the usage tab; MA4 revoke-all stays in this space", async () => {
    const one = (await post(`${s}/licenses/${f.ids.licenseA}/revoke`, { from: "usage" })).json();
    expect(one.revoked[0].ruleIds).toEqual(["MA1", "DI2", "LT1"]);
    const activity = (await get(`${s}/activity?license=${f.ids.licenseA}&rule=RV4`)).json();
    expect(activity.total).toBe(1);
    const again = await post(`${s}/licenses/${f.ids.licenseA}/revoke`, {});
    expect(again.statusCode).toBe(409);
    const all = (await post(`${s}/apps/${f.ids.adamId}/revoke-all`, { confirm: true })).json();
    expect(all.revoked).toBe(0);
    const b = await f.app.inject({
      url: `/api/v1/spaces/${f.ids.spaceB}/apps`,
      headers: auth(f.tokens.other),
    });
    expect(b.json().items[0].adamId).toBe(f.ids.adamId);
  });

  it("notifications: list and acknowledge; healthz and openapi.json", async () => {
    const list = (await get(`${s}/notifications?open=true`)).json();
    expect(list.items[0].id).toBe(f.ids.notificationA);
    expect((await post(`${s}/notifications/${f.ids.notificationA}/acknowledge`, {})).statusCode).toBe(204);
    expect((await get(`${s}/notifications?acknowledged=false`)).json().total).toBe(0);
    expect((await f.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.components.schemas).toHaveProperty("Problem");
    expect((await f.app.inject({ url: "/docs/" })).statusCode).toBeLessThan(400);
  });
});
