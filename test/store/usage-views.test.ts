import { expect, it } from "vitest";
import { listActivityView } from "../../src/store/activity-view.repo.js";
import { setAssetMetadata } from "../../src/store/asset-metadata.repo.js";
import { listDevicesView } from "../../src/store/directory.repo.js";
import {
  activityMessage,
  appendActivity,
  createDevice,
  createUser,
  insertLicenses,
} from "../../src/store/index.js";
import { userLicenseUsage } from "../../src/store/usage.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const PAGE = { page: 1, pageSize: 20 };

/** What the console's lists show beside ids: names, versions, platforms (VU1, VU3, invariant 4). */
describeEachDatabase("usage views", (database) => {
  it("invariant 4: the activity view names each line's device, user, app and account beside their ids", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db); // in the catalog as "Pages"
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("device");
    const user = await createUser(db, { spaceId: space.id, name: "Ann Example" });
    await appendActivity(db, [
      {
        spaceId: space.id,
        actor: SYSTEM,
        action: "license.assigned",
        userId: user.id,
        deviceId: device.id,
        adamId,
        accountId: account.id,
        ruleIds: ["MA1"],
        message: activityMessage("license.assigned"),
        at: NOW,
      },
      {
        spaceId: space.id,
        actor: SYSTEM,
        action: "mdm.app_deleted",
        adamId: "999999999",
        message: activityMessage("mdm.app_deleted"),
        at: NOW,
      },
    ]);
    const [unknownApp, named] = (await listActivityView(db, space.id, {}, PAGE)).items;
    expect(named).toMatchObject({
      action: "license.assigned",
      deviceId: device.id,
      deviceSerialNumber: device.serialNumber,
      userId: user.id,
      userName: "Ann Example",
      adamId,
      appName: "Pages", // the asset has no name yet: the catalog's
      accountId: account.id,
      accountName: account.displayName,
    });
    expect(unknownApp).toMatchObject({ adamId: "999999999" });
    expect(unknownApp).not.toHaveProperty("appName");
    expect(unknownApp).not.toHaveProperty("userName");

    // The store's name of the app wins over the catalog's; the filters still apply to the log's own columns.
    await setAssetMetadata(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      now: NOW,
      metadata: {
        custom: false,
        name: "Pages Pro",
        price: 0,
        genre: undefined,
        bundleId: undefined,
        artworkUrl: undefined,
        latestVersion: undefined,
      },
    });
    const filtered = await listActivityView(db, space.id, { deviceId: device.id, ruleId: "MA1" }, PAGE);
    expect(filtered.total).toBe(1);
    expect(filtered.items[0]?.appName).toBe("Pages Pro");
  });

  it("VU1: a license without an installed app shows the app's version and the platform (the device's, else the app's)", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const notability = "360593530";
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId: notability, total: 3 });
    await setAssetMetadata(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      now: NOW,
      metadata: {
        custom: false,
        name: "Pages",
        price: 0,
        genre: undefined,
        bundleId: undefined,
        artworkUrl: undefined,
        latestVersion: "14.2",
      },
    });
    const user = await createUser(db, { spaceId: space.id, name: "Ada" });
    const mac = await createDevice(db, {
      spaceId: space.id,
      serialNumber: "C02D0000",
      platform: "macOS",
      userId: user.id,
    });
    const [notabilityAccount] = (
      await db.selectFrom("assets").select("account_id").where("adam_id", "=", notability).execute()
    ).map((r) => r.account_id);
    if (!notabilityAccount) throw new Error("account");
    await insertLicenses(db, [
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        type: "user",
        userId: user.id,
        state: "assigned",
        now: NOW,
      },
      {
        spaceId: space.id,
        accountId: notabilityAccount,
        adamId: notability,
        type: "device",
        deviceId: mac.id,
        state: "assigned",
        now: NOW,
      },
    ]);
    const rows = await userLicenseUsage(db, space.id, user.id);
    expect(rows.find((r) => r.adamId === adamId)).toMatchObject({ version: "14.2", platform: "iOS, macOS" });
    expect(rows.find((r) => r.adamId === notability)).toMatchObject({
      platform: "macOS",
      serialNumber: "C02D0000",
    });
  });

  it("the devices list names each device's user", async () => {
    const { db } = database().store;
    const { space } = await spaceWithApp(db);
    const user = await createUser(db, { spaceId: space.id, name: "Grace Hopper" });
    await createDevice(db, { spaceId: space.id, serialNumber: "A1", platform: "iOS", userId: user.id });
    await createDevice(db, { spaceId: space.id, serialNumber: "A2", platform: "iOS" });
    const { items } = await listDevicesView(db, space.id, {}, { ...PAGE, sort: "serialNumber" });
    expect(items.map((d) => [d.serialNumber, d.userName])).toEqual([
      ["A1", "Grace Hopper"],
      ["A2", undefined],
    ]);
  });
});
