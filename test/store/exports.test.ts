import { expect, it } from "vitest";
import { type AppUsageRow, iterateAppUsage, iterateLicenses } from "../../src/store/export.repo.js";
import { createUser, insertLicenses, setAppRules, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

async function all<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const row of rows) out.push(row);
  return out;
}

/**
 * The exports' paging queries (export.repo.ts): a whole table walked by key, a small batch at
 * a time, every row once and in order, whatever the batch size; one space's rows only.
 */
describeEachDatabase("export queries", (database) => {
  it("iterateLicenses walks every license by id, each once, for any batch size; filters and search as the list", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 100 });
    const subjects = await devices(db, space.id, 23);
    const live = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: subjects.slice(0, 20),
      state: "assigned",
    });
    const released = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: subjects.slice(20),
      state: "released",
    });
    // Another space's licenses of the same app never show.
    const other = await spaceWithApp(db);
    const theirs = await accountWithSeats(db, keys, { spaceId: other.space.id, adamId, total: 5 });
    await deviceLicenses(db, {
      spaceId: other.space.id,
      accountId: theirs.account.id,
      adamId,
      devices: await devices(db, other.space.id, 4),
      state: "assigned",
    });

    const everyId = [...live, ...released].sort();
    for (const batch of [1, 5, 7, 23, 1000]) {
      const rows = await all(iterateLicenses(db, space.id, {}, undefined, batch));
      expect(
        rows.map((r) => r.id),
        `batch ${batch}`,
      ).toEqual(everyId);
    }
    const releasedRows = await all(iterateLicenses(db, space.id, { state: "released" }, undefined, 2));
    expect(releasedRows.map((r) => r.id)).toEqual([...released].sort());
    expect(releasedRows[0]).toMatchObject({
      adamId,
      appName: "Pages", // the asset has no name: the catalog's
      accountId: account.id,
      accountName: account.displayName,
      type: "device",
      state: "released",
      reserved: false,
      createdAt: NOW,
    });
    const device = subjects[21];
    const found = await all(iterateLicenses(db, space.id, {}, device?.serialNumber.slice(-6), 1));
    expect(found.map((r) => r.serialNumber)).toEqual([device?.serialNumber]);
  });

  it("iterateAppUsage walks (app, account) pairs in order with each one's counts, for any batch size", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const second = "555000222";
    const first = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 4, used: 1 });
    const next = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 0 });
    await upsertAsset(
      db,
      {
        spaceId: space.id,
        accountId: first.account.id,
        adamId: second,
        pricingParam: "STDQ",
        productType: "Book",
        name: "Field Guide",
        total: 2,
        deviceAssignable: false,
        platforms: ["iOS"],
      },
      NOW,
    );
    const [a, b, c, d] = await devices(db, space.id, 4);
    if (!a || !b || !c || !d) throw new Error("devices");
    const key = { spaceId: space.id, accountId: first.account.id, adamId };
    for (const [subject, state] of [
      [a, "assigned"],
      [b, "pending_assign"],
      [c, "pending_release"],
    ] as const)
      await deviceLicenses(db, { ...key, devices: [subject], state });
    await insertLicenses(db, [{ ...key, type: "device", deviceId: d.id, state: "in_grace", now: NOW }]);
    await db
      .updateTable("licenses")
      .set({ grace_until: new Date("2026-02-01T00:00:00Z") })
      .where("space_id", "=", space.id)
      .where("state", "=", "in_grace")
      .execute();
    const reservedUser = await createUser(db, { spaceId: space.id, name: "Reserved Rita" });
    // DI6: a reserved device holding its seat (a) is not counted; d (in grace, no seat) and Rita are.
    await setAppRules(
      db,
      { ...key, reservedUserIds: [reservedUser.id], reservedDeviceIds: [a.id, d.id], prohibitedUserIds: [] },
      SYSTEM,
      NOW,
    );
    await db
      .insertInto("license_queue")
      .values({
        space_id: space.id,
        adam_id: adamId,
        user_id: reservedUser.id,
        why: "requested",
        reason: "no_license",
      })
      .execute();

    const pairs: Array<Partial<AppUsageRow> & { adamId: string; accountId: string }> = [
      {
        adamId,
        accountId: first.account.id,
        total: 4,
        used: 1,
        assigned: 1,
        pendingAssign: 1,
        pendingRelease: 1,
        inGrace: 1,
        reserved: 2,
        // DI6: free for anyone: 4 less 1 used, less 2 held for reservations.
        available: 1,
        waitingUsers: 1,
        waitingDevices: 0,
        usagePercent: 25,
      },
      // No license bought and none in use: 0 %; the app's queue repeated on each of its accounts.
      {
        adamId,
        accountId: next.account.id,
        total: 0,
        used: 0,
        reserved: 0,
        available: 0,
        waitingUsers: 1,
        usagePercent: 0,
      },
      {
        adamId: second,
        appName: "Field Guide",
        productType: "Book",
        accountId: first.account.id,
        total: 2,
        assigned: 0,
        inGrace: 0,
        waitingUsers: 0,
        usagePercent: 0,
      },
    ];
    // By app id, then account id (the accounts' ids are UUIDs: ordered alike by any collation).
    const expected = pairs.sort((x, y) =>
      x.adamId === y.adamId ? x.accountId.localeCompare(y.accountId) : x.adamId < y.adamId ? -1 : 1,
    );
    for (const batch of [1, 2, 3, 500]) {
      const rows = await all(iterateAppUsage(db, space.id, {}, batch));
      expect(rows, `batch ${batch}`).toHaveLength(3);
      rows.forEach((row, i) => {
        expect(row, `batch ${batch} row ${i}`).toMatchObject(expected[i] ?? {});
      });
    }
    const ofSecond = await all(iterateAppUsage(db, space.id, { adamId: second }, 1));
    expect(ofSecond.map((r) => r.adamId)).toEqual([second]);
    const ofNext = await all(iterateAppUsage(db, space.id, { accountId: next.account.id }));
    expect(ofNext.map((r) => r.accountId)).toEqual([next.account.id]);
  });
});
