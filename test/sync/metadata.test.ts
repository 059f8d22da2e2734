/**
 * The store's metadata on the account's assets after a sync (VU4 names and prices, DB5's
 * custom flag and genre), and DB4: a version published in the store reaches 'automatic'
 * apps as update commands at the next sync, through the onNewVersion port.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { publishAppVersion } from "../../src/mdm/index.js";
import {
  findAsset,
  getAccount,
  listLicensesForApp,
  replaceInstalledApps,
  setCatalogApp,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { listAppsView } from "../../src/store/views.repo.js";
import { addAccount, compareVersions, syncAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, spaceWithApps } from "./fixtures.js";
import { drain, type Harness, startHarness } from "./harness.js";

describeEachDatabase("sync: store metadata (VU4, DB5, DB4)", (tdb) => {
  let h: Harness;
  const published: Array<{ adamId: string; version: string }> = [];
  beforeAll(async () => {
    const db = tdb().store.db;
    h = await startHarness(tdb(), {
      deps: {
        onNewVersion: async (v) => {
          published.push(v);
          return publishAppVersion({ db, now: () => new Date() }, v);
        },
      },
    });
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;

  it("VU4, DB5: after a full sync, names, prices, genre, bundle id, artwork and the custom flag are on the assets", async () => {
    const [keynote, custom, school, book] = [newAdamId(), newAdamId(), newAdamId(), newAdamId()];
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, {
      adamId: keynote,
      totalCount: 10,
      name: "Keynote",
      bundleId: "com.apple.Keynote",
      version: "14.2",
      genre: "Productivity",
      price: 4.99,
    });
    h.sim.operator.addAsset(loc.uId, {
      adamId: custom,
      totalCount: 5,
      name: "Acme Field Service",
      custom: true,
    });
    h.sim.operator.addAsset(loc.uId, {
      adamId: school,
      totalCount: 5,
      name: "Class Timetable",
      genre: "Education",
      price: 2.99,
    });
    h.sim.operator.addAsset(loc.uId, {
      adamId: book,
      totalCount: 5,
      productType: "Book",
      name: "A Book",
      price: 1.99,
    });
    const space = await spaceWithApps(db(), []);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Main",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const summary = await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "full" });
    expect(summary.metadata).toMatchObject({ lookedUp: 4, found: 3, custom: 1 });

    const row = await db()
      .selectFrom("assets")
      .selectAll()
      .where("account_id", "=", account.id)
      .where("adam_id", "=", keynote)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      name: "Keynote",
      genre: "Productivity",
      bundle_id: "com.apple.Keynote",
      custom: false,
      latest_version: "14.2",
      currency: "USD", // the lookup's storefront (the simulator's is the US one)
    });
    expect(Number(row.price)).toBe(4.99);
    expect(row.artwork_url).toMatch(/^https:\/\//);
    expect(await findAsset(db(), space.id, account.id, book)).toMatchObject({ name: "A Book", price: 1.99 });

    // The VU4 rows carry it, and DB5's reminder: custom or Productivity, not Education.
    const page = await listAppsView(
      db(),
      space.id,
      {},
      { page: 1, pageSize: 50, sort: "adamId", order: "asc" },
    );
    const byId = new Map(page.items.map((a) => [a.adamId, a]));
    expect(byId.get(keynote)).toMatchObject({
      name: "Keynote",
      price: 4.99,
      genre: "Productivity",
      latestVersion: "14.2",
      custom: false,
      deviceLicenseReminder: true,
    });
    expect(byId.get(custom)).toMatchObject({ custom: true, deviceLicenseReminder: true });
    expect(byId.get(custom)?.name).toBeUndefined(); // not public: nothing to name it by
    expect(byId.get(school)).toMatchObject({
      name: "Class Timetable",
      price: 2.99,
      deviceLicenseReminder: false,
    });

    // An incremental sync within a day looks nothing up again; names survive the asset sync.
    const incremental = await syncAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      mode: "incremental",
    });
    expect(incremental.metadata?.lookedUp).toBe(0);
    expect(await findAsset(db(), space.id, account.id, keynote)).toMatchObject({
      name: "Keynote",
      price: 4.99,
    });
  });

  it("VU4, DB5: names and prices come from the location's own store: an app sold only in France is named, in euros", async () => {
    const [french, everywhere] = [newAdamId(), newAdamId()];
    const loc = h.sim.operator.createLocation({ orgName: "Lycée", countryISO2ACode: "FR" });
    h.sim.operator.addAsset(loc.uId, {
      adamId: french,
      totalCount: 5,
      name: "Pronote",
      storefronts: ["FR"],
      price: 3.99,
    });
    h.sim.operator.addAsset(loc.uId, { adamId: everywhere, totalCount: 5, name: "Keynote", price: 4.99 });
    const space = await spaceWithApps(db(), []);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "FR",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(await getAccount(db(), space.id, account.id)).toMatchObject({ countryCode: "FR" });
    const summary = await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "full" });
    // Asked of the US store, Pronote would be unknown and taken for a custom app (DB5).
    expect(summary.metadata).toMatchObject({ lookedUp: 2, found: 2, custom: 0 });
    expect(await findAsset(db(), space.id, account.id, french)).toMatchObject({
      name: "Pronote",
      price: 3.99,
      currency: "EUR",
    });

    // An account claimed before Orchard kept the country, its apps looked up in the US store:
    // the next sync's token check (which reads Apple's client config anyway) keeps the
    // country, and the lookup asks the French store.
    await db().updateTable("accounts").set({ country_code: null }).where("id", "=", account.id).execute();
    await db()
      .updateTable("assets")
      .set({ name: null, currency: null })
      .where("account_id", "=", account.id)
      .execute();
    await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "full" });
    expect(await getAccount(db(), space.id, account.id)).toMatchObject({ countryCode: "FR" });
    expect(await findAsset(db(), space.id, account.id, french)).toMatchObject({
      name: "Pronote",
      currency: "EUR",
    });
  });

  it("DB4: a version published in the store leads, at the next sync, to update commands for 'automatic' apps only", async () => {
    const [auto, immediate] = [newAdamId(), newAdamId()];
    const loc = h.newLocation();
    for (const adamId of [auto, immediate]) {
      h.sim.operator.addAsset(loc.uId, {
        adamId,
        totalCount: 3,
        version: "1.0",
        supportedPlatforms: ["iOS"],
      });
    }
    const space = await spaceWithApps(db(), [auto, immediate]);
    await setCatalogApp(db(), { spaceId: space.id, adamId: auto, updateMode: "automatic" }, new Date());
    await setCatalogApp(db(), { spaceId: space.id, adamId: immediate, updateMode: "immediate" }, new Date());
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Main",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const [device] = await iosDevices(db(), space.id, 1);
    if (!device) throw new Error("no device");
    for (const adamId of [auto, immediate]) expect(await checkIn(db(), space.id, adamId, [device])).toBe(1);
    await drain(h);
    for (const adamId of [auto, immediate]) {
      expect((await listLicensesForApp(db(), space.id, adamId)).map((l) => l.state)).toEqual(["assigned"]);
    }
    await replaceInstalledApps(
      db(),
      space.id,
      device.id,
      [
        { bundleId: "auto", adamId: auto, version: "1.0" },
        { bundleId: "imm", adamId: immediate, version: "1.0" },
      ],
      new Date(),
    );
    const before = (await listMdmCommands(db(), space.id, { deviceId: device.id })).length;

    h.sim.operator.publishVersion(auto, "1.1");
    h.sim.operator.publishVersion(immediate, "1.1");
    // Not yet looked up again within the day; a day later the incremental sync sees it.
    const later = new Date(Date.now() + 25 * 3600 * 1000);
    const summary = await syncAccount(
      { ...h.deps, now: () => later },
      { spaceId: space.id, accountId: account.id, mode: "incremental" },
    );
    expect(summary.metadata?.newVersions).toEqual(
      expect.arrayContaining([
        { adamId: auto, version: "1.1" },
        { adamId: immediate, version: "1.1" },
      ]),
    );
    const updates = (await listMdmCommands(db(), space.id, { deviceId: device.id }))
      .slice(before)
      .filter((c) => c.appVersion === "1.1");
    expect(updates.map((u) => [u.adamId, u.kind, u.ruleIds])).toEqual([[auto, "install", ["DB4"]]]);

    // Known now: the next full sync publishes nothing again.
    const count = published.length;
    await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "full" });
    expect(published.length).toBe(count);
  });

  it("DB4: versions compare part by part, never treating an older one as new", () => {
    expect(compareVersions("1.10", "1.9")).toBe(1);
    expect(compareVersions("2.0", "2.0.0")).toBe(0);
    expect(compareVersions("14.2", "14.10")).toBe(-1);
    expect(compareVersions("1.0b2", "1.0b1")).toBe(1);
  });
});
