import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import type { RequestReason } from "../../src/licensing/index.js";
import {
  applyEvent,
  checkIn,
  delegateApp,
  moveDevice,
  putCatalogApp,
  removeFromCatalog,
  undelegateApp,
} from "../../src/mdm/index.js";
import {
  createSpace,
  createUser,
  type Db,
  type DeviceRecord,
  listActivity,
  listWaitingRequests,
  replaceInstalledApps,
  requestLicenses,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW } from "../store/fixtures.js";

const ADMIN = { kind: "admin", id: "admin-stale" } as const;
const MDM = { kind: "mdm" } as const;
const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

/** Who waits for the app, in the queue's order: `u:<userId>` / `d:<deviceId>` and the row's `why`. */
async function queueOf(db: Db, spaceId: string, adamId: string): Promise<string[]> {
  return (await listWaitingRequests(db, spaceId, adamId)).map(
    (w) => `${w.subject.kind === "user" ? `u:${w.subject.userId}` : `d:${w.subject.deviceId}`} ${w.why}`,
  );
}

/** A queue row as allocation writes it (the request's `why` kept), for a subject of a given kind. */
async function waits(
  db: Db,
  row: {
    spaceId: string;
    adamId: string;
    userId?: string;
    deviceId?: string;
    why: RequestReason;
    minutes: number;
  },
): Promise<void> {
  await sql`insert into license_queue (space_id, adam_id, user_id, device_id, why, reason, requested_at, decided_at)
    values (${row.spaceId}, ${row.adamId}, ${row.userId ?? null}, ${row.deviceId ?? null}, ${row.why},
      ${row.userId ? "not_enrolled" : "no_license"}, ${at(row.minutes).toISOString()}::timestamptz,
      ${at(row.minutes).toISOString()}::timestamptz)`.execute(db);
}

/** The `queue.left` lines of the app: subject, message key, rules, actor, the `why` it waited with. */
async function leftLines(db: Db, spaceId: string, adamId: string) {
  const lines = await listActivity(db, spaceId, { adamId, action: "queue.left" });
  return lines
    .map((l) => ({
      subject: l.userId ? `u:${l.userId}` : `d:${l.deviceId}`,
      key: l.messageKey,
      message: l.message,
      ruleIds: l.ruleIds,
      actor: l.actor,
      why: l.details?.why,
    }))
    .sort((a, b) => a.subject.localeCompare(b.subject));
}

describeEachDatabase("waits whose reason went leave the queue, logged", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });

  /** A mandatory app with no free seat in a new space, and `n` devices. */
  async function mandatoryAppWithoutSeats(n: number, adamId = `5${String(Date.now()).slice(-8)}`) {
    const { db, keys } = database().store;
    const space = await createSpace(db, { name: `stale ${randomUUID().slice(0, 8)}` });
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 0 });
    await putCatalogApp(deps(), {
      spaceId: space.id,
      adamId,
      name: "Keynote",
      installOnDevice: true,
      actor: ADMIN,
    });
    return { db, space, adamId, fleet: await devices(db, space.id, n) };
  }

  it("DB2, CA1: 'Install on device' turned off: the waits it made leave the queue in one change, each with its queue.left line (CA1, DB2) naming the admin; a user's requested wait and a device that reports the app installed stay (LT2)", async () => {
    const { db, space, adamId, fleet } = await mandatoryAppWithoutSeats(4);
    const [asked, checkedIn, installedHere, installedMandatory] = fleet as [
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
    ];
    const spaceId = space.id;
    // The MDM's mandatory install, decided by the engine: no seat, it waits (DB2).
    const [decided] = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: [{ spaceId, adamId, subject: { kind: "device", deviceId: asked.id }, why: "mandatory" }],
      actor: MDM,
      now: at(1),
    });
    expect(decided?.decision).toMatchObject({ outcome: "wait", reason: "no_license" });
    const asker = await createUser(db, { spaceId, name: "Ada" }); // asked for it herself
    const mandatoryUser = await createUser(db, { spaceId, name: "Grace" }); // UB3: mandatory, user-licensed
    await waits(db, { spaceId, adamId, deviceId: checkedIn.id, why: "check_in", minutes: 2 });
    await waits(db, { spaceId, adamId, userId: asker.id, why: "requested", minutes: 3 });
    await waits(db, { spaceId, adamId, userId: mandatoryUser.id, why: "mandatory", minutes: 4 });
    await waits(db, { spaceId, adamId, deviceId: installedHere.id, why: "check_in", minutes: 5 });
    await waits(db, { spaceId, adamId, deviceId: installedMandatory.id, why: "mandatory", minutes: 6 });
    for (const d of [installedHere, installedMandatory])
      await replaceInstalledApps(db, spaceId, d.id, [{ bundleId: "com.apple.keynote", adamId }], NOW);
    expect(await queueOf(db, spaceId, adamId)).toHaveLength(6);

    // Changing something else keeps every wait: "Install on device" is still on.
    await putCatalogApp(deps(), { spaceId, adamId, description: "Slides", actor: ADMIN });
    expect(await queueOf(db, spaceId, adamId)).toHaveLength(6);
    expect(await leftLines(db, spaceId, adamId)).toEqual([]);

    await putCatalogApp(deps(), { spaceId, adamId, installOnDevice: false, actor: ADMIN });
    expect(await queueOf(db, spaceId, adamId)).toEqual([
      `u:${asker.id} requested`,
      `d:${installedHere.id} check_in`,
      `d:${installedMandatory.id} mandatory`,
    ]);
    const line = (subject: string, why: RequestReason) => ({
      subject,
      key: "queue.left_not_mandatory",
      message: 'left the queue: the app is no longer mandatory ("Install on device" is off)',
      ruleIds: ["CA1", "DB2"],
      actor: ADMIN,
      why,
    });
    expect(await leftLines(db, spaceId, adamId)).toEqual(
      [
        line(`d:${asked.id}`, "mandatory"),
        line(`d:${checkedIn.id}`, "check_in"),
        line(`u:${mandatoryUser.id}`, "mandatory"),
      ].sort((a, b) => a.subject.localeCompare(b.subject)),
    );

    // Turned on and off again: nothing more leaves, nothing more is logged.
    await putCatalogApp(deps(), { spaceId, adamId, installOnDevice: true, actor: ADMIN });
    await putCatalogApp(deps(), { spaceId, adamId, installOnDevice: false, actor: ADMIN });
    expect(await queueOf(db, spaceId, adamId)).toHaveLength(3);
    expect(await leftLines(db, spaceId, adamId)).toHaveLength(3);
  });

  it("DB2, CA3: an app deleted from the catalog: every wait of it leaves, a user's requested one too, with a queue.left line (CA3, DB2); another app's waits stay", async () => {
    const { db, space, adamId, fleet } = await mandatoryAppWithoutSeats(1);
    const [device] = fleet as [DeviceRecord];
    const spaceId = space.id;
    const other = `6${String(Date.now()).slice(-8)}`;
    await accountWithSeats(db, database().store.keys, { spaceId, adamId: other, total: 0 });
    await putCatalogApp(deps(), { spaceId, adamId: other, installOnDevice: true, actor: ADMIN });
    const user = await createUser(db, { spaceId, name: "Ada" });
    await waits(db, { spaceId, adamId, deviceId: device.id, why: "mandatory", minutes: 1 });
    await waits(db, { spaceId, adamId, userId: user.id, why: "requested", minutes: 2 });
    await waits(db, { spaceId, adamId: other, deviceId: device.id, why: "mandatory", minutes: 3 });

    await removeFromCatalog(deps(), { spaceId, adamId, actor: ADMIN });
    expect(await queueOf(db, spaceId, adamId)).toEqual([]);
    expect(await queueOf(db, spaceId, other)).toEqual([`d:${device.id} mandatory`]);
    const lines = await leftLines(db, spaceId, adamId);
    expect(lines.map((l) => [l.subject, l.key, l.ruleIds, l.actor, l.why])).toEqual(
      [
        [`d:${device.id}`, "queue.left_catalog", ["CA3", "DB2"], ADMIN, "mandatory"],
        [`u:${user.id}`, "queue.left_catalog", ["CA3", "DB2"], ADMIN, "requested"],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
    expect(lines[0]?.message).toBe("left the queue: the app is no longer in the catalog");
  });

  it("DB2, CA3, PB1: an app leaves the catalogs it was delegated to (undelegated, or deleted from the default space): the waits there leave, logged in each space; the default space's stay until it is deleted there", async () => {
    const { db, keys } = database().store;
    const adamId = `7${String(Date.now()).slice(-8)}`;
    const home = await createSpace(db, { name: "default", isDefault: true });
    const [custom, kept] = [
      await createSpace(db, { name: `custom ${randomUUID().slice(0, 6)}` }),
      await createSpace(db, { name: `kept ${randomUUID().slice(0, 6)}` }),
    ];
    await accountWithSeats(db, keys, { spaceId: home.id, adamId, total: 0 });
    await putCatalogApp(deps(), { spaceId: home.id, adamId, installOnDevice: true, actor: ADMIN });
    await delegateApp(deps(), {
      fromSpaceId: home.id,
      adamId,
      toSpaceIds: [custom.id, kept.id],
      actor: ADMIN,
    });
    const user = async (spaceId: string) => (await createUser(db, { spaceId, name: "Ada" })).id;
    const [homeUser, customUser, keptUser] = [
      await user(home.id),
      await user(custom.id),
      await user(kept.id),
    ];
    for (const [spaceId, userId] of [
      [home.id, homeUser],
      [custom.id, customUser],
      [kept.id, keptUser],
    ] as const)
      await waits(db, { spaceId, adamId, userId, why: "requested", minutes: 1 });

    await undelegateApp(deps(), { fromSpaceId: home.id, adamId, spaceIds: [custom.id], actor: ADMIN });
    expect(await queueOf(db, custom.id, adamId)).toEqual([]);
    expect((await leftLines(db, custom.id, adamId)).map((l) => [l.subject, l.key])).toEqual([
      [`u:${customUser}`, "queue.left_catalog"],
    ]);
    expect(await queueOf(db, home.id, adamId)).toEqual([`u:${homeUser} requested`]);
    expect(await queueOf(db, kept.id, adamId)).toEqual([`u:${keptUser} requested`]);

    await removeFromCatalog(deps(), { spaceId: home.id, adamId, actor: ADMIN });
    for (const [spaceId, userId] of [
      [home.id, homeUser],
      [kept.id, keptUser],
    ] as const) {
      expect(await queueOf(db, spaceId, adamId)).toEqual([]);
      expect((await leftLines(db, spaceId, adamId)).map((l) => [l.subject, l.key, l.actor])).toEqual([
        [`u:${userId}`, "queue.left_catalog", ADMIN],
      ]);
    }
  });

  it("DB2, LT2: a check-in whose list no longer has an installed app: the device's wait for it leaves (queue.left_check_in, DB2 LT2, by the MDM); a mandatory app's wait and a requested wait stay; a check-in without an inventory goes by the last one", async () => {
    const { db, space, adamId: mandatory, fleet } = await mandatoryAppWithoutSeats(1);
    const [device] = fleet as [DeviceRecord];
    const spaceId = space.id;
    const installedApp = `8${String(Date.now()).slice(-8)}`;
    const requestedApp = `9${String(Date.now()).slice(-8)}`;
    for (const adamId of [installedApp, requestedApp]) {
      await accountWithSeats(db, database().store.keys, { spaceId, adamId, total: 0 });
      await putCatalogApp(deps(), { spaceId, adamId, actor: ADMIN }); // not mandatory
    }
    const serialNumber = device.serialNumber;
    const inventory = [
      { bundleId: "com.example.installed", adamId: installedApp },
      { bundleId: "com.apple.keynote", adamId: mandatory },
    ];
    // The check-in asks for both: the mandatory app and the installed one; no seat: both wait.
    const first = await checkIn(deps(), { spaceId, serialNumber, installed: inventory });
    expect(first.decisions.map((d) => [d.adamId, d.decision.outcome]).sort()).toEqual(
      [
        [installedApp, "wait"],
        [mandatory, "wait"],
      ].sort(),
    );
    await waits(db, { spaceId, adamId: requestedApp, deviceId: device.id, why: "requested", minutes: 1 });

    // A check-in without an inventory: the last one still lists the app; nothing leaves.
    await checkIn(deps(), { spaceId, serialNumber });
    expect(await queueOf(db, spaceId, installedApp)).toEqual([`d:${device.id} check_in`]);

    // The app was removed from the device: the next check-in no longer asks for it.
    const second = await checkIn(deps(), { spaceId, serialNumber, installed: inventory.slice(1) });
    expect(second.decisions.map((d) => d.adamId)).toEqual([mandatory]);
    expect(await queueOf(db, spaceId, installedApp)).toEqual([]);
    expect(await queueOf(db, spaceId, mandatory)).toEqual([`d:${device.id} check_in`]);
    expect(await queueOf(db, spaceId, requestedApp)).toEqual([`d:${device.id} requested`]);
    expect(await leftLines(db, spaceId, installedApp)).toEqual([
      {
        subject: `d:${device.id}`,
        key: "queue.left_check_in",
        message:
          "left the queue: the device's check-in no longer asks for the app (not mandatory, not installed)",
        ruleIds: ["DB2", "LT2"],
        actor: MDM,
        why: "check_in",
      },
    ]);
    expect(await leftLines(db, spaceId, mandatory)).toEqual([]);
    // Checked in again with the same list: nothing more leaves, nothing more is logged.
    await checkIn(deps(), { spaceId, serialNumber, installed: inventory.slice(1) });
    expect(await leftLines(db, spaceId, installedApp)).toHaveLength(1);
  });

  it("DB2, RV1, RV5, UB3: a device retired, wiped, gone inactive, unenrolled or moved away, a user deleted: each of its waits (of every app) leaves with a queue.left line saying why, by whoever sent the event; a wait of another subject stays", async () => {
    const { db, space, adamId, fleet } = await mandatoryAppWithoutSeats(7);
    const spaceId = space.id;
    const other = `3${String(Date.now()).slice(-8)}`;
    await accountWithSeats(db, database().store.keys, { spaceId, adamId: other, total: 0 });
    await putCatalogApp(deps(), { spaceId, adamId: other, actor: ADMIN });
    const elsewhere = await createSpace(db, { name: `moved to ${randomUUID().slice(0, 8)}` });
    const [retired, wiped, inactive, unenrolled, moved, stays, waitsNothing] = fleet as DeviceRecord[] as [
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
      DeviceRecord,
    ];
    const [deleted, kept] = [
      await createUser(db, { spaceId, name: "Ada" }),
      await createUser(db, { spaceId, name: "Grace" }),
    ];
    let minutes = 0;
    for (const app of [adamId, other]) {
      for (const d of [retired, wiped, inactive, unenrolled, moved, stays])
        await waits(db, { spaceId, adamId: app, deviceId: d.id, why: "mandatory", minutes: ++minutes });
      for (const u of [deleted, kept])
        await waits(db, { spaceId, adamId: app, userId: u.id, why: "requested", minutes: ++minutes });
    }

    for (const [kind, d] of [
      ["device_retired", retired],
      ["device_wiped", wiped],
      ["device_inactive", inactive],
      ["mdm_profile_removed", unenrolled],
      ["device_retired", waitsNothing], // no wait: nothing logged for it
    ] as const)
      await applyEvent(deps(), { kind, spaceId, deviceId: d.id }, MDM);
    await applyEvent(deps(), { kind: "user_deleted", spaceId, userId: deleted.id }, ADMIN);
    await moveDevice(deps(), {
      fromSpaceId: spaceId,
      deviceId: moved.id,
      toSpaceId: elsewhere.id,
      actor: ADMIN,
    });

    const expected = [
      [`d:${retired.id}`, "queue.left_device_retired", ["DB2", "RV1"], MDM, "mandatory"],
      [`d:${wiped.id}`, "queue.left_device_wiped", ["DB2", "RV1"], MDM, "mandatory"],
      [`d:${inactive.id}`, "queue.left_device_inactive", ["DB2", "RV1"], MDM, "mandatory"],
      [`d:${unenrolled.id}`, "queue.left_device_unenrolled", ["DB2", "RV5"], MDM, "mandatory"],
      [`d:${moved.id}`, "queue.left_device_retired", ["DB2", "RV1"], ADMIN, "mandatory"],
      [`u:${deleted.id}`, "queue.left_user_deleted", ["DB2", "RV5", "UB3"], ADMIN, "requested"],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    for (const app of [adamId, other]) {
      expect(await queueOf(db, spaceId, app)).toEqual([`d:${stays.id} mandatory`, `u:${kept.id} requested`]);
      const lines = await leftLines(db, spaceId, app);
      expect(lines.map((l) => [l.subject, l.key, l.ruleIds, l.actor, l.why])).toEqual(expected);
    }
    const messages = new Map((await leftLines(db, spaceId, adamId)).map((l) => [l.key, l.message]));
    expect(Object.fromEntries(messages)).toEqual({
      "queue.left_device_retired": "left the queue: the device was retired",
      "queue.left_device_wiped": "left the queue: the device was wiped",
      "queue.left_device_inactive": "left the queue: the device went inactive",
      "queue.left_device_unenrolled": "left the queue: the device was unenrolled (MDM profile removed)",
      "queue.left_user_deleted": "left the queue: the user was deleted",
    });
    // The same event sent again: nothing left to leave, nothing more logged.
    await applyEvent(deps(), { kind: "user_deleted", spaceId, userId: deleted.id }, ADMIN);
    expect(await leftLines(db, spaceId, adamId)).toHaveLength(expected.length);
  });
});
