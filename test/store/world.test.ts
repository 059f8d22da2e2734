import { sql } from "kysely";
import { expect, it } from "vitest";
import { ALL_USERS, type LicenseRequest } from "../../src/licensing/index.js";
import {
  addGroupMembers,
  createDevice,
  createGroup,
  createSpace,
  createUser,
  insertLicenses,
  loadDecisionWorld,
  loadDecisionWorlds,
  setAccountHealth,
  setAppRules,
} from "../../src/store/index.js";
import { probeByKey } from "../../src/store/sql-helpers.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("loadDecisionWorld", (database) => {
  it("a batch's devices are read by key, a probe each: never a scan of the fleet's table", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: "fleet" });
    const fleet = await devices(db, space.id, 6000);
    await sql`analyze devices`.execute(db);
    const batch = fleet.slice(0, 1000).map((d) => d.id);
    const plan = async (from: ReturnType<typeof sql>) =>
      JSON.stringify((await sql`explain (format json) select d.id from ${from}`.execute(db)).rows);
    expect(await plan(probeByKey("devices", space.id, batch))).not.toMatch(/Seq Scan/);
    // The control: the same lookup as `id = any(…)` is planned as a scan of the table.
    expect(
      await plan(sql`devices d where d.space_id = ${space.id} and d.id = any(${batch}::text[])`),
    ).toMatch(/Seq Scan/);
  });

  it("builds the engine's world: accounts by priority with assets, rules, subject, its user and licenses", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const a1 = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10, used: 4 });
    const a2 = await accountWithSeats(db, keys, { spaceId: space.id, adamId: "999", total: 1 }); // another app only
    await setAccountHealth(db, space.id, a2.account.id, "expired", NOW);
    const user = await createUser(db, { spaceId: space.id, name: "Ann", appleStatus: "Associated" });
    const group = await createGroup(db, { spaceId: space.id, name: "Sales" });
    await addGroupMembers(db, space.id, group.id, [user.id]);
    const device = await createDevice(db, {
      spaceId: space.id,
      serialNumber: "C02XYZ",
      platform: "macOS",
      userId: user.id,
      supervised: true,
    });
    await setAppRules(
      db,
      {
        spaceId: space.id,
        accountId: a1.account.id,
        adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [user.id],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      SYSTEM,
      NOW,
    );
    const [licenseId] = await insertLicenses(db, [
      {
        spaceId: space.id,
        accountId: a1.account.id,
        adamId,
        type: "user",
        userId: user.id,
        state: "assigned",
        now: NOW,
      },
    ]);
    const request: LicenseRequest = {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: device.id },
      why: "check_in",
    };

    const world = await loadDecisionWorld(db, request);

    expect(world.space).toEqual({ id: space.id, appsAndBooksEnabled: true });
    expect(world.catalogApp).toEqual({ adamId });
    expect(world.accounts.map((a) => [a.id, a.priority, a.usable, a.asset?.total, a.asset?.used])).toEqual([
      [a1.account.id, 1, true, 10, 4],
      [a2.account.id, 2, false, undefined, undefined],
    ]);
    expect(world.accounts[0]?.rules).toMatchObject({ reservedUserIds: [user.id], unusedReservations: 0 });
    expect(world.device).toMatchObject({ id: device.id, platform: "macOS", userId: user.id, active: true });
    expect(world.user).toMatchObject({ id: user.id, enrolled: true });
    expect([...(world.user?.groupIds ?? [])].sort()).toEqual([ALL_USERS, group.id].sort());
    expect(world.licenses.map((l) => l.id)).toEqual([licenseId]);
  });

  it("loads many subjects at once, each with its own licenses", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const d1 = await createDevice(db, { spaceId: space.id, serialNumber: "D1", platform: "iOS" });
    const d2 = await createDevice(db, { spaceId: space.id, serialNumber: "D2", platform: "iOS" });
    const u = await createUser(db, { spaceId: space.id, name: "U" });
    await insertLicenses(db, [
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        type: "device",
        deviceId: d2.id,
        state: "assigned",
        now: NOW,
      },
    ]);
    const requests: LicenseRequest[] = [
      { spaceId: space.id, adamId, subject: { kind: "device", deviceId: d1.id }, why: "mandatory" },
      { spaceId: space.id, adamId, subject: { kind: "device", deviceId: d2.id }, why: "mandatory" },
      { spaceId: space.id, adamId, subject: { kind: "user", userId: u.id }, why: "requested" },
    ];
    const worlds = await loadDecisionWorlds(db, { spaceId: space.id, adamId, requests });
    expect(worlds.map((w) => w.licenses.length)).toEqual([0, 1, 0]);
    expect(worlds[2]?.user).toMatchObject({ id: u.id, enrolled: false, groupIds: [ALL_USERS] });
    expect(worlds[2]?.device).toBeUndefined();
  });

  it("bad input is a typed error: unknown space, unknown app, subject of another space", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const other = await createSpace(db, { name: "other" });
    const foreign = await createDevice(db, { spaceId: other.id, serialNumber: "F1", platform: "iOS" });
    const at = (spaceId: string, app: string, deviceId: string): LicenseRequest => ({
      spaceId,
      adamId: app,
      subject: { kind: "device", deviceId },
      why: "mandatory",
    });
    await expect(loadDecisionWorld(db, at("no-such-space", adamId, foreign.id))).rejects.toMatchObject({
      code: "not_found",
      entity: "space",
    });
    await expect(loadDecisionWorld(db, at(space.id, "000", foreign.id))).rejects.toMatchObject({
      entity: "app",
    });
    await expect(loadDecisionWorld(db, at(space.id, adamId, foreign.id))).rejects.toMatchObject({
      entity: "device",
    });
  });
});
