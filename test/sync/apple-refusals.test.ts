import { afterAll, beforeAll, expect, it } from "vitest";
import { explain } from "../../src/service/explain.js";
import { abandonReleases, retryReleases, retryRequests } from "../../src/service/refusals.js";
import { listRefusals } from "../../src/store/apple-refusals.repo.js";
import type { DeviceRecord } from "../../src/store/index.js";
import {
  appleWorkOfAccount,
  createUsers,
  findAsset,
  findLicense,
  listActivity,
  listLicensesForApp,
  listWaitingRequests,
  requestLicenses,
} from "../../src/store/index.js";
import { waitingAppsWithFreeSeats } from "../../src/store/sync-licenses.repo.js";
import { listWaitingView } from "../../src/store/waiting-view.repo.js";
import {
  addAccount,
  dispatchOnce,
  followOnce,
  serveWaitingQueues,
  syncAccount,
} from "../../src/sync/index.js";
import { REFUSALS_KIND, reviewRefusalNotifications } from "../../src/sync/refusals.js";
import { describeEachDatabase, type TestDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, revokeOnIos, spaceWithApps } from "./fixtures.js";
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
    const holding = (await listLicensesForApp(db, spaceId, adamId)).filter(
      (l) => l.accountId === accountId && ["pending_assign", "assigned", "pending_release"].includes(l.state),
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

  /** One iOS app bought at two locations, each an account of one space: "First" (priority 1), then "Second". */
  async function twoAccounts(total: number) {
    const { db } = tdb().store;
    const adamId = newAdamId();
    const space = await spaceWithApps(db, [adamId]);
    const accounts = [];
    for (const name of ["First", "Second"]) {
      const loc = h.newLocation();
      h.sim.operator.addAsset(loc.uId, { adamId, totalCount: total, supportedPlatforms: ["iOS"] });
      const { account } = await addAccount(h.deps, {
        spaceId: space.id,
        name,
        sTokenFile: loc.sToken,
        actor: ADMIN,
      });
      accounts.push({ loc, account });
    }
    const [first, second] = accounts as [(typeof accounts)[0], (typeof accounts)[0]];
    return { db, adamId, space, first, second };
  }

  it("MA2, DB2: Apple refusing one account's association lets the next account in priority serve the subject; when every account refused, it waits for an administrator; Explain says which refused, and that another served or none could", async () => {
    const { db, adamId, space, first, second } = await twoAccounts(3);
    const devices = await iosDevices(db, space.id, 3);
    const [moved, kept, stuck] = devices as [DeviceRecord, DeviceRecord, DeviceRecord];
    // The app is not sold in First's country for `moved`; nowhere for `stuck`.
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: REFUSED,
      serialNumbers: [moved.serialNumber],
      uId: first.loc.uId,
    });
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: 9635,
      serialNumbers: [stuck.serialNumber],
    });
    try {
      expect(await checkIn(db, space.id, adamId, devices)).toBe(3); // all three from First (MA1)
      await drain(h);
      // Each account asked once per refused subject, then never again (no loop), over worker rounds.
      const calls = appleRequests(h, "/assets/associate");
      await workerRounds(space.id, adamId, devices, 3);
      expect(appleRequests(h, "/assets/associate")).toBe(calls);
    } finally {
      h.sim.operator.clearFaults();
    }
    // MA2: Second, next in priority with free licenses, served the subject First refused.
    expect(appleSubjects(h.sim, first.loc.uId, adamId)).toEqual([`s:${kept.serialNumber}`]);
    expect(appleSubjects(h.sim, second.loc.uId, adamId)).toEqual([`s:${moved.serialNumber}`]);
    const licenses = await listLicensesForApp(db, space.id, adamId);
    const of = (d: DeviceRecord) =>
      licenses
        .filter((l) => l.deviceId === d.id)
        .map((l) => [l.accountId, l.state])
        .sort();
    expect(of(moved)).toEqual(
      [
        [first.account.id, "released"],
        [second.account.id, "assigned"],
      ].sort(),
    );
    expect(of(stuck)).toEqual(
      [
        [first.account.id, "released"],
        [second.account.id, "released"],
      ].sort(),
    );
    for (const { account } of [first, second]) await expectSeatsCounted(space.id, account.id, adamId);
    // Only the subject no account can serve waits, for an administrator, with the newest refusal.
    const view = await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 50 });
    expect(view.items).toHaveLength(1);
    expect(view.items[0]).toMatchObject({
      deviceId: stuck.id,
      reason: "apple_refused",
      refusal: { errorNumber: 9635, accountId: second.account.id, accountName: "Second" },
    });
    const refusals = await listRefusals(db, { spaceId: space.id, adamId, limit: 10 });
    expect(refusals.requests.items.map((r) => r.deviceId)).toEqual([stuck.id]);
    const work = await appleWorkOfAccount(db, {
      spaceId: space.id,
      accountId: second.account.id,
      now: new Date(),
    });
    expect(work?.refusals).toEqual({ requests: 1, releases: 0 });

    // Explain: which account refused, and that another one serves it…
    const served = await explain(db, {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: moved.id },
    });
    expect(served.decision).toMatchObject({ outcome: "keep", accountId: second.account.id });
    expect(served.appleRefusals).toMatchObject([
      { accountId: first.account.id, accountName: "First", errorNumber: REFUSED },
    ]);
    expect(served.summary).toContain(`Apple refused its assignment from account "First" (${REFUSED}`);
    expect(served.summary).toContain("another account serves it");
    // …or that none can: both accounts passed over, in the walk and in words (French too).
    const none = await explain(db, {
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: stuck.id },
    });
    expect(none.decision).toMatchObject({
      outcome: "wait",
      reason: "apple_refused",
      because: ["MA2", "DB2", "UB3"],
    });
    expect(none.accounts.map((a) => [a.name, a.verdict])).toEqual([
      ["First", "apple_refused"],
      ["Second", "apple_refused"],
    ]);
    expect(none.summary).toContain("no other account can serve it");
    const fr = await explain(
      db,
      { spaceId: space.id, adamId, subject: { kind: "device", deviceId: stuck.id } },
      "fr",
    );
    expect(fr.summary).toContain("aucun autre compte ne peut la servir");

    // Sent again once the cause is fixed: every account may serve it again, First first (MA1).
    await retryRequests(db, {
      spaceId: space.id,
      adamId,
      deviceIds: [stuck.id],
      actor: ADMIN,
      now: new Date(),
    });
    await serveWaitingQueues(h.deps);
    await drain(h);
    expect(appleSubjects(h.sim, first.loc.uId, adamId).sort()).toEqual(
      [`s:${kept.serialNumber}`, `s:${stuck.serialNumber}`].sort(),
    );
    expect(await listWaitingRequests(db, space.id, adamId)).toHaveLength(0);
    expect(await openRefusalNotifications(db, space.id)).toHaveLength(0);
  });

  /**
   * An app First holds and Second, its second account, has not bought yet; what waits for it,
   * whether the worker's safety net would look at it, and Second buying it (a sync follows).
   */
  async function boughtByFirstOnly(installOnDevice = true) {
    const { db } = tdb().store;
    const adamId = newAdamId();
    const space = await spaceWithApps(db, [adamId], installOnDevice);
    const [firstLoc, secondLoc] = [h.newLocation(), h.newLocation()];
    h.sim.operator.addAsset(firstLoc.uId, { adamId, totalCount: 2, supportedPlatforms: ["iOS"] });
    await addAccount(h.deps, { spaceId: space.id, name: "First", sTokenFile: firstLoc.sToken, actor: ADMIN });
    const second = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Second",
      sTokenFile: secondLoc.sToken,
      actor: ADMIN,
    });
    return {
      db,
      adamId,
      space,
      firstLoc,
      secondLoc,
      secondAccountId: second.account.id,
      waits: async () =>
        (await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 10 })).items.map((w) => w.reason),
      listed: async () =>
        (await waitingAppsWithFreeSeats(db)).some((w) => w.spaceId === space.id && w.adamId === adamId),
      secondBuys: async () => {
        h.sim.operator.addAsset(secondLoc.uId, { adamId, totalCount: 1, supportedPlatforms: ["iOS"] });
        await syncAccount(h.deps, { spaceId: space.id, accountId: second.account.id, mode: "incremental" });
      },
    };
  }

  it("MA2, DB2: a request every account refused is served once another account gets the app (bought, or added): it no longer waits for an administrator", async () => {
    const { db, adamId, space, firstLoc, secondLoc, secondAccountId, waits, listed, secondBuys } =
      await boughtByFirstOnly();
    const [device] = (await iosDevices(db, space.id, 1)) as [DeviceRecord];
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: REFUSED,
      serialNumbers: [device.serialNumber],
      uId: firstLoc.uId,
    });
    try {
      await checkIn(db, space.id, adamId, [device]);
      await drain(h);
      await workerRounds(space.id, adamId, [device], 2);
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(await waits()).toEqual(["apple_refused"]);
    // First has a free seat, but refused this subject: still an administrator's turn. The
    // worker's safety net does not even look at the app (no churn every round).
    expect(await listed()).toBe(false);
    expect(await serveWaitingQueues(h.deps)).toBe(0);

    // Second buys the app (Apple's ASSET_COUNT, then a sync): the request is served from there.
    await secondBuys();
    await serveWaitingQueues(h.deps);
    await drain(h);
    expect(appleSubjects(h.sim, secondLoc.uId, adamId)).toEqual([`s:${device.serialNumber}`]);
    expect(appleSubjects(h.sim, firstLoc.uId, adamId)).toEqual([]);
    expect(await waits()).toEqual([]);
    await expectSeatsCounted(space.id, secondAccountId, adamId);
  });

  it("MA2, DB2: a user's request every account refused is served once another account gets the app (user-based license)", async () => {
    const { db, adamId, space, firstLoc, secondLoc, waits, listed, secondBuys } =
      await boughtByFirstOnly(false);
    const clientUserId = `refused-${space.id.slice(0, 8)}`;
    await h.deps.apple
      .forToken(firstLoc.sToken)
      .createUsersBatched([{ clientUserId, managedAppleId: `${clientUserId}@org.example` }]);
    await h.sim.operator.idle();
    const [user] = await createUsers(db, [
      { spaceId: space.id, name: "Refused user", appleClientUserId: clientUserId, appleStatus: "Associated" },
    ]);
    if (!user) throw new Error("no user");
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: REFUSED,
      clientUserIds: [clientUserId],
      uId: firstLoc.uId,
    });
    const ask = () =>
      requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: [
          { spaceId: space.id, adamId, subject: { kind: "user", userId: user.id }, why: "requested" },
        ],
        actor: { kind: "mdm" },
        now: new Date(),
      });
    try {
      expect((await ask())[0]?.decision).toMatchObject({ outcome: "grant", type: "user" });
      await drain(h);
      await workerRounds(space.id, adamId, [], 2);
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(await waits()).toEqual(["apple_refused"]);
    expect(await listed()).toBe(false);

    await secondBuys();
    await serveWaitingQueues(h.deps);
    await drain(h);
    expect(appleSubjects(h.sim, secondLoc.uId, adamId)).toEqual([`u:${clientUserId}`]);
    expect(await waits()).toEqual([]);
  });

  it("UB2, DB2: 9609 on a user's association registers the user again at Apple and sends the association once more; a second 9609 waits for an administrator (no loop)", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 3, name: "Users" });
    const apple = h.deps.apple.forToken(loc.sToken);
    const [retired, stubborn] = ["retired", "stubborn"].map((n) => `${n}-${space.id.slice(0, 8)}`) as [
      string,
      string,
    ];
    await apple.createUsersBatched(
      [retired, stubborn].map((id) => ({ clientUserId: id, managedAppleId: `${id}@org.example` })),
    );
    await h.sim.operator.idle();
    const users = await createUsers(
      db,
      [retired, stubborn].map((id) => ({
        spaceId: space.id,
        name: id,
        appleClientUserId: id,
        appleStatus: "Associated" as const,
      })),
    );
    // Apple retires one user behind Orchard's back (its notification lost); it refuses the other's
    // association whatever happens.
    h.sim.operator.setFaults({ dropNotifications: 1 });
    await apple.retireUsers([{ clientUserId: retired }]);
    await h.sim.operator.idle();
    h.sim.operator.clearFaults();
    h.sim.operator.failSubjects({
      endpoint: "/assets/associate",
      errorNumber: 9609,
      clientUserIds: [stubborn],
    });
    const before = {
      associate: appleRequests(h, "/assets/associate"),
      create: appleRequests(h, "/users/create"),
    };
    try {
      const granted = await requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: users.map((u) => ({
          spaceId: space.id,
          adamId,
          subject: { kind: "user" as const, userId: u.id },
          why: "requested" as const,
        })),
        actor: { kind: "mdm" },
        now: new Date(),
      });
      expect(granted.map((g) => g.decision)).toMatchObject([
        { outcome: "grant", type: "user" },
        { outcome: "grant", type: "user" },
      ]);
      await drain(h);
      await workerRounds(space.id, adamId, [], 3);
      // Each user: one association, one registration again, one association more; never a third.
      expect(appleRequests(h, "/assets/associate") - before.associate).toBe(2);
      expect(appleRequests(h, "/users/create") - before.create).toBe(1);
      // Registered again, the retired user holds its license (the same one, its seat kept all along).
      const [first] = granted;
      expect((await findLicense(db, space.id, first?.licenseId ?? ""))?.state).toBe("assigned");
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`u:${retired}`]);
      const logged = await listActivity(db, space.id, { adamId, action: "user.invited" });
      expect(logged.map((l) => [l.userId, l.licenseId, l.messageKey]).sort()).toEqual(
        granted.map((g, i) => [users[i]?.id, g.licenseId, "user.registered_again"]).sort(),
      );
      expect(logged[0]?.message).toContain("9609");
    } finally {
      h.sim.operator.clearFaults();
    }
    // The second 9609 is a refusal for good: the user waits for an administrator.
    const view = await listWaitingView(db, space.id, adamId, { page: 1, pageSize: 50 });
    expect(view.items.map((w) => [w.userId, w.reason, w.refusal?.errorNumber])).toEqual([
      [users[1]?.id, "apple_refused", 9609],
    ]);
  });
});
