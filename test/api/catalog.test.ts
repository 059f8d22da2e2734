import { expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import {
  createAccount,
  createDevice,
  createSpace,
  replaceInstalledApps,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
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
});
