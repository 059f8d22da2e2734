import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { listActivityView } from "../../src/store/activity-view.repo.js";
import {
  activityMessage,
  appendActivity,
  createUser,
  failAssignment,
  listActivity,
  releaseLicenses,
  renderActivityMessage,
  requestLicenses,
  setAppRules,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

/**
 * Each activity line keeps its message's catalogue key and params beside the English text
 * (activity-messages.ts), whichever of the writers wrote it: appendActivity, the statement
 * that moves licenses (license-state.ts), the allocation's statement (writeGrants).
 */
describeEachDatabase("activity messages", (database) => {
  it("invariant 4, DB3, DI3: the allocation's statement writes each grant's key (type × reserved), empty params and the English text", async () => {
    const { db, keys } = database().store;
    // A space per grant: the subject has the account's default rules, or a reservation.
    const grantIn = async (type: "user" | "device", reserve: boolean) => {
      const { space, adamId } = await spaceWithApp(db);
      const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
      const [device] = await devices(db, space.id, 1);
      const user = await createUser(db, { spaceId: space.id, name: "Ann", appleStatus: "Associated" });
      if (!device) throw new Error("device");
      if (reserve) {
        await setAppRules(
          db,
          {
            spaceId: space.id,
            accountId: account.id,
            adamId,
            reservedUserIds: type === "user" ? [user.id] : [],
            reservedDeviceIds: type === "device" ? [device.id] : [],
            prohibitedUserIds: [],
          },
          SYSTEM,
          NOW,
        );
      }
      const request: LicenseRequest =
        type === "device"
          ? { spaceId: space.id, adamId, subject: { kind: "device", deviceId: device.id }, why: "mandatory" }
          : { spaceId: space.id, adamId, subject: { kind: "user", userId: user.id }, why: "requested" };
      const [result] = await requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: [request],
        actor: SYSTEM,
        now: NOW,
      });
      expect(result?.decision).toMatchObject({ outcome: "grant", type });
      const [line] = await listActivity(db, space.id, { licenseId: result?.licenseId ?? "" });
      expect(line?.action).toBe("license.granted");
      expect(line?.messageParams).toEqual({});
      return line;
    };
    expect(await grantIn("device", false)).toMatchObject({
      messageKey: "license.granted_device",
      message: "device-based license granted, assignment queued for Apple",
    });
    const reservedDevice = await grantIn("device", true);
    expect(reservedDevice).toMatchObject({
      messageKey: "license.granted_device_reserved",
      message: "device-based reserved license granted, assignment queued for Apple",
    });
    expect(reservedDevice?.ruleIds).toContain("DB3");
    expect(await grantIn("user", false)).toMatchObject({
      messageKey: "license.granted_user",
      message: "user-based license granted, assignment queued for Apple",
    });
    expect(await grantIn("user", true)).toMatchObject({
      messageKey: "license.granted_user_reserved",
      message: "user-based reserved license granted, assignment queued for Apple",
    });
  });

  it("invariant 4, LT2: Apple's refusal is logged by the moving statement with its key, the reason as a param and the English text", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3, used: 1 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("device");
    const [licenseId = ""] = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: [device],
      state: "pending_assign",
    });
    await failAssignment(db, {
      spaceId: space.id,
      licenseIds: [licenseId],
      actor: { kind: "apple" },
      now: NOW,
      reason: "9610 License not found",
    });
    const [line] = await listActivity(db, space.id, { licenseId });
    expect(line).toMatchObject({
      action: "license.assign_failed",
      messageKey: "license.apple_refused",
      messageParams: { reason: "9610 License not found" },
      message: "Apple refused: 9610 License not found",
    });
  });

  it("invariant 4, RV1: a release written through appendActivity keeps its key, its params and the English text", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3, used: 1 });
    const [device] = await devices(db, space.id, 1);
    if (!device) throw new Error("device");
    const [licenseId = ""] = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: [device],
      state: "assigned",
    });
    await releaseLicenses(db, {
      spaceId: space.id,
      licenseIds: [licenseId],
      actor: SYSTEM,
      now: NOW,
      because: ["RV1"],
    });
    const [line] = await listActivity(db, space.id, { licenseId });
    expect(line).toMatchObject({
      action: "license.release_requested",
      ruleIds: ["RV1"],
      messageKey: "license.release_queued",
      messageParams: {},
      message: "release queued for Apple",
    });
  });

  it("invariant 4, RV2: an administrator's revocation is logged as revoked, and a search for it finds it", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3, used: 2 });
    const licenseIds = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: await devices(db, space.id, 2),
      state: "assigned",
    });
    const [revoked = "", released = ""] = licenseIds;
    for (const [licenseId, because] of [
      [revoked, ["RV2", "RV4"]],
      [released, ["RV1"]],
    ] as const)
      await releaseLicenses(db, {
        spaceId: space.id,
        licenseIds: [licenseId],
        actor: SYSTEM,
        now: NOW,
        because,
      });
    const [line] = await listActivity(db, space.id, { licenseId: revoked });
    expect(line).toMatchObject({
      action: "license.release_requested",
      messageKey: "license.revoke_queued",
      message: "revoked: release queued for Apple",
    });
    // A device retired (RV1) is not an administrator's revocation.
    const found = await listActivityView(db, space.id, {}, { page: 1, pageSize: 10, q: "revoked" });
    expect(found.items.map((i) => i.licenseId)).toEqual([revoked]);
  });

  it("invariant 4, DI1: the paged view (API, console) returns the key and the params of a rules change", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const [device] = await devices(db, space.id, 1);
    await setAppRules(
      db,
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        reservedUserIds: [],
        reservedDeviceIds: [device?.id ?? ""],
        prohibitedUserIds: [],
      },
      { kind: "admin", id: "admin-1" },
      NOW,
    );
    const page = await listActivityView(db, space.id, { action: "rules.updated" }, { page: 1, pageSize: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      ruleIds: ["DI1"],
      messageKey: "rules.set",
      messageParams: { groups: 0, reservations: 1, prohibited: 0 },
      message: "license rules set: 0 FCFS groups, 1 reservations, 0 prohibited",
    });
  });

  it("a line written before message keys keeps its stored text, with no key nor params", async () => {
    const { db } = database().store;
    const { space } = await spaceWithApp(db);
    await sql`insert into activity_log (space_id, at, actor_kind, action, rule_ids, message)
      values (${space.id}, ${NOW.toISOString()}::timestamptz, 'system', 'account.synced', '{}',
        'sync: written by an older Orchard')`.execute(db);
    await appendActivity(db, [
      {
        spaceId: space.id,
        actor: SYSTEM,
        action: "account.priority_changed",
        ruleIds: ["AC4", "MA6", "MA3"],
        message: activityMessage("account.priority_changed", { from: 2, to: 1 }),
        at: NOW,
      },
    ]);
    const [newer, older] = await listActivity(db, space.id);
    expect(newer).toMatchObject({
      messageKey: "account.priority_changed",
      messageParams: { from: 2, to: 1 },
      message: "priority 2 -> 1; no license moved",
    });
    expect(older?.message).toBe("sync: written by an older Orchard");
    expect(older?.messageKey).toBeUndefined();
    expect(older?.messageParams).toBeUndefined();
  });
});

describe("the activity message catalogue", () => {
  it("types each key's params and renders the English the log always had", () => {
    // @ts-expect-error: a refusal needs its reason
    activityMessage("license.apple_refused");
    // @ts-expect-error: a constant text takes no params
    activityMessage("license.assigned", { reason: "x" });
    // @ts-expect-error: no such key
    activityMessage("license.nonexistent");
    expect(renderActivityMessage(activityMessage("license.apple_refused", { reason: "9632 Invalid" }))).toBe(
      "Apple refused: 9632 Invalid",
    );
    expect(renderActivityMessage(activityMessage("catalog.available", { updateMode: "immediate" }))).toBe(
      "available, updates immediate",
    );
  });
});
