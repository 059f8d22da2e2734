import { expect, it } from "vitest";
import { setAssetMetadata } from "../../src/store/asset-metadata.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, NOW } from "./harness.js";

describeEachDatabase("app rows with the store's metadata (VU4, DB5)", (db) => {
  it("VU4, DB5: GET /apps carries price with its currency, genre, bundle id, artwork, custom, latest version and the device-license reminder (custom or Productivity, each on its own)", async () => {
    const f = await buildFixture(db().store);
    const get = (url: string) => f.app.inject({ url, headers: auth(f.tokens.read) });
    const s = `/api/v1/spaces/${f.ids.spaceA}`;
    const before = (await get(`${s}/apps`)).json().items[0];
    expect(before).toMatchObject({ adamId: f.ids.adamId, custom: false, deviceLicenseReminder: false });
    expect(before.genre).toBeUndefined();

    const key = { spaceId: f.ids.spaceA, accountId: f.ids.accountA, adamId: f.ids.adamId, now: NOW };
    await setAssetMetadata(db().store.db, {
      ...key,
      metadata: {
        custom: false,
        name: "Pages",
        price: 4.99,
        currency: "EUR",
        genre: "Productivity",
        bundleId: "com.apple.Pages",
        artworkUrl: "https://is1-ssl.mzstatic.com/pages/512x512bb.jpg",
        latestVersion: "14.2",
      },
    });
    const row = (await get(`${s}/apps`)).json().items[0];
    expect(row).toMatchObject({
      genre: "Productivity",
      bundleId: "com.apple.Pages",
      artworkUrl: "https://is1-ssl.mzstatic.com/pages/512x512bb.jpg",
      latestVersion: "14.2",
      price: 4.99,
      currency: "EUR", // the lookup's storefront: a price means nothing without it
      custom: false,
      deviceLicenseReminder: true, // a Productivity app
    });
    // Per account too (the console's app page reads that list).
    const perAccount = (await get(`${s}/accounts/${f.ids.accountA}/apps`)).json().items[0];
    expect(perAccount).toMatchObject({ genre: "Productivity", deviceLicenseReminder: true });

    await setAssetMetadata(db().store.db, { ...key, metadata: { custom: true } });
    expect((await get(`${s}/apps`)).json().items[0]).toMatchObject({
      custom: true,
      genre: "Productivity", // kept: a custom flag does not erase what was known
      deviceLicenseReminder: true,
    });
    // DB5: custom decides on its own: a Games app gets the reminder when custom, not when public.
    await setAssetMetadata(db().store.db, {
      ...key,
      metadata: {
        custom: false,
        name: "Chess",
        price: undefined,
        genre: "Games",
        bundleId: undefined,
        artworkUrl: undefined,
        latestVersion: undefined,
      },
    });
    expect((await get(`${s}/apps`)).json().items[0]).toMatchObject({
      custom: false,
      genre: "Games",
      deviceLicenseReminder: false, // neither custom nor Productivity
    });
    await setAssetMetadata(db().store.db, { ...key, metadata: { custom: true } });
    expect((await get(`${s}/apps`)).json().items[0]).toMatchObject({
      custom: true,
      genre: "Games",
      deviceLicenseReminder: true, // a custom (B2B) app, whatever its genre
    });
    expect((await get(`${s}/accounts/${f.ids.accountA}/apps`)).json().items[0]).toMatchObject({
      custom: true,
      genre: "Games",
      deviceLicenseReminder: true,
    });
    const doc = (await f.app.inject({ url: "/openapi.json" })).json();
    expect(Object.keys(doc.components.schemas.AppUsage.properties)).toEqual(
      expect.arrayContaining([
        "genre",
        "bundleId",
        "artworkUrl",
        "custom",
        "latestVersion",
        "deviceLicenseReminder",
      ]),
    );
  });
});
