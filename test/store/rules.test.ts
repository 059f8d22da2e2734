import { expect, it } from "vitest";
import {
  createDevice,
  createGroup,
  createSpace,
  createUser,
  getAppRules,
  listActivity,
  requestLicenses,
  setAppRules,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("license rules", (database) => {
  async function setup(total = 3) {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId,
      total,
      autoDistribute: false,
    });
    const [u1, u2, u3] = await Promise.all(
      ["u1", "u2", "u3"].map((name) =>
        createUser(db, { spaceId: space.id, name, appleStatus: "Associated" }),
      ),
    );
    const device = await createDevice(db, {
      spaceId: space.id,
      serialNumber: `S${Date.now()}`,
      platform: "iOS",
    });
    const group = await createGroup(db, { spaceId: space.id, name: "Sales" });
    if (!u1 || !u2 || !u3) throw new Error("users");
    return { db, space, adamId, account, users: [u1, u2, u3] as const, device, group };
  }

  it("DI1: sets FCFS groups, reservations and prohibitions of one (account, app), and logs it", async () => {
    const { db, space, adamId, account, users, device, group } = await setup();
    const rules = await setAppRules(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        fcfs: { groupIds: [group.id], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [users[0].id],
        reservedDeviceIds: [device.id],
        prohibitedUserIds: [users[1].id],
      },
      { kind: "admin", id: "admin-1" },
      NOW,
    );
    expect(rules).toEqual({
      fcfs: { groupIds: [group.id], requestedType: "user", mandatoryType: "device" },
      reservedUserIds: [users[0].id],
      reservedDeviceIds: [device.id],
      prohibitedUserIds: [users[1].id],
      unusedReservations: 2,
    });
    const [log] = await listActivity(db, space.id, { action: "rules.updated" });
    expect(log).toMatchObject({
      actor: { kind: "admin", id: "admin-1" },
      accountId: account.id,
      ruleIds: ["DI1"],
    });
  });

  it("DI1, invariant 4: a rules change logs who entered and left each list, by name, and FCFS before and after", async () => {
    const { db, space, adamId, account, users, device, group } = await setup();
    const set = (input: Partial<Parameters<typeof setAppRules>[1]>) =>
      setAppRules(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          reservedUserIds: [],
          reservedDeviceIds: [],
          prohibitedUserIds: [],
          ...input,
        },
        SYSTEM,
        NOW,
      );
    const lastChanges = async () =>
      (await listActivity(db, space.id, { action: "rules.updated", limit: 1 }))[0]?.details?.changes;
    await set({ reservedUserIds: [users[0].id, users[1].id], prohibitedUserIds: [users[2].id] });
    expect(await lastChanges()).toEqual({
      reservedUsers: {
        added: [
          { id: users[0].id, name: "u1" },
          { id: users[1].id, name: "u2" },
        ],
        removed: [],
        addedCount: 2,
        removedCount: 0,
      },
      prohibitedUsers: {
        added: [{ id: users[2].id, name: "u3" }],
        removed: [],
        addedCount: 1,
        removedCount: 0,
      },
    });
    // u2 leaves the reservations, u3 is no longer prohibited, FCFS starts for Sales, the device is reserved.
    await set({
      fcfs: { groupIds: [group.id], requestedType: "user", mandatoryType: "device" },
      reservedUserIds: [users[0].id],
      reservedDeviceIds: [device.id],
    });
    expect(await lastChanges()).toEqual({
      fcfs: { before: null, after: { requestedType: "user", mandatoryType: "device" } },
      groups: { added: [{ id: group.id, name: "Sales" }], removed: [], addedCount: 1, removedCount: 0 },
      reservedUsers: {
        added: [],
        removed: [{ id: users[1].id, name: "u2" }],
        addedCount: 0,
        removedCount: 1,
      },
      reservedDevices: {
        added: [{ id: device.id, name: device.serialNumber }],
        removed: [],
        addedCount: 1,
        removedCount: 0,
      },
      prohibitedUsers: {
        added: [],
        removed: [{ id: users[2].id, name: "u3" }],
        addedCount: 0,
        removedCount: 1,
      },
    });
    // The same rules again change nothing; FCFS's type alone is a change.
    await set({
      fcfs: { groupIds: [group.id], requestedType: "user", mandatoryType: "device" },
      reservedUserIds: [users[0].id],
      reservedDeviceIds: [device.id],
    });
    expect(await lastChanges()).toEqual({});
    await set({
      fcfs: { groupIds: [group.id], requestedType: "device", mandatoryType: "device" },
      reservedUserIds: [users[0].id],
      reservedDeviceIds: [device.id],
    });
    expect(await lastChanges()).toEqual({
      fcfs: {
        before: { requestedType: "user", mandatoryType: "device" },
        after: { requestedType: "device", mandatoryType: "device" },
      },
    });
  });

  it("DI7: a user both reserved and prohibited in one account is a validation error", async () => {
    const { db, space, adamId, account, users } = await setup();
    await expect(
      setAppRules(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          reservedUserIds: [users[0].id],
          reservedDeviceIds: [],
          prohibitedUserIds: [users[0].id],
        },
        SYSTEM,
        NOW,
      ),
    ).rejects.toMatchObject({ code: "reserved_and_prohibited" });
  });

  it("DI7: the schema itself refuses a user reserved and prohibited in the same account and app", async () => {
    const { db, space, adamId, account, users } = await setup();
    const key = { space_id: space.id, account_id: account.id, adam_id: adamId, user_id: users[0].id };
    await db
      .insertInto("rule_users")
      .values({ ...key, role: "reserved" })
      .execute();
    await expect(
      db
        .insertInto("rule_users")
        .values({ ...key, role: "prohibited" })
        .execute(),
    ).rejects.toMatchObject({
      code: "23505",
    });
  });

  it("DI6: reservations can never exceed the account's licenses for the app", async () => {
    const { db, space, adamId, account, users, device } = await setup(3);
    await expect(
      setAppRules(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          reservedUserIds: users.map((u) => u.id),
          reservedDeviceIds: [device.id],
          prohibitedUserIds: [],
        },
        SYSTEM,
        NOW,
      ),
    ).rejects.toMatchObject({ code: "reservations_exceed_licenses" });
  });

  it("DI6: unusedReservations counts reservations whose holder holds no seat yet", async () => {
    const { db, space, adamId, account, users, device } = await setup(3);
    await setAppRules(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        reservedUserIds: [users[0].id],
        reservedDeviceIds: [device.id],
        prohibitedUserIds: [],
      },
      SYSTEM,
      NOW,
    );
    expect((await getAppRules(db, space.id, account.id, adamId)).unusedReservations).toBe(2);
    const [result] = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: [
        { spaceId: space.id, adamId, subject: { kind: "device", deviceId: device.id }, why: "mandatory" },
      ],
      actor: SYSTEM,
      now: NOW,
    });
    expect(result?.decision).toMatchObject({ outcome: "grant", reserved: true, type: "device" });
    expect((await getAppRules(db, space.id, account.id, adamId)).unusedReservations).toBe(1);
  });

  it("refuses subjects of another space as unknown (invariant 6)", async () => {
    const { db, space, adamId, account } = await setup();
    const other = await createSpace(db, { name: "other" });
    const stranger = await createUser(db, { spaceId: other.id, name: "stranger" });
    await expect(
      setAppRules(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          reservedUserIds: [stranger.id],
          reservedDeviceIds: [],
          prohibitedUserIds: [],
        },
        SYSTEM,
        NOW,
      ),
    ).rejects.toMatchObject({ code: "not_found", entity: "user" });
  });
});
