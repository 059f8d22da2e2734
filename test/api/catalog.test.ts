import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import {
  createAccount,
  createDevice,
  createSpace,
  type Db,
  findDefaultSpace,
  replaceInstalledApps,
  requestLicenses,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW, STOKEN } from "./harness.js";

/** What the console reads before changing the catalog: the entry's delegations, and a removal's consequences. */
describeEachDatabase("catalog routes for the console", (db) => {
  let f: Fixture;
  const send = (method: "GET" | "PUT" | "POST" | "DELETE", url: string, token: string, payload?: object) =>
    f.app.inject({ method, url, headers: auth(token), ...(payload ? { payload } : {}) });

  it("PB1 PB2: the removal preview counts the licenses and the iOS devices (not the Mac) that deleting would touch, changes nothing, and matches the deletion", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    const { spaceA, adamId, deviceA } = f.ids;
    const iphone = await createDevice(store, {
      spaceId: spaceA,
      serialNumber: `IPH${f.ids.suffix}`,
      platform: "iOS",
    });
    const mac = await createDevice(store, {
      spaceId: spaceA,
      serialNumber: `MAC${f.ids.suffix}`,
      platform: "macOS",
    });
    for (const id of [deviceA, iphone.id, mac.id])
      await replaceInstalledApps(store, spaceA, id, [{ bundleId: "com.apple.pages", adamId }], NOW);
    const base = `/api/v1/spaces/${spaceA}/catalog/${adamId}`;

    const preview = await send("GET", `${base}/removal-preview`, f.tokens.read);
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toEqual({ licenses: 1, devices: 2 });
    expect((await send("GET", `${base}/removal-preview`, f.tokens.read)).json()).toEqual(preview.json());
    const queued = await send("GET", `/api/v1/spaces/${spaceA}/mdm/commands`, f.tokens.read);
    expect(queued.json().items).toEqual([]);
    expect((await send("GET", base, f.tokens.read)).json()).toMatchObject({ inCatalog: true });

    const removed = await send("DELETE", base, f.tokens.write);
    expect(removed.statusCode, removed.body).toBe(200);
    const { releases, commands } = removed.json() as {
      releases: unknown[];
      commands: { deviceId: string }[];
    };
    expect(releases).toHaveLength(1);
    expect(commands.map((c) => c.deviceId).sort()).toEqual([deviceA, iphone.id].sort());
    expect((await send("GET", base, f.tokens.read)).json()).toMatchObject({ inCatalog: false });
    expect((await send("GET", `${base}/removal-preview`, f.tokens.read)).json()).toEqual({
      licenses: 0,
      devices: 0,
    });
    expect((await send("GET", `${base}/removal-preview`, f.tokens.other)).statusCode).toBe(404);
  });

  it("CA1 PB1: the entry names its description and the spaces it is delegated to that the caller sees; an undelegation is previewed per space, a hidden one is a 404", async () => {
    f = await buildFixture(db().store);
    const store = db().store.db;
    const adamId = "409183694";
    const home = await createSpace(store, { name: `Home ${f.ids.suffix}`, isDefault: true });
    const seen = await createSpace(store, { name: `Seen ${f.ids.suffix}` });
    const hidden = await createSpace(store, { name: `Hidden ${f.ids.suffix}` });
    const account = await createAccount(store, db().store.keys, {
      spaceId: home.id,
      displayName: "Home",
      sToken: STOKEN,
    });
    await upsertAsset(
      store,
      {
        spaceId: home.id,
        accountId: account.id,
        adamId,
        pricingParam: "STDQ",
        productType: "App",
        name: "Keynote",
        total: 5,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    const token = async (login: string, grants: Array<{ spaceId: string; role: "manage" | "read" }>) => {
      const admin = await createAdministrator(store, {
        login: `${login}-${f.ids.suffix}`,
        password: "correct horse battery",
        isOwner: false,
        grants,
        now: NOW,
      });
      const principal = await adminPrincipal(store, admin, "token");
      return (await issueApiToken(store, { ...principal, isOwner: true }, { name: login, grants, now: NOW }))
        .token;
    };
    const all = await token("catalog-all", [
      { spaceId: home.id, role: "manage" },
      { spaceId: seen.id, role: "manage" },
      { spaceId: hidden.id, role: "manage" },
    ]);
    const partial = await token("catalog-partial", [
      { spaceId: home.id, role: "manage" },
      { spaceId: seen.id, role: "read" },
    ]);
    const base = `/api/v1/spaces/${home.id}/catalog/${adamId}`;
    const put = await send("PUT", base, all, { description: "Slides", installOnDevice: true });
    expect(put.statusCode, put.body).toBe(200);
    const delegated = await send("POST", `${base}/delegations`, all, { spaceIds: [seen.id, hidden.id] });
    expect(delegated.statusCode, delegated.body).toBe(204);

    expect((await send("GET", base, all)).json()).toEqual({
      adamId,
      inCatalog: true,
      installOnDevice: true,
      updateMode: "immediate",
      description: "Slides",
      delegatedTo: [seen.id, hidden.id].sort(),
    });
    expect((await send("GET", base, partial)).json().delegatedTo).toEqual([seen.id]);
    const copy = await send("GET", `/api/v1/spaces/${seen.id}/catalog/${adamId}`, partial);
    expect(copy.json()).toMatchObject({ inCatalog: true, delegatedFromSpaceId: home.id, delegatedTo: [] });

    const device = await createDevice(store, {
      spaceId: seen.id,
      serialNumber: `DEL${f.ids.suffix}`,
      platform: "iOS",
    });
    await replaceInstalledApps(store, seen.id, device.id, [{ bundleId: "com.apple.keynote", adamId }], NOW);
    const preview = await send("GET", `${base}/removal-preview?undelegate=${seen.id}`, partial);
    expect(preview.json()).toEqual({ licenses: 0, devices: 1 });
    expect((await send("GET", `${base}/removal-preview?undelegate=${hidden.id}`, partial)).statusCode).toBe(
      404,
    );
    // A space seen but not delegated the app (the default space itself) is no delegation to undo.
    const stray = await send("GET", `${base}/removal-preview?undelegate=${home.id}`, all);
    expect(stray.statusCode).toBe(404);
    const empty = await send("GET", `${base}/removal-preview?undelegate=`, all);
    expect(empty.statusCode).toBe(400);
    expect(empty.json().errors[0].field).toBe("querystring.undelegate");

    const undelegated = await send("DELETE", `${base}/delegations`, all, { spaceIds: [seen.id] });
    expect(undelegated.json().commands).toEqual([
      expect.objectContaining({ kind: "remove", deviceId: device.id, because: ["PB1"] }),
    ]);
    expect((await send("GET", base, all)).json().delegatedTo).toEqual([hidden.id]);
  });

  it("CA1: a delegated app is on the receiving space's Apps list marked delegatedFrom (bought there too: with that space's licenses and waits; else with none); its admin sets its options there, never the delegation; taken back, the options are kept and come back", async () => {
    f = await buildFixture(db().store);
    const { db: store, keys } = db().store;
    const [keynote, numbers] = ["409183694", "409203825"];
    // One default space per database: the test above's, or this one.
    const home =
      (await findDefaultSpace(store)) ??
      (await createSpace(store, { name: `Home ${f.ids.suffix}`, isDefault: true }));
    const lab = await createSpace(store, { name: `Lab ${f.ids.suffix}` });
    const homeAccount = await createAccount(store, keys, {
      spaceId: home.id,
      displayName: "Home apps",
      sToken: STOKEN,
    });
    for (const [adamId, name] of [
      [keynote, "Keynote"],
      [numbers, "Numbers"],
    ] as const)
      await upsertAsset(
        store,
        {
          spaceId: home.id,
          accountId: homeAccount.id,
          adamId,
          pricingParam: "STDQ",
          productType: "App",
          name,
          total: 5,
          deviceAssignable: true,
          platforms: ["iOS"],
          price: 9.99,
        },
        NOW,
      );
    // The lab bought one seat of Numbers itself (All Users first come, first served).
    const { account: labAccount } = await accountWithSeats(store, keys, {
      spaceId: lab.id,
      adamId: numbers,
      total: 1,
    });
    const both = await tokenFor(store, "delegation-both", [
      { spaceId: home.id, role: "manage" },
      { spaceId: lab.id, role: "manage" },
    ]);
    const labAdmin = await tokenFor(store, "delegation-lab", [{ spaceId: lab.id, role: "manage" }]);
    const homeBase = (adamId: string) => `/api/v1/spaces/${home.id}/catalog/${adamId}`;
    const labBase = (adamId: string) => `/api/v1/spaces/${lab.id}/catalog/${adamId}`;
    for (const adamId of [keynote, numbers]) {
      expect((await send("PUT", homeBase(adamId), both, {})).statusCode).toBe(200);
      const delegated = await send("POST", `${homeBase(adamId)}/delegations`, both, { spaceIds: [lab.id] });
      expect(delegated.statusCode, delegated.body).toBe(204);
    }
    expect(
      (await send("POST", `${homeBase(numbers)}/delegations`, both, { spaceIds: [home.id] })).statusCode,
    ).toBe(400);

    // The lab's admin makes Numbers mandatory in the lab: one iPad gets the seat, the other waits.
    const options = { installOnDevice: true, updateMode: "automatic", description: "Lab sheets" };
    const put = await send("PUT", labBase(numbers), labAdmin, options);
    expect(put.json(), put.body).toMatchObject({
      inCatalog: true,
      delegatedFromSpaceId: home.id,
      installOnDevice: true,
    });
    for (const serialNumber of [`LAB1${f.ids.suffix}`, `LAB2${f.ids.suffix}`]) {
      const ipad = await createDevice(store, {
        spaceId: lab.id,
        serialNumber,
        platform: "iOS",
        supervised: true,
      });
      await requestLicenses(store, {
        spaceId: lab.id,
        adamId: numbers,
        requests: [
          {
            spaceId: lab.id,
            adamId: numbers,
            subject: { kind: "device", deviceId: ipad.id },
            why: "mandatory",
          },
        ],
        actor: { kind: "mdm" },
        now: NOW,
      });
    }
    const labApps = async () => (await send("GET", `/api/v1/spaces/${lab.id}/apps`, labAdmin)).json().items;
    expect(await labApps()).toEqual([
      expect.objectContaining({
        adamId: keynote,
        name: "Keynote",
        productType: "App",
        price: 9.99,
        inCatalog: true,
        total: 0,
        used: 0,
        accounts: 0,
        waiting: 0,
        delegatedFrom: home.id,
      }),
      expect.objectContaining({
        adamId: numbers,
        inCatalog: true,
        total: 1,
        used: 1,
        accounts: 1,
        waiting: 1,
        delegatedFrom: home.id,
      }),
    ]);
    // One account's list is what it bought; the default space's apps are its own.
    const ofAccount = await send("GET", `/api/v1/spaces/${lab.id}/accounts/${labAccount.id}/apps`, labAdmin);
    expect(ofAccount.json().items.map((a: { adamId: string }) => a.adamId)).toEqual([numbers]);
    const homeApps = (await send("GET", `/api/v1/spaces/${home.id}/apps`, both)).json().items;
    expect(homeApps.map((a: { delegatedFrom?: string }) => a.delegatedFrom)).toEqual([undefined, undefined]);
    // The delegation is the default space's: the lab's admin neither delegates nor takes it back.
    expect(
      (await send("POST", `${labBase(numbers)}/delegations`, labAdmin, { spaceIds: [lab.id] })).statusCode,
    ).toBe(400);
    expect(
      (await send("DELETE", `${homeBase(numbers)}/delegations`, labAdmin, { spaceIds: [lab.id] })).statusCode,
    ).toBe(404);

    const taken = await send("DELETE", `${homeBase(numbers)}/delegations`, both, { spaceIds: [lab.id] });
    expect(taken.json().releases).toHaveLength(1);
    const kept = {
      inCatalog: false,
      installOnDevice: true,
      updateMode: "automatic",
      description: "Lab sheets",
    };
    const afterTaken = (await send("GET", labBase(numbers), labAdmin)).json();
    expect(afterTaken).toMatchObject(kept);
    expect(afterTaken.delegatedFromSpaceId).toBeUndefined();
    const bought = (await labApps()).find((a: { adamId: string }) => a.adamId === numbers);
    expect(bought).toMatchObject({ inCatalog: false, waiting: 0 });
    expect(bought).not.toHaveProperty("delegatedFrom");

    await send("POST", `${homeBase(numbers)}/delegations`, both, { spaceIds: [lab.id] });
    expect((await send("GET", labBase(numbers), labAdmin)).json()).toMatchObject({
      ...kept,
      inCatalog: true,
      delegatedFromSpaceId: home.id,
    });

    // Deleted from the default space: Keynote leaves the lab's list, and the lab cannot add it back.
    await send("DELETE", homeBase(keynote), both);
    expect((await labApps()).map((a: { adamId: string }) => a.adamId)).toEqual([numbers]);
    const readd = await send("PUT", labBase(keynote), labAdmin, {});
    expect(readd.statusCode).toBe(400);
    expect(readd.json().detail).toContain("CA3");
  });
});

/** An API token of an administrator holding these grants. */
async function tokenFor(
  store: Db,
  login: string,
  grants: Array<{ spaceId: string; role: "manage" | "read" }>,
) {
  const admin = await createAdministrator(store, {
    login: `${login}-${Math.random().toString(36).slice(2, 8)}`,
    password: "correct horse battery",
    isOwner: false,
    grants,
    now: NOW,
  });
  const principal = await adminPrincipal(store, admin, "token");
  return (await issueApiToken(store, { ...principal, isOwner: true }, { name: login, grants, now: NOW }))
    .token;
}
