import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { adoptListed } from "../../src/store/adopt-listed.repo.js";
import { createUsers, setAppRules, withTransaction } from "../../src/store/index.js";
import {
  completeOutsideSnapshot,
  newOutsideGeneration,
  writeOutsidePage,
} from "../../src/store/outside-assignments.repo.js";
import { lockAssets } from "../../src/store/seats.js";
import { ensureAllUsersRules } from "../../src/store/sync-account-data.repo.js";
import { requeueSubjects } from "../../src/store/sync-licenses.repo.js";
import { appleUserEntries } from "../../src/store/sync-users.repo.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

/**
 * Statements whose size follows what users, MDMs or Apple send: each must stay one
 * statement of a few bound parameters (PostgreSQL and PGlite take at most 65,535), so
 * each test here passes that limit by the input the old statement bound row by row.
 */
describeEachDatabase("statements past PostgreSQL's 65,535 bound parameters", (database) => {
  it("DI1: 4,000 reserved and 10,000 prohibited users (the API's limits; 70,000 parameters as rows of VALUES) are set in one call", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000101");
    const { account } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId,
      total: 4_000,
      autoDistribute: false,
    });
    const users = await createUsers(
      db,
      Array.from({ length: 14_000 }, (_, i) => ({ spaceId: space.id, name: `user ${i}` })),
    );
    const reserved = users.slice(0, 4_000).map((u) => u.id);
    const prohibited = users.slice(4_000).map((u) => u.id);
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    const input = {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      fcfs: { groupIds: [ALL_USERS], requestedType: "user" as const, mandatoryType: "device" as const },
      reservedUserIds: reserved,
      reservedDeviceIds: [] as string[],
      prohibitedUserIds: prohibited,
    };
    const rules = await setAppRules(db, input, SYSTEM, NOW);
    expect(rules.fcfs).toEqual({ groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" });
    expect([...rules.reservedUserIds].sort()).toEqual([...reserved].sort());
    expect([...rules.prohibitedUserIds].sort()).toEqual([...prohibited].sort());
    expect(rules.unusedReservations).toBe(4_000);
    // The lists are replaced, not added to.
    const again = await setAppRules(
      db,
      {
        ...input,
        fcfs: undefined,
        reservedUserIds: [],
        reservedDeviceIds: [device.id],
        prohibitedUserIds: [],
      },
      SYSTEM,
      NOW,
    );
    expect(again).toEqual({
      reservedUserIds: [],
      reservedDeviceIds: [device.id],
      prohibitedUserIds: [],
      unusedReservations: 1,
    });
  });

  it("AC1: automatic distribution turned on for an account of 10,000 apps gives each app without rules FCFS for All Users (70,000 parameters as rows of VALUES)", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000102");
    const { account } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId,
      total: 5,
      autoDistribute: false,
    });
    // The admin's own rule (no FCFS) is left alone.
    await setAppRules(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      SYSTEM,
      NOW,
    );
    await sql`insert into assets (space_id, account_id, adam_id, pricing_param, product_type, total_count,
        device_assignable)
      select ${space.id}, ${account.id}, (300000000 + g)::text, 'STDQ', 'Book', 1, false
      from generate_series(1, 10000) as g`.execute(db);

    expect(await ensureAllUsersRules(db, space.id, account.id, NOW)).toBe(10_000);

    const { rows } = await sql<{ fcfs: number; other: number; groups: number; at: number }>`select
        (select count(*)::int from app_rules where space_id = ${space.id} and account_id = ${account.id}
          and fcfs_enabled and fcfs_requested_type = 'user' and fcfs_mandatory_type = 'device'
          and updated_at = ${NOW.toISOString()}::timestamptz) as fcfs,
        (select count(*)::int from app_rules where space_id = ${space.id} and account_id = ${account.id}
          and not fcfs_enabled) as other,
        (select count(*)::int from rule_groups where space_id = ${space.id} and account_id = ${account.id}
          and group_id = ${ALL_USERS}) as groups,
        (select count(*)::int from rule_groups where space_id = ${space.id} and account_id = ${account.id}
          and adam_id = ${adamId}) as at`.execute(db);
    expect(rows[0]).toEqual({ fcfs: 10_000, other: 1, groups: 10_000, at: 0 });
    expect(await ensureAllUsersRules(db, space.id, account.id, NOW)).toBe(0);
  });

  it("DB2, UB3: 8,000 devices whose associations Apple refused wait again in order, one already waiting keeps its place (72,000 parameters as rows of VALUES)", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000103");
    const fleet = await devices(db, space.id, 8_000);
    const [first] = fleet;
    if (!first) throw new Error("no devices");
    const earlier = new Date(NOW.getTime() - 3_600_000);
    const entry = (deviceId: string, at: Date) => ({
      spaceId: space.id,
      adamId,
      deviceId,
      why: "mandatory" as const,
      ruleIds: ["DB2", "UB3"],
      requestedAt: at,
      now: at,
    });
    await requeueSubjects(db, [entry(first.id, earlier)]);
    await requeueSubjects(
      db,
      fleet.map((d) => entry(d.id, NOW)),
    );
    const queued = await db
      .selectFrom("license_queue")
      .select(["device_id", "user_id", "why", "reason", "rule_ids", "requested_at", "decided_at"])
      .where("space_id", "=", space.id)
      .where("adam_id", "=", adamId)
      .orderBy("seq")
      .execute();
    expect(queued.map((q) => q.device_id)).toEqual(fleet.map((d) => d.id));
    expect(queued[0]).toMatchObject({ requested_at: earlier, decided_at: earlier });
    expect(queued[1]).toEqual({
      device_id: fleet[1]?.id,
      user_id: null,
      why: "mandatory",
      reason: "no_license",
      rule_ids: ["DB2", "UB3"],
      requested_at: NOW,
      decided_at: NOW,
    });
  });

  it("UB2: the e-mails of 70,000 clientUserIds of one users/create are read in one statement (70,001 parameters as an IN list)", async () => {
    const { db } = database().store;
    const { space } = await spaceWithApp(db, "200000104");
    const prefix = randomUUID().slice(0, 8);
    await createUsers(db, [
      { spaceId: space.id, name: "a", email: "a@example.com", appleClientUserId: `${prefix}-1` },
      {
        spaceId: space.id,
        name: "b",
        managedAppleId: "b@appleid.example.com",
        appleClientUserId: `${prefix}-2`,
      },
      { spaceId: space.id, name: "c", appleClientUserId: `${prefix}-3` },
    ]);
    const ids = Array.from({ length: 70_000 }, (_, i) => `${prefix}-${i}`);
    const entries = await appleUserEntries(db, space.id, ids);
    expect(Object.fromEntries(entries)).toEqual({
      [`${prefix}-1`]: { clientUserId: `${prefix}-1`, email: "a@example.com" },
      [`${prefix}-2`]: { clientUserId: `${prefix}-2`, managedAppleId: "b@appleid.example.com" },
      [`${prefix}-3`]: { clientUserId: `${prefix}-3` },
    });
  });

  it("AC7: 70,000 devices created at once look up what Apple's outside list holds for them in one statement (70,000 ids as an array)", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000106");
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("no device");
    // Apple holds the app for this device, assigned by another MDM.
    const generation = await newOutsideGeneration(db);
    const input = { spaceId: space.id, accountId: account.id, generation };
    await writeOutsidePage(db, {
      ...input,
      page: 0,
      assignments: [{ adamId, pricingParam: "STDQ", serialNumber: device.serialNumber }],
    });
    await completeOutsideSnapshot(db, { ...input, now: NOW });
    const others = Array.from({ length: 69_999 }, () => randomUUID());
    const adopted = await adoptListed(db, { spaceId: space.id, deviceIds: [...others, device.id], now: NOW });
    expect(adopted.map((a) => [a.adamId, a.deviceId])).toEqual([[adamId, device.id]]);
  });

  it("AC3: the asset rows of licenses across 40,000 (account, app) pairs are locked by one statement (80,001 parameters as OR branches), and only those", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000105");
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const other = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const pairs = [
      { accountId: account.id, adamId },
      ...Array.from({ length: 39_999 }, (_, i) => ({ accountId: account.id, adamId: String(400000000 + i) })),
    ];
    const locked = await withTransaction(db, async (trx) => {
      await lockAssets(trx, space.id, pairs);
      // A row this transaction locked carries its transaction id in xmax.
      const { rows } = await sql<{ account_id: string; mine: boolean }>`select account_id,
          xmax::text = (txid_current() % 4294967296)::text as mine
        from assets where space_id = ${space.id} and adam_id = ${adamId}`.execute(trx);
      return Object.fromEntries(rows.map((r) => [r.account_id, r.mine]));
    });
    expect(locked).toEqual({ [account.id]: true, [other.account.id]: false });
  });
});
