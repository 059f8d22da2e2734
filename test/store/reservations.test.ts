import { expect, it } from "vitest";
import { createUsers, setAppRules, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("reservations hold real seats", (database) => {
  it("DI6: reservations that would need more seats than are free now are refused", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "400000001");
    // 5 licenses, 4 already used (outside Orchard): one seat is free.
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5, used: 4 });
    const [a, b] = await createUsers(db, [
      { spaceId: space.id, name: "A" },
      { spaceId: space.id, name: "B" },
    ]);
    if (!a || !b) throw new Error("no users");
    const rules = {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      reservedDeviceIds: [],
      prohibitedUserIds: [],
    };
    await expect(
      setAppRules(db, { ...rules, reservedUserIds: [a.id, b.id] }, SYSTEM, NOW),
    ).rejects.toMatchObject({
      code: "reservations_exceed_licenses",
    });
    await expect(setAppRules(db, { ...rules, reservedUserIds: [a.id] }, SYSTEM, NOW)).resolves.toBeDefined();
  });

  it("DB5: a device reservation of an asset Apple does not allow device-based is refused", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "400000002");
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    await upsertAsset(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        pricingParam: "STDQ",
        productType: "Book",
        total: 5,
        deviceAssignable: false,
        platforms: ["iOS"],
      },
      NOW,
    );
    await expect(
      setAppRules(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          reservedUserIds: [],
          reservedDeviceIds: ["any"],
          prohibitedUserIds: [],
        },
        SYSTEM,
        NOW,
      ),
    ).rejects.toMatchObject({ code: "invalid_request", details: { field: "reservedDeviceIds" } });
  });
});
