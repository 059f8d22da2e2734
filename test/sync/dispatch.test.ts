import { afterAll, beforeAll, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import {
  claimCalls,
  formCalls,
  lockPendingOps,
  releaseCallLeases,
} from "../../src/store/apple-calls.repo.js";
import {
  appleWorkOfAccount,
  createUsers,
  findAsset,
  getAppRules,
  listActivity,
  listLicensesForApp,
  listOutbox,
  listWaitingRequests,
  releaseLicenses,
  requestLicenses,
  withTransaction,
} from "../../src/store/index.js";
import { countOpenOutbox } from "../../src/store/sync-outbox.repo.js";
import { addAccount, dispatchOnce, followOnce, makeSyncDeps } from "../../src/sync/index.js";
import { planCalls } from "../../src/sync/plan.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, revokeOnIos, spaceWithApps } from "./fixtures.js";
import {
  appleRequests,
  appleSubjects,
  drain,
  FAST,
  type Harness,
  iosAppAccount,
  startHarness,
} from "./harness.js";

describeEachDatabase("outbox dispatcher", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });

  it("AC1, DB2: grants of one app reach Apple in ceil(n / 1,000) associate calls and end assigned", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 2500, name: "Main" });
    expect((await getAppRules(db, space.id, account.id, adamId)).fcfs?.groupIds).toContain(ALL_USERS);

    const devices = await iosDevices(db, space.id, 2200);
    expect(await checkIn(db, space.id, adamId, devices)).toBe(2200);
    const { calls } = await drain(h);
    expect(calls).toBe(3);

    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.every((l) => l.state === "assigned")).toBe(true);
    const serials = new Set(devices.map((d) => `s:${d.serialNumber}`));
    const atApple = appleSubjects(h.sim, loc.uId, adamId);
    expect(atApple.length).toBe(2200);
    expect(atApple.every((s) => serials.has(s))).toBe(true);
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(2200);
  });

  it("AC1: an account whose Apple limits are below the documented 1,000 serials has its grants' calls split to them", async () => {
    const { db } = tdb().store;
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 1000, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, [adamId]);
    h.sim.operator.setLimits({ maxSerialNumbers: 400 });
    try {
      await addAccount(h.deps, { spaceId: space.id, name: "Small", sTokenFile: loc.sToken, actor: ADMIN });
      const devices = await iosDevices(db, space.id, 1000);
      expect(await checkIn(db, space.id, adamId, devices)).toBe(1000);
      // The grants wrote one call of 1,000 serials, more than this account's limits allow.
      expect(
        await db.selectFrom("apple_calls").select("id").where("space_id", "=", space.id).execute(),
      ).toHaveLength(1);
      const { calls } = await drain(h);
      expect(calls).toBe(3);
    } finally {
      h.sim.operator.setLimits({ maxSerialNumbers: 1000 });
    }
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(1000);
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(1000);
  });

  it("groups apps wanted by the same users into one call (up to 25 assets each)", async () => {
    const { db } = tdb().store;
    const adamIds = [newAdamId(), newAdamId(), newAdamId()];
    const loc = h.newLocation();
    for (const adamId of adamIds)
      h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 10, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, adamIds, false);
    await addAccount(h.deps, { spaceId: space.id, name: "Users", sTokenFile: loc.sToken, actor: ADMIN });
    const ids = ["cu-1", "cu-2", "cu-3", "cu-4"].map((id) => `${id}-${space.id.slice(0, 6)}`);
    // Managed Apple Accounts are Associated (enrolled) at once.
    await h.deps.apple
      .forToken(loc.sToken)
      .createUsersBatched(
        ids.map((clientUserId) => ({ clientUserId, managedAppleId: `${clientUserId}@org.example` })),
      );
    await h.sim.operator.idle();
    const users = await createUsers(
      db,
      ids.map((clientUserId) => ({
        spaceId: space.id,
        name: clientUserId,
        appleClientUserId: clientUserId,
        appleStatus: "Associated" as const,
      })),
    );
    for (const adamId of adamIds) {
      const requests = users.map((u) => ({
        spaceId: space.id,
        adamId,
        subject: { kind: "user" as const, userId: u.id },
        why: "requested" as const,
      }));
      await requestLicenses(db, { spaceId: space.id, adamId, requests, actor: ADMIN, now: new Date() });
    }
    const { calls } = await drain(h);
    expect(calls).toBe(1);
    for (const adamId of adamIds) {
      expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(ids.map((id) => `u:${id}`).sort());
    }
  });

  it("AC1: apps granted to the same devices share Apple calls, though each app's grants wrote their own", async () => {
    const { db } = tdb().store;
    const adamIds = [newAdamId(), newAdamId(), newAdamId()];
    const loc = h.newLocation();
    for (const adamId of adamIds)
      h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 1000, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, adamIds);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Fleet",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const devices = await iosDevices(db, space.id, 1000);
    for (const adamId of adamIds) expect(await checkIn(db, space.id, adamId, devices)).toBe(1000);
    // Administrators see them as written and not sent yet, not as calls Apple has not accepted.
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: new Date() });
    expect(work?.inFlight).toMatchObject({ calls: 3, operations: 3000 });
    expect(work?.inFlight.items.map((c) => c.state)).toEqual(["queued", "queued", "queued"]);
    const before = appleRequests(h, "/assets/associate");
    const { calls } = await drain(h);
    expect(calls).toBe(1);
    expect(appleRequests(h, "/assets/associate") - before).toBe(1);
    for (const adamId of adamIds) {
      expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(1000);
      const licenses = await listLicensesForApp(db, space.id, adamId);
      expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(1000);
    }
  });

  it("DB2, UB3: Apple refuses for want of licenses (9709): the seat is released, the log says why, the device waits and is served on purchase (ASSET_COUNT)", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 10, name: "Short" });
    // Another tool takes 4 licenses at Apple; Orchard has not synced since.
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: ["X1", "X2", "X3", "X4"] });
    await h.sim.operator.idle();
    const devices = await iosDevices(db, space.id, 10);
    expect(await checkIn(db, space.id, adamId, devices)).toBe(10);
    await drain(h);

    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(6);
    expect(licenses.filter((l) => l.state === "released")).toHaveLength(4);
    const failed = await listActivity(db, space.id, { adamId, action: "license.assign_failed" });
    expect(failed).toHaveLength(4);
    expect(failed[0]?.message).toContain("9709");
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting).toHaveLength(4);
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(10); // 6 + 4 outside

    h.sim.operator.buy(loc.uId, adamId, 4);
    await h.sim.operator.idle(); // ASSET_COUNT delivered and acted on
    expect(await listWaitingRequests(db, space.id, adamId)).toHaveLength(0);
    await drain(h);
    const atApple = new Set(appleSubjects(h.sim, loc.uId, adamId));
    expect(devices.every((d) => atApple.has(`s:${d.serialNumber}`))).toBe(true);
    expect(atApple.size).toBe(14);
  });

  it("RV3: a release goes to Apple after its association, then the license is in grace and its seat is free", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 5, name: "Release" });
    const devices = await iosDevices(db, space.id, 3);
    await checkIn(db, space.id, adamId, devices);
    // Released while the association is at Apple: Apple must see associate, then disassociate.
    expect((await dispatchOnce(h.deps, "test-worker")).sent).toBe(3);
    const ids = (await listLicensesForApp(db, space.id, adamId)).map((l) => l.id);
    await revokeOnIos(db, space.id, ids);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(0);
    const after = await listLicensesForApp(db, space.id, adamId);
    expect(after.every((l) => l.state === "in_grace")).toBe(true);
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(0);
  });

  it("RV2, RV3: a license released before its assignment left Orchard costs Apple no call: released at once, seat back, no grace", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 1100, name: "Unsent" });
    // 1,003 check-ins: a full call written with its 1,000 licenses, 3 associations in the outbox.
    const devices = await iosDevices(db, space.id, 1003);
    expect(await checkIn(db, space.id, adamId, devices)).toBe(1003);
    const queued = new Set(
      (await listOutbox(db, { spaceId: space.id, state: "pending" })).map((o) => o.licenseId),
    );
    expect(queued.size).toBe(3);
    const inCall = (await listLicensesForApp(db, space.id, adamId)).flatMap((l) =>
      queued.has(l.id) ? [] : [l.id],
    );
    // Released: the 3 in the outbox and half the call; kept: the other half.
    const kept = inCall.slice(500);
    const released = [...queued].flatMap((id) => (id ? [id] : [])).concat(inCall.slice(0, 500));
    const appleCalls = () => appleRequests(h, "/assets/associate", "/assets/disassociate");
    const before = appleCalls();
    await revokeOnIos(db, space.id, released);
    // The seats are back at once: nothing waits for Apple.
    expect((await findAsset(db, space.id, account.id, adamId))?.used).toBe(500);
    const log = await listActivity(db, space.id, { adamId, action: "license.released", limit: 1000 });
    expect(log).toHaveLength(503);
    expect(log[0]?.message).toContain("nothing to release there");
    await drain(h);
    expect(appleCalls() - before).toBe(1); // the kept half's association, and no disassociation
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(500);
    const after = new Map((await listLicensesForApp(db, space.id, adamId)).map((l) => [l.id, l.state]));
    expect(kept.every((id) => after.get(id) === "assigned")).toBe(true);
    expect(released.every((id) => after.get(id) === "released")).toBe(true);
  });

  it("RV2, invariant 3: a call a worker took and handed back unsent may have reached Apple: its licenses' releases go there", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 1000, name: "Handed back" });
    expect(await checkIn(db, space.id, adamId, await iosDevices(db, space.id, 1000))).toBe(1000);
    const now = new Date();
    const taken = await claimCalls(db, {
      state: "sending",
      workerId: "stopping",
      now,
      leaseMs: 60_000,
      limit: 10,
    });
    expect(taken).toHaveLength(1);
    await releaseCallLeases(db, { workerId: "stopping", now });
    const [first] = taken[0]?.ops ?? [];
    const [released] = await revokeOnIos(db, space.id, [first?.licenseId ?? ""]);
    expect(released?.state).toBe("pending_release");
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(999);
    const after = await listLicensesForApp(db, space.id, adamId);
    expect(after.filter((l) => l.state === "in_grace").map((l) => l.id)).toEqual([first?.licenseId]);
  });

  it("invariant 3, RV2: a new license for a subject waits until Apple has released its previous one, so Apple never ends without it", async () => {
    // Without the hold, Apple could take the association first (a no-op: the subject still
    // holds the first license) and the release second, leaving the subject with nothing.
    const { db } = tdb().store;
    const { adamId, loc, space } = await iosAppAccount(h, db, { total: 5, name: "Order" });
    const [device] = await iosDevices(db, space.id, 1);
    if (!device) throw new Error("no device");
    await checkIn(db, space.id, adamId, [device]);
    await drain(h);
    const [first] = await listLicensesForApp(db, space.id, adamId);
    await releaseLicenses(db, {
      spaceId: space.id,
      licenseIds: [first?.id ?? ""],
      actor: ADMIN,
      now: new Date(),
      because: ["RV2"],
    });
    // The device asks again at once: a second license, while the first one's release is not sent yet.
    expect(await checkIn(db, space.id, adamId, [device])).toBe(1);
    // A dispatcher that never looks at /status: the release stays open at Apple.
    const patient = makeSyncDeps({
      db,
      keys: tdb().store.keys,
      appleBaseUrl: h.sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      tuning: { ...FAST, firstPollMs: 600_000 },
    });
    const round = await dispatchOnce(patient, "patient");
    expect(round.calls).toBe(1); // the release alone: the association is held back
    const calls = await db
      .selectFrom("apple_calls")
      .select("kind")
      .where("space_id", "=", space.id)
      .execute();
    expect(calls.map((c) => c.kind)).not.toContain("associate");
    const [held] = await listOutbox(db, { spaceId: space.id, kind: "associate", state: "pending" });
    expect(held?.lastError).toContain("release");
    await h.sim.operator.idle();
    // Apple's notification may come before the eventId is recorded; the patient sender then
    // lets go, as a stopping worker does, so the next one can poll instead.
    await releaseCallLeases(db, { workerId: "patient", now: new Date() });
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`s:${device.serialNumber}`]);
    const states = (await listLicensesForApp(db, space.id, adamId)).map((l) => l.state).sort();
    expect(states).toEqual(["assigned", "released"]);
  });

  it("invariant 3: a worker that called Apple and died before recording the eventId is repaired by a retry, never doubled", async () => {
    const { db } = tdb().store;
    const { adamId, loc, space, account } = await iosAppAccount(h, db, { total: 50, name: "Crash" });
    const devices = await iosDevices(db, space.id, 40);
    await checkIn(db, space.id, adamId, devices);
    // The dead worker: formed the call (a lease that has run out), called Apple, never recorded.
    const limits = await h.deps.apple.forToken(loc.sToken).limits();
    const formed = await withTransaction(db, async (trx) => {
      const now = new Date();
      const rows = await lockPendingOps(trx, { spaceId: space.id, accountId: account.id, now, limit: 1000 });
      return formCalls(trx, {
        spaceId: space.id,
        accountId: account.id,
        calls: planCalls(rows, limits),
        workerId: "dead",
        now,
        leaseMs: 1,
      });
    });
    expect(formed.flatMap((c) => c.ops).filter((r) => r.adamId === adamId)).toHaveLength(40);
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: devices.slice(0, 25).map((d) => d.serialNumber) });
    await h.sim.operator.idle();
    await h.deps.sleep(5);
    await drain(h);
    const atApple = appleSubjects(h.sim, loc.uId, adamId);
    expect(atApple).toHaveLength(40);
    expect(new Set(atApple).size).toBe(40);
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(40);
  });

  it("invariant 3: the worker that sent a call follows its event under the same lease; another takes it over only once the sender lets go", async () => {
    // No notifications (no public URL in the client config): only /status polling finishes these rows.
    const { db } = tdb().store;
    const quiet = makeSyncDeps({
      db,
      keys: tdb().store.keys,
      appleBaseUrl: h.sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      tuning: FAST,
    });
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 20, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db, [adamId]);
    await addAccount(quiet, { spaceId: space.id, name: "Lease", sTokenFile: loc.sToken, actor: ADMIN });
    await checkIn(db, space.id, adamId, await iosDevices(db, space.id, 10));
    expect((await dispatchOnce(quiet, "sender")).sent).toBe(10);
    const calls = await db.selectFrom("apple_calls").selectAll().where("space_id", "=", space.id).execute();
    expect(calls).toHaveLength(1);
    expect(calls.every((c) => c.state === "sent" && c.claimed_by === "sender" && c.event_id !== null)).toBe(
      true,
    );
    await h.sim.operator.idle();
    await quiet.sleep(FAST.firstPollMs + 10);
    // Due for a look, but the sender holds them: another worker leaves them alone...
    expect((await followOnce(quiet, "other")).events).toBe(0);
    // ...until the sender stops (or dies and its lease runs out).
    await releaseCallLeases(db, { workerId: "sender", now: new Date() });
    expect((await followOnce(quiet, "other")).finished).toBe(1);
    expect(await db.selectFrom("apple_calls").selectAll().where("space_id", "=", space.id).execute()).toEqual(
      [],
    );
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.filter((l) => l.state === "assigned")).toHaveLength(10);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(10);
  });

  it("Apple's ASSET_MANAGEMENT notifications complete the operations without waiting for a /status poll", async () => {
    const { db } = tdb().store;
    const { adamId, space } = await iosAppAccount(h, db, { total: 30, name: "Notified" });
    await checkIn(db, space.id, adamId, await iosDevices(db, space.id, 25));
    // A dispatcher whose first /status look is 10 minutes away: only a notification can finish the work.
    const patient = makeSyncDeps({
      db,
      keys: tdb().store.keys,
      appleBaseUrl: h.sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      tuning: { ...FAST, firstPollMs: 600_000 },
    });
    expect((await dispatchOnce(patient, "patient")).calls).toBe(1);
    await h.sim.operator.idle();
    expect(await countOpenOutbox(db)).toEqual({ pending: 0, sent: 0 });
    const licenses = await listLicensesForApp(db, space.id, adamId);
    expect(licenses.every((l) => l.state === "assigned")).toBe(true);
  });
});
