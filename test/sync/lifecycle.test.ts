import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createAccount,
  createUsers,
  getAccount,
  listLicensesForApp,
  listNotifications,
  listWaitingRequests,
  releaseLicenses,
  replaceInstalledApps,
  requestLicenses,
} from "../../src/store/index.js";
import { countOpenOutbox } from "../../src/store/sync-outbox.repo.js";
import { addAccount, expireGracePeriods, startWorker, syncAccount } from "../../src/sync/index.js";
import { advisoryLock } from "../../src/sync/scheduler-lock.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, spaceWithApps } from "./fixtures.js";
import { appleSubjects, drain, type Harness, startHarness } from "./harness.js";

describeEachDatabase("queue, grace, token health and the worker", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;

  async function setUp(total: number, installOnDevice = true) {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: total, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId], installOnDevice);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Main",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    return { adamId, loc, space, account };
  }

  it("UB3, UB4: a user-licensed request waits until the user accepts Apple's invitation, then is granted at once", async () => {
    const { adamId, loc, space } = await setUp(5, false);
    const clientUserId = `invitee-${space.id.slice(0, 8)}`;
    await h.deps.apple
      .forToken(loc.sToken)
      .createUsersBatched([{ clientUserId, email: `${clientUserId}@example.com` }]);
    await h.sim.operator.idle();
    const [user] = await createUsers(db(), [
      { spaceId: space.id, name: "Invitee", appleClientUserId: clientUserId, appleStatus: "Registered" },
    ]);
    const request = {
      spaceId: space.id,
      adamId,
      subject: { kind: "user" as const, userId: user?.id ?? "" },
      why: "requested" as const,
    };
    const [waiting] = await requestLicenses(db(), {
      spaceId: space.id,
      adamId,
      requests: [request],
      actor: ADMIN,
      now: new Date(),
    });
    expect(waiting?.decision).toMatchObject({ outcome: "wait", reason: "not_enrolled" });
    expect(await listWaitingRequests(db(), space.id, adamId)).toHaveLength(1);

    h.sim.operator.acceptInvitation(loc.uId, clientUserId); // USER_ASSOCIATED
    await h.sim.operator.idle();
    expect(await listWaitingRequests(db(), space.id, adamId)).toHaveLength(0);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`u:${clientUserId}`]);
  });

  it("DB2: waiting devices are served in order of request when a license frees up", async () => {
    const { adamId, space } = await setUp(2);
    const devices = await iosDevices(db(), space.id, 5);
    for (const d of devices) await checkIn(db(), space.id, adamId, [d]); // one by one: the order of request
    await drain(h);
    expect((await listWaitingRequests(db(), space.id, adamId)).map((w) => w.subject)).toEqual(
      devices.slice(2).map((d) => ({ kind: "device", deviceId: d.id })),
    );
    const first = (await listLicensesForApp(db(), space.id, adamId, { states: ["assigned"] }))[0];
    await releaseLicenses(db(), {
      spaceId: space.id,
      licenseIds: [first?.id ?? ""],
      actor: ADMIN,
      now: new Date(),
      because: ["RV2"],
    });
    await drain(h);
    const live = await listLicensesForApp(db(), space.id, adamId, { states: ["assigned", "pending_assign"] });
    expect(live.map((l) => l.deviceId).sort()).toEqual([devices[1]?.id, devices[2]?.id].sort());
  });

  it("RV3: at the end of grace the MDM is told to remove the app from the iOS device where it is still installed and unlicensed", async () => {
    const { adamId, space } = await setUp(5);
    const ios = await iosDevices(db(), space.id, 1);
    await checkIn(db(), space.id, adamId, ios);
    await drain(h);
    for (const d of ios)
      await replaceInstalledApps(db(), space.id, d.id, [{ bundleId: "com.example.app", adamId }], new Date());
    const ids = (await listLicensesForApp(db(), space.id, adamId)).map((l) => l.id);
    await releaseLicenses(db(), {
      spaceId: space.id,
      licenseIds: ids,
      actor: ADMIN,
      now: new Date(),
      because: ["RV2"],
      graceUntil: new Date(Date.now() + 60_000),
    });
    await drain(h);
    expect((await listLicensesForApp(db(), space.id, adamId))[0]?.state).toBe("in_grace");
    expect((await expireGracePeriods(h.deps)).commands).toEqual([]); // not yet over
    // A minute later by the worker's clock (not the machine's: a slow drain must not end it first).
    const later = { ...h.deps, now: () => new Date(Date.now() + 61_000) };
    const { expired, commands } = await expireGracePeriods(later);
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(commands).toContainEqual({ kind: "remove", deviceId: ios[0]?.id, adamId, because: ["RV3"] });
    expect(h.commands).toContainEqual({ kind: "remove", deviceId: ios[0]?.id, adamId, because: ["RV3"] });
    expect((await listLicensesForApp(db(), space.id, adamId))[0]?.state).toBe("released");
  });

  it("item 7: a token that now answers for another location, and a location uploaded twice, are shown with the fix", async () => {
    const { space, account } = await setUp(3);
    // The account was made for another location than the token now answers for.
    await db()
      .updateTable("accounts")
      .set({ location_uid: "9999000099990000" })
      .where("id", "=", account.id)
      .execute();
    const moved = await syncAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      mode: "incremental",
    });
    expect(moved.health).toBe("location_changed");
    await db()
      .updateTable("accounts")
      .set({ location_uid: account.locationUid ?? null })
      .where("id", "=", account.id)
      .execute();
    expect(
      (await syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "incremental" })).health,
    ).toBe("ok");

    // The same location uploaded a second time (here written behind Orchard's back).
    const tokenOf = (await import("../../src/store/index.js")).revealSToken;
    const twin = await createAccount(db(), tdb().store.keys, {
      spaceId: space.id,
      displayName: "Twin",
      sToken: await tokenOf(db(), account.id, tdb().store.keys),
      ...(account.locationUid ? { locationUid: account.locationUid } : {}),
    });
    expect(
      (await syncAccount(h.deps, { spaceId: space.id, accountId: twin.id, mode: "incremental" })).health,
    ).toBe("duplicate");
    expect((await getAccount(db(), space.id, twin.id)).health).toBe("duplicate");
    const kinds = (await listNotifications(db(), space.id, { open: true })).map((n) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(["token_duplicate"]));
  });

  it("AC3: incremental syncs read only what changed since the stored versionIds", async () => {
    const { space, account } = await setUp(3);
    const synced = await getAccount(db(), space.id, account.id);
    expect(synced.lastAssignmentsVersionId).toBeDefined();
    expect(synced.lastUsersVersionId).toBeDefined();
    const summary = await syncAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      mode: "incremental",
    });
    expect(summary.assignments?.atApple).toBe(0);
  });

  it("the worker drains the outbox by itself and stops after its round on stop() (SIGTERM)", async () => {
    const { adamId, loc, space } = await setUp(50);
    await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 40));
    const worker = startWorker(h.deps, { engine: tdb().engine, schedule: false, idleMs: 10 });
    try {
      for (let i = 0; i < 500; i++) {
        const open = await countOpenOutbox(db());
        if (open.pending + open.sent === 0) break;
        await h.deps.sleep(20);
      }
    } finally {
      await worker.stop();
    }
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(40);
    expect(await worker.runJob("housekeeping")).toBe(false); // stopped: no more scheduled work
  });

  it("one scheduler at a time: the advisory lock is held by one worker until released", async (ctx) => {
    if (tdb().engine !== "postgres") ctx.skip();
    const a = advisoryLock(db());
    const b = advisoryLock(db());
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    await a.release();
    expect(await b.tryAcquire()).toBe(true);
    await b.release();
  });
});
