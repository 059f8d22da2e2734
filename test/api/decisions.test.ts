import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import {
  createAccount,
  createDevice,
  createUser,
  insertLicenses,
  setAppleStatus,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

/** The console's French (web/src/i18n/fr.json): the API says the same. */
const frenchConsole = () =>
  JSON.parse(readFileSync(resolve(import.meta.dirname, "../../web/src/i18n/fr.json"), "utf8")) as {
    ruleText: Record<string, string>;
  };

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

  it("LT4, UB1: explain answers in the language Accept-Language asks (fr-FR → French), with Content-Language", async () => {
    const fr = frenchConsole();
    const url = `${s}/explain?app=${f.ids.adamId}&user=${f.ids.userA}`;
    const ask = (language?: string) =>
      f.app.inject({
        url,
        headers: { ...h, ...(language === undefined ? {} : { "accept-language": language }) },
      });
    const french = await ask("fr-FR,fr;q=0.9,en;q=0.8");
    expect(french.statusCode).toBe(200);
    expect(french.headers["content-language"]).toBe("fr");
    expect(french.headers.vary).toMatch(/Accept-Language/i);
    const body = french.json();
    expect(body.decision.outcome).toBe("keep");
    expect(body.summary).toBe(
      "Le sujet détient déjà une licence par utilisateur du compte «\u00a0Main\u00a0» et la conserve.",
    );
    expect(body.rules).toEqual(
      body.decision.because.map((id: string) => ({ id, sentence: fr.ruleText[id] })),
    );
    expect(body.rules.map((r: { id: string }) => r.id)).toContain("LT4");

    const english = (await ask()).json();
    expect(english.summary).toBe(
      'The subject already holds a user-based license from account "Main" and keeps it.',
    );
    for (const [language, why] of [
      ["de", "not offered: English"],
      ["fr;q=0", "French refused: English"],
      ["de-DE,fr;q=0,*;q=0.1", "French refused, anything else: English"],
      [undefined, "no header: English"],
    ] as const) {
      const r = await ask(language);
      expect(r.headers["content-language"], why).toBe("en");
      expect(r.json(), why).toEqual(english);
    }
    // The top-level route (space from ?space=) speaks French too.
    const top = await f.app.inject({
      url: `/api/v1/explain?app=${f.ids.adamId}&user=${f.ids.userA}&space=${f.ids.spaceA}`,
      headers: { ...h, "accept-language": "fr" },
    });
    expect(top.headers["content-language"]).toBe("fr");
    expect(top.json().summary).toBe(body.summary);
    // An error is a problem document, not a decision text: no Content-Language.
    const missing = await f.app.inject({
      url: `${s}/explain?app=${f.ids.adamId}&device=no-such-device`,
      headers: { ...h, "accept-language": "fr" },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers["content-language"]).toBeUndefined();
  });

  it("LT2, LT4: a license request answers its decision in French when asked", async () => {
    const r = await f.app.inject({
      method: "POST",
      url: `${s}/license-requests`,
      headers: { ...auth(f.tokens.write), "accept-language": "fr-CA, en;q=0.5" },
      payload: { app: f.ids.adamId, user: f.ids.userA },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-language"]).toBe("fr");
    const body = r.json();
    expect(body.decision.outcome).toBe("keep");
    expect(body.summary).toBe(
      "Le sujet détient déjà une licence par utilisateur du compte «\u00a0Main\u00a0» et la conserve.",
    );
    const fr = frenchConsole();
    for (const rule of body.rules) expect(rule.sentence).toBe(fr.ruleText[rule.id]);
    const english = await f.app.inject({
      method: "POST",
      url: `${s}/license-requests`,
      headers: auth(f.tokens.write),
      payload: { app: f.ids.adamId, user: f.ids.userA },
    });
    expect(english.headers["content-language"]).toBe("en");
    expect(english.json().summary).toMatch(
      /^The subject already holds a user-based license from account "Main"/,
    );
  });

  it("the OpenAPI document names Accept-Language on explain, what-if and license requests", async () => {
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    for (const [path, method] of [
      ["/api/v1/spaces/{spaceId}/explain", "get"],
      ["/api/v1/explain", "get"],
      ["/api/v1/spaces/{spaceId}/what-if", "post"],
      ["/api/v1/what-if", "post"],
      ["/api/v1/spaces/{spaceId}/license-requests", "post"],
    ] as const) {
      const operation = doc.paths[path][method];
      const header = operation.parameters.find((p: { in: string; name: string }) => p.in === "header");
      expect(header, path).toMatchObject({ name: "accept-language", required: false });
      expect(operation.description, path).toMatch(/Content-Language/);
    }
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

  it("AC5, MA2, MA3: what-if answers in French when asked; the same numbers", async () => {
    const fr = frenchConsole();
    const change = { changes: [{ kind: "remove_account", accountId: f.ids.accountA }] };
    const ask = (language?: string) =>
      f.app.inject({
        method: "POST",
        url: `${s}/what-if`,
        headers: { ...h, ...(language ? { "accept-language": language } : {}) },
        payload: change,
      });
    const english = (await ask()).json();
    const r = await ask("fr-FR,fr;q=0.9,en;q=0.8");
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-language"]).toBe("fr");
    const french = r.json();
    expect(french.totals).toEqual(english.totals);
    const lost = french.apps[0].lose[0];
    expect(lost).toMatchObject({ ...english.apps[0].lose[0], summary: expect.any(String) });
    expect(english.apps[0].lose[0].summary).toMatch(/^Loses its license\. Next: /);
    expect(lost.summary).toMatch(
      /^Perd sa licence\. Ensuite\u00a0: Une licence par utilisateur serait attribuée/,
    );
    expect(lost.summary).toContain("«\u00a0Second\u00a0»");
    expect(french.rules.map((x: { id: string }) => x.id)).toEqual(["AC5", "MA2"]);
    for (const rule of french.rules) expect(rule.sentence).toBe(fr.ruleText[rule.id]);

    // MA6: an order names every account of the space once.
    const order = ((await get(`${s}/accounts`)).json().items as Array<{ id: string }>)
      .map((a) => a.id)
      .reverse();
    const top = await f.app.inject({
      method: "POST",
      url: `/api/v1/what-if?space=${f.ids.spaceA}`,
      headers: { ...h, "accept-language": "fr" },
      payload: { changes: [{ kind: "priorities", order }] },
    });
    expect(top.headers["content-language"]).toBe("fr");
    expect(top.json().rules[0]).toEqual({ id: "MA3", sentence: fr.ruleText.MA3 });
    expect((await ask("de")).headers["content-language"]).toBe("en");

    // The space is named where the route reads it (the path, else ?space=), never in a
    // place it would be ignored: a what-if run on another space than the one meant.
    const misplaced = [
      await f.app.inject({
        method: "POST",
        url: `/api/v1/what-if`,
        headers: h,
        payload: { space: f.ids.spaceA, changes: [{ kind: "priorities", order }] },
      }),
      await f.app.inject({
        method: "GET",
        url: `${s}/explain?app=${f.ids.adamId}&user=${f.ids.userA}&space=${f.ids.spaceA}`,
        headers: h,
      }),
    ];
    expect(misplaced.map((r) => [r.statusCode, r.json().errors?.[0]?.field])).toEqual([
      [400, "body.space"],
      [400, "querystring.space"],
    ]);
  });

  it("MA1, MA2, DI4, DI7: explain answers per account in priority order: eligibility, seats, taken or why passed over", async () => {
    const accounts = (await get(`${s}/accounts`)).json().items as Array<{ id: string; displayName: string }>;
    const second = accounts.find((a) => a.displayName === "Second")?.id ?? "";
    const device = await createDevice(db().store.db, {
      spaceId: f.ids.spaceA,
      serialNumber: `EXP${f.ids.suffix}`,
      platform: "iOS",
    });
    // MA1: Main (priority 1, 10 seats, Alice's in use) gives the license; Second is not reached.
    const granted = (await get(`${s}/explain?app=${f.ids.adamId}&device=${device.id}&why=mandatory`)).json();
    expect(granted.decision).toMatchObject({ outcome: "grant", accountId: f.ids.accountA });
    expect(granted.accounts).toEqual([
      expect.objectContaining({
        accountId: f.ids.accountA,
        name: "Main",
        priority: 1,
        eligibility: "fcfs",
        eligible: true,
        seats: { total: 10, used: 1, heldForReservations: 0, free: 9 },
        verdict: "grant",
        taken: true,
        because: ["MA1", "DI2"],
      }),
      expect.objectContaining({
        accountId: second,
        priority: 2,
        taken: false,
        reached: false,
        because: ["MA1"],
      }),
    ]);
    // DI4 at Main, MA2/DI7 at Second (its FCFS only for Teachers): refused, and each account says why.
    const carol = await createUser(db().store.db, { spaceId: f.ids.spaceA, name: "Carol Cox" });
    await setAppleStatus(db().store.db, f.ids.spaceA, carol.id, "Associated", NOW);
    const rules = (accountId: string, body: object) =>
      post(`${s}/accounts/${accountId}/apps/${f.ids.adamId}/rules`, body, "PUT");
    expect(
      (await rules(f.ids.accountA, { fcfs: { groupIds: ["all-users"] }, prohibitedUserIds: [carol.id] }))
        .statusCode,
    ).toBe(200);
    expect((await rules(second, { fcfs: { groupIds: [f.ids.groupA] } })).statusCode).toBe(200);
    const ask = (language?: string) =>
      f.app.inject({
        url: `${s}/explain?app=${f.ids.adamId}&user=${carol.id}`,
        headers: { ...h, ...(language ? { "accept-language": language } : {}) },
      });
    const refused = (await ask()).json();
    expect(refused.decision).toMatchObject({ outcome: "refuse", reason: "prohibited" });
    expect(refused.accounts.map((a: { name: string }) => a.name)).toEqual(["Main", "Second"]);
    expect(refused.accounts[0]).toMatchObject({
      eligibility: "prohibited",
      eligible: false,
      eligibilityBecause: ["DI4", "DI7"],
      verdict: "prohibited",
      reached: true,
      because: ["DI4", "DI7"],
      summary: "The user is prohibited here; passed over.",
    });
    expect(refused.accounts[1]).toMatchObject({
      eligibility: "not_listed",
      eligible: false,
      because: ["MA2", "DI7"],
      seats: { total: 5, used: 0, heldForReservations: 0, free: 5 },
    });
    const french = (await ask("fr")).json();
    expect(french.accounts[0].summary).toBe(
      "L'utilisateur est interdit dans ce compte\u202f; compte écarté.",
    );
    // The OpenAPI document describes the rows.
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    expect(Object.keys(doc.components.schemas.AccountConsidered.properties)).toEqual(
      expect.arrayContaining(["eligibility", "seats", "verdict", "taken", "because"]),
    );
    // Back as the next tests expect: both accounts FCFS for All Users.
    await rules(f.ids.accountA, { fcfs: { groupIds: ["all-users"] } });
    await rules(second, { fcfs: { groupIds: ["all-users"] } });
  });

  it("DB2, MA3, DI1: what-if separates today from the change: those already waiting are not the change's; names, not ids", async () => {
    const accounts = (await get(`${s}/accounts`)).json().items as Array<{ id: string; displayName: string }>;
    const second = accounts.find((a) => a.displayName === "Second")?.id ?? "";
    const numbers = "909090";
    for (const [accountId, total] of [
      [f.ids.accountA, 1],
      [second, 3],
    ] as const)
      await upsertAsset(
        db().store.db,
        {
          spaceId: f.ids.spaceA,
          accountId,
          adamId: numbers,
          pricingParam: "STDQ",
          productType: "App",
          name: "Numbers",
          total,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
    await setCatalogApp(db().store.db, { spaceId: f.ids.spaceA, adamId: numbers, name: "Numbers" }, NOW);
    // Second's Numbers seats are for Teachers only: a device without a user is not eligible there (DI7).
    const put = await post(
      `${s}/accounts/${second}/apps/${numbers}/rules`,
      { fcfs: { groupIds: [f.ids.groupA] } },
      "PUT",
    );
    expect(put.statusCode).toBe(200);
    const serials = ["NUM-1", "NUM-2", "NUM-3"].map((x) => `${x}-${f.ids.suffix}`);
    const answers: Array<{ decision: { outcome: string }; summary: string }> = [];
    for (const serialNumber of serials) {
      const d = await createDevice(db().store.db, { spaceId: f.ids.spaceA, serialNumber, platform: "iOS" });
      answers.push(
        (await post(`${s}/license-requests`, { app: numbers, device: d.id, why: "mandatory" })).json(),
      );
    }
    expect(answers.map((a) => a.decision.outcome)).toEqual(["grant", "wait", "wait"]); // DB2: two wait for a seat
    // LT2: a request's grant is made, not only possible (explain's "would be granted").
    expect(answers[0]?.summary).toBe(
      'A device-based license was granted from account "Main"; Apple is asked to assign it.',
    );

    // MA3: swapping priorities changes nothing for Numbers: its two waited already.
    const swap = (
      await post(`${s}/what-if`, {
        changes: [{ kind: "priorities", order: [second, f.ids.accountA] }],
        apps: [numbers],
      })
    ).json();
    expect(swap.totals).toMatchObject({ gain: 0, lose: 0, wait: 0, refuse: 0, move: 0 });
    expect(swap.apps).toEqual([]);
    expect(swap.unaffectedApps).toBe(1);

    // DI1: FCFS for All Users at Second: the two waiting devices would get a license; now vs after.
    const edit = (
      await post(`${s}/what-if`, {
        changes: [
          {
            kind: "rules",
            accountId: second,
            adamId: numbers,
            fcfs: { groupIds: ["all-users"] },
          },
        ],
      })
    ).json();
    expect(edit.unaffectedApps).toBe(0);
    expect(edit.apps).toHaveLength(1);
    const app = edit.apps[0];
    expect(app).toMatchObject({
      adamId: numbers,
      name: "Numbers",
      now: { licensed: 1, waiting: 2, refused: 0 },
      after: { licensed: 3, waiting: 0, refused: 0 },
      keep: 1,
    });
    expect(app.gain.map((g: { subject: { name: string } }) => g.subject.name)).toEqual(serials.slice(1));
    expect(app.gain[0]).toMatchObject({
      subject: { kind: "device" },
      before: { outcome: "wait" },
      outcome: "grant",
      accountId: second,
    });
    expect(app.wait).toEqual([]);
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

  it("VU5: a device license names the device's user, and a search by that name finds it", async () => {
    const app = "1451230001";
    await upsertAsset(
      db().store.db,
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: app,
        pricingParam: "STDQ",
        productType: "App",
        name: "Pages for Alice",
        total: 5,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    const [licenseId] = await insertLicenses(db().store.db, [
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: app,
        type: "device",
        deviceId: f.ids.deviceA,
        state: "assigned",
        now: NOW,
      },
    ]);
    const found = (await get(`${s}/licenses?app=${app}&q=${encodeURIComponent("Alice Apple")}`)).json();
    expect(found.items).toMatchObject([
      {
        id: licenseId,
        type: "device",
        deviceId: f.ids.deviceA,
        deviceUserId: f.ids.userA,
        deviceUserName: "Alice Apple",
      },
    ]);
    expect(found.items[0]).not.toHaveProperty("userId");
  });

  it("RV2, RV4, MA4: a book's license is never revoked (Apple never takes it back): 409 not_revocable, one or all, and it stays assigned", async () => {
    const book = "1451234567";
    await upsertAsset(
      db().store.db,
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: book,
        pricingParam: "STDQ",
        productType: "Book",
        name: "The Swift Programming Language",
        total: 5,
        deviceAssignable: false,
        revocable: false,
        platforms: ["iOS", "macOS"],
      },
      NOW,
    );
    const [licenseId] = await insertLicenses(db().store.db, [
      {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: book,
        type: "user",
        userId: f.ids.userA,
        state: "assigned",
        now: NOW,
      },
    ]);
    const listed = (await get(`${s}/licenses?app=${book}`)).json();
    expect(listed.items).toMatchObject([{ id: licenseId, revocable: false, state: "assigned" }]);
    expect((await get(`${s}/licenses?app=${f.ids.adamId}`)).json().items[0]?.revocable).toBe(true);
    const one = await post(`${s}/licenses/${licenseId}/revoke`, {});
    expect(one.statusCode).toBe(409);
    expect(one.json()).toMatchObject({ code: "not_revocable" });
    const all = await post(`${s}/apps/${book}/revoke-all`, { confirm: true });
    expect(all.statusCode).toBe(409);
    expect(all.json()).toMatchObject({ code: "not_revocable" });
    // One license reads as the list shows it: revocable (the 409 points there), names, dates.
    const read = await get(`${s}/licenses/${licenseId}`);
    expect(read.json()).toEqual(listed.items[0]);
    expect(read.json()).toMatchObject({
      state: "assigned",
      revocable: false,
      accountName: "Main",
      userName: "Alice Apple",
    });
    expect((await get(`${s}/licenses/no-such-license`)).statusCode).toBe(404);
    expect((await get(`${s}/activity?license=${licenseId}`)).json().total).toBe(0);
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
    // Every parameter is a parameter a client can send, with a schema: never the pieces of a
    // JSON Schema read as parameters (`type`, `additionalProperties`), which break generators.
    const parameters = Object.entries(
      doc.paths as Record<string, Record<string, { parameters?: unknown[] }>>,
    ).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        (op.parameters ?? []).map((p) => ({
          at: `${method} ${path}`,
          ...(p as { name: string; schema: unknown }),
        })),
      ),
    );
    expect(parameters.length).toBeGreaterThan(100);
    for (const p of parameters) {
      if ("$ref" in p) continue; // the document's shared ones (Idempotency-Key)
      expect(["propertyNames", "additionalProperties", "properties"], p.at).not.toContain(p.name);
      expect(typeof p.schema, `${p.at} ${p.name}`).toBe("object");
    }
    expect(parameters.filter((p) => p.at === "get /api/v1/auth/sso/callback").map((p) => p.name)).toEqual(
      expect.arrayContaining(["code", "state", "error"]),
    );
  });

  it("AC5, MA1, MA2: what-if removing an account decides its holders taking seats: one free seat elsewhere, one holder gets it", async () => {
    h = auth(f.tokens.write);
    const accounts = (await get(`${s}/accounts`)).json().items as Array<{ id: string; displayName: string }>;
    const second = accounts.find((a) => a.displayName === "Second")?.id ?? "";
    const keynote = "919191";
    const asset = (accountId: string, total: number) =>
      upsertAsset(
        db().store.db,
        {
          spaceId: f.ids.spaceA,
          accountId,
          adamId: keynote,
          pricingParam: "STDQ",
          productType: "App",
          name: "Keynote",
          total,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
    await asset(f.ids.accountA, 2);
    await asset(second, 0);
    await setCatalogApp(db().store.db, { spaceId: f.ids.spaceA, adamId: keynote, name: "Keynote" }, NOW);
    const serials = ["KEY-1", "KEY-2", "KEY-3"].map((x) => `${x}-${f.ids.suffix}`);
    const outcomes: string[] = [];
    for (const [i, serialNumber] of serials.entries()) {
      const d = await createDevice(db().store.db, { spaceId: f.ids.spaceA, serialNumber, platform: "iOS" });
      const r = await post(`${s}/license-requests`, { app: keynote, device: d.id, why: "mandatory" });
      outcomes.push(r.json().decision.outcome);
      // The clock stands still here: KEY-1 asked first, then KEY-2 (DB2, order of request).
      await db()
        .store.db.updateTable("licenses")
        .set({ requested_at: new Date(NOW.getTime() - (serials.length - i) * 60_000) })
        .where("space_id", "=", f.ids.spaceA)
        .where("device_id", "=", d.id)
        .execute();
    }
    expect(outcomes).toEqual(["grant", "grant", "wait"]); // MA1: both from Main; the third waits
    // One seat at Second now (a purchase not yet served): today the waiting device would get it.
    await asset(second, 1);

    const removal = (
      await post(`${s}/what-if`, {
        changes: [{ kind: "remove_account", accountId: f.ids.accountA }],
        apps: [keynote],
      })
    ).json();
    expect(removal.apps).toHaveLength(1);
    const app = removal.apps[0];
    // MA2: Second's one seat goes to the first holder; the second holder and the queue wait.
    expect(app.lose.map((o: { subject: { name: string } }) => o.subject.name)).toEqual(serials.slice(0, 2));
    expect(app.lose.map((o: { outcome: string; accountId?: string }) => [o.outcome, o.accountId])).toEqual([
      ["grant", second],
      ["wait", undefined],
    ]);
    expect(app.lose[0].summary).toMatch(/^Loses its license\. Next: .*"Second"/);
    expect(app.lose.every((o: { because: string[] }) => o.because[0] === "AC5")).toBe(true);
    expect(app.wait.map((o: { subject: { name: string } }) => o.subject.name)).toEqual([serials[2]]);
    expect(app.wait[0]).toMatchObject({ before: { outcome: "grant", accountId: second }, outcome: "wait" });
    expect(app).toMatchObject({
      now: { licensed: 3, waiting: 0, refused: 0 },
      after: { licensed: 1, waiting: 2, refused: 0 },
      gain: [],
      refuse: [],
      move: [],
      keep: 0,
    });
    // The counts follow the lists: every subject is counted once, today and after.
    const licensed = (o: { outcome: string }) => o.outcome === "grant" || o.outcome === "keep";
    const listed = [...app.lose, ...app.wait] as Array<{ outcome: string; before: { outcome: string } }>;
    const total = (c: { licensed: number; waiting: number; refused: number }) =>
      c.licensed + c.waiting + c.refused;
    expect(total(app.after)).toBe(total(app.now));
    expect(app.after.licensed - app.now.licensed).toBe(
      listed.filter(licensed).length - listed.filter((o) => licensed(o.before)).length,
    );
    // The totals agree with the counts: a holder that loses is counted by what it would get
    // next too (the first would hold Second's seat: a move; the second would wait).
    expect(removal.totals).toMatchObject({ lose: 2, wait: 2, move: 1, refuse: 0, gain: 0, keep: 0 });
    expect(removal.totals.wait).toBe(app.after.waiting - app.now.waiting);
  });
});
