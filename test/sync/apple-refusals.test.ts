import { afterAll, beforeAll, expect, it } from "vitest";
import { abandonReleases, retryReleases, retryRequests } from "../../src/service/refusals.js";
import type { DeviceRecord } from "../../src/store/index.js";
import {
  appleWorkOfAccount,
  findAsset,
  listActivity,
  listLicensesForApp,
  listWaitingRequests,
} from "../../src/store/index.js";
import { listWaitingView } from "../../src/store/waiting-view.repo.js";
import { dispatchOnce, followOnce, serveWaitingQueues } from "../../src/sync/index.js";
import { REFUSALS_KIND, reviewRefusalNotifications } from "../../src/sync/refusals.js";
import { describeEachDatabase, type TestDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, revokeOnIos } from "./fixtures.js";
import { appleRequests, appleSubjects, drain, type Harness, iosAppAccount, startHarness } from "./harness.js";

/** An asynchronous refusal Apple gives one device's task ("Invalid argument"): not 9709, not to try later. */
const REFUSED = 9602;

describeEachDatabase("Apple's refusals for good", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });

  /**
   * Worker rounds as they follow one another: dispatch, Apple's results, the queue's
   * safety net, the refusals' notification, and the held device checking in again.
   */
  async function workerRounds(spaceId: string, adamId: string, devices: readonly DeviceRecord[], n: number) {
    const { db } = tdb().store;
    for (let i = 0; i < n; i++) {
      await dispatchOnce(h.deps, "test-worker");
      await h.sim.operator.idle();
      await followOnce(h.deps, "test-worker");
      await serveWaitingQueues(h.deps);
      await reviewRefusalNotifications(h.deps);
      await checkIn(db, spaceId, adamId, devices);
    }
  }

  const openRefusalNotifications = (db: TestDatabase["store"]["db"], spaceId: string) =>
    db
      .selectFrom("notifications")
      .selectAll()
      .where("space_id", "=", spaceId)
      .where("kind", "=", REFUSALS_KIND)
      .where("cleared_at", "is", null)
      .execute();

  /** Invariant 1: an account's `used` is its seat-holding licenses plus what Apple holds outside Orchard, never past its total. */
  async function expectSeatsCounted(spaceId: string, accountId: string, adamId: string, outside = 0) {
    const { db } = tdb().store;
    const asset = await findAsset(db, spaceId, accountId, adamId);
    const holding = (await listLicensesForApp(db, spaceId, adamId)).filter((l) =>
      ["pending_assign", "assigned", "pending_release"].includes(l.state),
    );
    expect(asset?.used).toBe(holding.length + outside);
    expect(asset?.used).toBeLessThanOrEqual(asset?.total ?? 0);
  }

  it("DB2, UB3: an association Apple refuses for good (not 9709) waits with Apple's reason and is not sent again: Apple's calls stay bounded over worker rounds", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 3, name: "Refusing" });
    const devices = await iosDevices(db, space.id, 2);
    const [refused, accepted] = devices as [DeviceRecord, DeviceRecord];
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: REFUSED,
      serialNumbers: [refused.serialNumber],
    });
    try {
      expect(await checkIn(db, space.id, adamId, devices)).toBe(2);
      await drain(h);
      const afterRefusal = appleRequests(h, "/assets/associate");
      // Seats are free all along (3 for 2 devices), the device checks in again and again.
      await workerRounds(space.id, adamId, [refused], 5);
      expect(appleRequests(h, "/assets/associate")).toBe(afterRefusal);
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`s:${accepted.serialNumber}`]);
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.deviceId === refused.id).map((l) => l.state)).toEqual(["released"]);
    // DB2: never dropped: it waits, with Apple's reason, in the views.
    const view = await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 50 });
    expect(view.items).toHaveLength(1);
    expect(view.items[0]).toMatchObject({
      deviceId: refused.id,
      reason: "apple_refused",
      refusal: { errorNumber: REFUSED, accountId: account.id, accountName: "Refusing" },
    });
    expect(view.items[0]?.refusal?.message).toContain("Invalid argument");
    await expectSeatsCounted(space.id, account.id, adamId);
    // One notification for the (account, app), however many rounds saw the refusal.
    const notes = await openRefusalNotifications(db, space.id);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ account_id: account.id, adam_id: adamId, message_key: "apple.refused" });
    const appName = (await findAsset(db, space.id, account.id, adamId))?.name ?? adamId;
    expect(notes[0]?.title).toBe(`Apple refused operations for ${appName} (Refusing)`);

    // An administrator sends it again (the cause fixed at Apple): one more call, then assigned.
    const before = appleRequests(h, "/assets/associate");
    const retried = await retryRequests(db, {
      spaceId: space.id,
      adamId,
      deviceIds: [refused.id],
      actor: ADMIN,
      now: new Date(),
    });
    expect(retried).toEqual([{ adamId, deviceId: refused.id }]);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(0); // resolved: cleared
    await serveWaitingQueues(h.deps); // the API process serves it at once (announceSeatsFreed)
    await drain(h);
    expect(appleRequests(h, "/assets/associate") - before).toBe(1);
    expect(new Set(appleSubjects(h.sim, loc.uId, adamId))).toEqual(
      new Set(devices.map((d) => `s:${d.serialNumber}`)),
    );
    expect(await listWaitingRequests(db, space.id, adamId)).toHaveLength(0);
    const logged = await listActivity(db, space.id, { adamId, action: "license.request_retried" });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ actor: ADMIN, deviceId: refused.id });
    expect(logged[0]?.message).toContain(`${REFUSED}`);
    await expectSeatsCounted(space.id, account.id, adamId);
  });

  it("DB2: refused again after being sent again, the request waits again with Apple's reason: one more call, no loop", async () => {
    const { db } = tdb().store;
    const { adamId, space } = await iosAppAccount(h, db, { total: 2, name: "Stubborn" });
    const [device] = (await iosDevices(db, space.id, 1)) as [DeviceRecord];
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: 9635,
      serialNumbers: [device.serialNumber],
    });
    try {
      await checkIn(db, space.id, adamId, [device]);
      await drain(h);
      const first = appleRequests(h, "/assets/associate");
      await retryRequests(db, { spaceId: space.id, adamId, actor: ADMIN, now: new Date() });
      await workerRounds(space.id, adamId, [device], 4);
      expect(appleRequests(h, "/assets/associate") - first).toBe(1);
    } finally {
      h.sim.operator.clearFaults();
    }
    const view = await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 50 });
    expect(view.items.map((w) => [w.reason, w.refusal?.errorNumber])).toEqual([["apple_refused", 9635]]);
  });

  it("DB2, UB3: 9709 keeps waiting for a license (no_license), and is served when Apple has one", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 2, name: "Short" });
    // Another tool takes one license at Apple; Orchard has not synced since.
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: ["OUT-1"] });
    await h.sim.operator.idle();
    const devices = await iosDevices(db, space.id, 2);
    await checkIn(db, space.id, adamId, devices);
    await drain(h);
    const view = await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 50 });
    expect(view.items.map((w) => [w.reason, w.refusal])).toEqual([["no_license", undefined]]);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(0);
    h.sim.operator.buy(loc.uId, adamId, 1);
    await h.sim.operator.idle();
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(3);
  });

  it("RV2, DB2, UB3: a release Apple refuses for good keeps its seat, and is sent again; abandoned, its seat goes back and serves the queue (invariant 1)", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 2, name: "Sticky" });
    const devices = await iosDevices(db, space.id, 3);
    const [first, second, third] = devices as [DeviceRecord, DeviceRecord, DeviceRecord];
    await checkIn(db, space.id, adamId, [first, second]);
    await drain(h);
    await checkIn(db, space.id, adamId, [third]); // no seat left: waits (DB2)
    h.sim.operator.failSubjects({
      endpoint: "/assets/disassociate",
      errorNumber: REFUSED,
      serialNumbers: [first.serialNumber, second.serialNumber],
    });
    const held = await listLicensesForApp(db, space.id, adamId);
    const licenseOf = (d: DeviceRecord) => held.find((l) => l.deviceId === d.id)?.id ?? "";
    try {
      await revokeOnIos(db, space.id, [licenseOf(first), licenseOf(second)]);
      await drain(h);
      const afterRefusal = appleRequests(h, "/assets/disassociate");
      await workerRounds(space.id, adamId, [], 3);
      expect(appleRequests(h, "/assets/disassociate")).toBe(afterRefusal); // nothing sends it again by itself
      const states = await listLicensesForApp(db, space.id, adamId);
      expect(states.filter((l) => l.state === "pending_release")).toHaveLength(2);
      await expectSeatsCounted(space.id, account.id, adamId);
      const work = await appleWorkOfAccount(db, {
        spaceId: space.id,
        accountId: account.id,
        now: new Date(),
      });
      const refusedReleases = work?.failures.items.filter((f) => f.releaseRefused) ?? [];
      expect(refusedReleases.map((f) => f.licenseId).sort()).toEqual(
        [licenseOf(first), licenseOf(second)].sort(),
      );
      expect(refusedReleases[0]?.lastError).toContain(`${REFUSED}`);
      expect(await openRefusalNotifications(db, space.id)).toHaveLength(1);

      // Sent again while Apple still refuses: one more call, refused again, still held.
      await retryReleases(db, {
        spaceId: space.id,
        licenseIds: [licenseOf(first)],
        actor: ADMIN,
        now: new Date(),
      });
      await drain(h);
      expect(appleRequests(h, "/assets/disassociate") - afterRefusal).toBe(1);
    } finally {
      h.sim.operator.clearFaults();
    }
    // The cause fixed: sent again, Apple releases it (RV3: in grace), its seat serves the third device.
    await retryReleases(db, {
      spaceId: space.id,
      licenseIds: [licenseOf(first)],
      actor: ADMIN,
      now: new Date(),
    });
    await drain(h);
    const afterRetry = await listLicensesForApp(db, space.id, adamId);
    expect(afterRetry.find((l) => l.id === licenseOf(first))?.state).toBe("in_grace");
    expect(afterRetry.find((l) => l.deviceId === third.id)?.state).toBe("assigned");
    await expectSeatsCounted(space.id, account.id, adamId);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(1); // the second is still refused

    // Abandoned: released here, the seat back (Apple still holds it: counted as outside at the next count).
    const [released] = await abandonReleases(db, {
      spaceId: space.id,
      licenseIds: [licenseOf(second)],
      actor: ADMIN,
      now: new Date(),
    });
    expect(released?.state).toBe("released");
    await expectSeatsCounted(space.id, account.id, adamId);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toContain(`s:${second.serialNumber}`);
    const logged = await listActivity(db, space.id, { adamId, action: "license.release_abandoned" });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ actor: ADMIN, licenseId: licenseOf(second) });
    expect(logged[0]?.message).toContain(`${REFUSED}`);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(0); // nothing left: cleared
    await expect(
      abandonReleases(db, {
        spaceId: space.id,
        licenseIds: [licenseOf(second)],
        actor: ADMIN,
        now: new Date(),
      }),
    ).rejects.toMatchObject({ code: "not_refused" });
    const live = afterRetry.find((l) => l.deviceId === third.id)?.id ?? "";
    await expect(
      retryReleases(db, { spaceId: space.id, licenseIds: [live], actor: ADMIN, now: new Date() }),
    ).rejects.toMatchObject({ code: "not_refused" });
  });

  it("RV2: a release Apple refuses whose assignment it no longer holds is released at once, seat back, the log says why", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 1, name: "Gone" });
    const [device] = (await iosDevices(db, space.id, 1)) as [DeviceRecord];
    await checkIn(db, space.id, adamId, [device]);
    await drain(h);
    // Apple takes the assignment away, and still answers the release with an error.
    h.sim.operator.failSubjects({
      endpoint: "/assets/disassociate",
      errorNumber: REFUSED,
      serialNumbers: [device.serialNumber],
      applied: true,
    });
    try {
      const [license] = await listLicensesForApp(db, space.id, adamId);
      await revokeOnIos(db, space.id, [license?.id ?? ""]);
      await drain(h);
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
    const [license] = await listLicensesForApp(db, space.id, adamId);
    expect(license?.state).toBe("in_grace");
    const logged = await listActivity(db, space.id, { adamId, action: "license.released" });
    expect(logged.map((l) => l.messageKey)).toContain("license.release_refused_gone");
    await expectSeatsCounted(space.id, account.id, adamId);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(0);
  });
});
