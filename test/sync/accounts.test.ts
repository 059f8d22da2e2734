import { afterAll, beforeAll, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import {
  createUser,
  findAccount,
  findAsset,
  findCatalogApp,
  getAccount,
  getAppRules,
  listActivity,
  listLicensesForApp,
  listNotifications,
  listOutbox,
  revealSToken,
  StoreError,
  setAccountHealth,
  setAppRules,
} from "../../src/store/index.js";
import {
  accountDeletionPreview,
  markAccountDeleting,
  unmarkAccountDeleting,
} from "../../src/store/sync-account-data.repo.js";
import {
  addAccount,
  deleteAccount,
  dispatchOnce,
  resyncAccount,
  SyncError,
  setAccountPriority,
  syncAccount,
  updateAccount,
} from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, spaceWithApps } from "./fixtures.js";
import {
  appleRequests,
  appleSubjects,
  drain,
  type Harness,
  startHarness,
  untilAppleReceives,
} from "./harness.js";

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof SyncError || error instanceof StoreError
      ? error.code
      : `not a SyncError: ${String(error)}`;
  }
}

describeEachDatabase("account operations", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;

  /** A location with one app of `total` licenses, an account for it and `n` devices licensed at Apple. */
  async function licensedAccount(total: number, n: number, name = "Account") {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: total, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name,
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const devices = await iosDevices(db(), space.id, n);
    await checkIn(db(), space.id, adamId, devices);
    await drain(h);
    return { adamId, loc, space, account, devices };
  }

  it("AC1: with 'automatically distribute' off no FCFS rule is made; with it on, apps bought later get All Users FCFS too", async () => {
    const [a, b] = [newAdamId(), newAdamId()];
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId: a, totalCount: 5 });
    const space = await spaceWithApps(db(), [a, b]);
    const off = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Off",
      sTokenFile: loc.sToken,
      autoDistribute: false,
      actor: ADMIN,
    });
    expect((await getAppRules(db(), space.id, off.account.id, a)).fcfs).toBeUndefined();

    const loc2 = h.newLocation();
    h.sim.operator.addAsset(loc2.uId, { adamId: a, totalCount: 5 });
    const on = await addAccount(h.deps, {
      spaceId: space.id,
      name: "On",
      sTokenFile: loc2.sToken,
      actor: ADMIN,
    });
    expect((await getAppRules(db(), space.id, on.account.id, a)).fcfs?.groupIds).toEqual([ALL_USERS]);
    h.sim.operator.buy(loc2.uId, b, 3); // a purchase: ASSET_COUNT
    await h.sim.operator.idle();
    expect((await findAsset(db(), space.id, on.account.id, b))?.total).toBe(3);
    expect((await getAppRules(db(), space.id, on.account.id, b)).fcfs?.groupIds).toEqual([ALL_USERS]);
  });

  it("AC1: an account whose first import Apple fails is added all the same, says so, and the next sync imports it", async () => {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 4 });
    const space = await spaceWithApps(db(), [adamId]);
    h.sim.operator.setFaults({ rate5xx: 1, retryAfterSeconds: 0 }, "/assets");
    let added: Awaited<ReturnType<typeof addAccount>>;
    try {
      added = await addAccount(h.deps, {
        spaceId: space.id,
        name: "Late import",
        sTokenFile: loc.sToken,
        actor: ADMIN,
      });
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(added.importFailed?.code).toBe("apple_unavailable");
    expect(added.sync).toBeUndefined();
    expect((await getAccount(db(), space.id, added.account.id)).displayName).toBe("Late import");
    expect(await findAsset(db(), space.id, added.account.id, adamId)).toBeUndefined();
    // Adding it again meets its own location: the answer had to say it was added.
    expect(
      await codeOf(
        addAccount(h.deps, { spaceId: space.id, name: "Again", sTokenFile: loc.sToken, actor: ADMIN }),
      ),
    ).toBe("duplicate_location");
    // The scheduled (incremental) sync has no version yet, so it imports everything.
    await syncAccount(h.deps, { spaceId: space.id, accountId: added.account.id, mode: "incremental" });
    expect((await findAsset(db(), space.id, added.account.id, adamId))?.total).toBe(4);
  });

  it("AC1: 'clear all previous license data' releases every assignment of the token, a previous MDM's included", async () => {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 10 });
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: ["OLD1", "OLD2", "OLD3"] });
    await h.sim.operator.idle();
    const space = await spaceWithApps(db(), [adamId]);
    const { account, cleared } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Clean",
      sTokenFile: loc.sToken,
      clearPrevious: true,
      actor: ADMIN,
    });
    expect(cleared).toBe(3);
    await h.sim.operator.idle();
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(0);
    await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(0);
  });

  it("AC1, NT2: refuses a malformed, expired or revoked token, and a location that already has an account", async () => {
    const space = await spaceWithApps(db(), [newAdamId()]);
    const add = (sTokenFile: string) =>
      addAccount(h.deps, { spaceId: space.id, name: "X", sTokenFile, actor: ADMIN });
    expect(await codeOf(add("not a token"))).toBe("token_malformed");
    const expired = h.sim.operator.createLocation({
      orgName: "Old",
      expiresAt: new Date(Date.now() - 86_400_000),
    });
    expect(await codeOf(add(expired.sToken))).toBe("token_expired");
    const revoked = h.newLocation();
    h.sim.operator.revokeToken(revoked.uId);
    expect(await codeOf(add(revoked.sToken))).toBe("token_revoked");
    const twice = h.newLocation();
    await add(twice.sToken);
    // The account holding the location is named, so the administrator updates that one instead.
    const again = await add(twice.sToken).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(again).toMatchObject({ code: "duplicate_location" });
    expect(String(again)).toContain('already the account "X"');
    // Another space's account is not named (invariant 6).
    const elsewhere = await spaceWithApps(db(), [newAdamId()]);
    const otherSpace = await addAccount(h.deps, {
      spaceId: elsewhere.id,
      name: "Y",
      sTokenFile: twice.sToken,
      actor: ADMIN,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(otherSpace).toMatchObject({ code: "duplicate_location" });
    expect(String(otherSpace)).toContain("another space");
    expect(String(otherSpace)).not.toContain('"X"');
  });

  it("AC2: renaming alone is allowed; a new token of the same location keeps every license; another location's is refused unless cleared", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 4, "Before");
    await updateAccount(h.deps, { spaceId: space.id, accountId: account.id, name: "After", actor: ADMIN });
    expect((await getAccount(db(), space.id, account.id)).displayName).toBe("After");

    const renewed = h.sim.operator.renewToken(loc.uId);
    const same = await updateAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      sTokenFile: renewed.sToken,
      actor: ADMIN,
    });
    expect(same.account.locationUid).toBe(loc.uId);
    expect(
      (await listLicensesForApp(db(), space.id, adamId)).filter((l) => l.state === "assigned"),
    ).toHaveLength(4);

    const other = h.newLocation();
    const update = (clearPrevious: boolean) =>
      updateAccount(h.deps, {
        spaceId: space.id,
        accountId: account.id,
        sTokenFile: other.sToken,
        clearPrevious,
        actor: ADMIN,
      });
    expect(await codeOf(update(false))).toBe("token_other_location");
    const moved = await update(true);
    expect(moved.account.locationUid).toBe(other.uId);
    expect(
      (await listLicensesForApp(db(), space.id, adamId)).filter((l) => l.state === "assigned"),
    ).toHaveLength(0);
    expect((await findAsset(db(), space.id, account.id, adamId))?.total).toBe(0); // not bought at the new location
  });

  it("AC2, CA2: a token update under a name another account has changes nothing, here or at Apple", async () => {
    const { space, account, loc } = await licensedAccount(4, 0, "South");
    const north = h.newLocation();
    await addAccount(h.deps, { spaceId: space.id, name: "North", sTokenFile: north.sToken, actor: ADMIN });
    const before = await revealSToken(db(), account.id, h.deps.keys);
    const configsBefore = appleRequests(h, "/client/config");
    const renewed = h.sim.operator.renewToken(loc.uId);
    const rename = (sTokenFile?: string) =>
      updateAccount(h.deps, {
        spaceId: space.id,
        accountId: account.id,
        name: " north ",
        ...(sTokenFile ? { sTokenFile } : {}),
        actor: ADMIN,
      });
    expect(await codeOf(rename(renewed.sToken))).toBe("duplicate_name");
    expect(await codeOf(rename())).toBe("duplicate_name");
    expect(await revealSToken(db(), account.id, h.deps.keys)).toBe(before);
    expect((await getAccount(db(), space.id, account.id)).displayName).toBe("South");
    expect(appleRequests(h, "/client/config")).toBe(configsBefore);
  });

  it("AC3: a full resync counts assignments made outside Orchard and releases what Apple no longer holds, with a summary in the log", async () => {
    const { adamId, loc, space, account, devices } = await licensedAccount(20, 5);
    const apple = h.deps.apple.forToken(loc.sToken);
    await apple.associate({ assets: [{ adamId }], serialNumbers: ["OUT1", "OUT2", "OUT3"] });
    await apple.disassociate({ assets: [{ adamId }], serialNumbers: [devices[0]?.serialNumber ?? ""] });
    await h.sim.operator.idle();
    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ atApple: 7, outside: 3, vanished: 1 });
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(4 + 3);
    const log = await listActivity(db(), space.id, { action: "account.resynced" });
    expect(log[0]?.ruleIds).toContain("AC3");
    expect(log[0]?.message).toContain("3 outside Orchard");
  });

  it("AC4, MA3: changing the priority moves no license and sends nothing to Apple", async () => {
    const first = await licensedAccount(10, 3, "First");
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId: first.adamId, totalCount: 10 });
    const second = await addAccount(h.deps, {
      spaceId: first.space.id,
      name: "Second",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const before = await listLicensesForApp(db(), first.space.id, first.adamId);
    const outboxBefore = await listOutbox(db(), { spaceId: first.space.id });
    const calls = () =>
      db().selectFrom("apple_calls").selectAll().where("space_id", "=", first.space.id).execute();
    const callsBefore = await calls();
    const order = await setAccountPriority(h.deps, {
      spaceId: first.space.id,
      accountId: second.account.id,
      priority: 1,
      actor: ADMIN,
    });
    expect(order.map((a) => a.id)).toEqual([second.account.id, first.account.id]);
    expect(await listLicensesForApp(db(), first.space.id, first.adamId)).toEqual(before);
    expect(await listOutbox(db(), { spaceId: first.space.id })).toEqual(outboxBefore);
    expect(await calls()).toEqual(callsBefore);
    expect(appleSubjects(h.sim, first.loc.uId, first.adamId)).toHaveLength(3);
    const log = await listActivity(db(), first.space.id, { action: "account.priority_changed" });
    expect(log[0]?.ruleIds).toEqual(expect.arrayContaining(["AC4", "MA3"]));
  });

  it("AC5: deleting an account releases its licenses at Apple with the 30-day notice, drops its rules, keeps its apps in the catalog", async () => {
    const { adamId, loc, space, account, devices } = await licensedAccount(10, 4, "Doomed");
    // Before the confirmation, the admin reads what goes: 4 device licenses, the app's rules.
    const [ann, bob] = await Promise.all(
      ["Ann", "Bob"].map((name) => createUser(db(), { spaceId: space.id, name, appleStatus: "Associated" })),
    );
    await setAppRules(
      db(),
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [ann?.id ?? ""],
        reservedDeviceIds: [devices[0]?.id ?? ""],
        prohibitedUserIds: [bob?.id ?? ""],
      },
      ADMIN,
      new Date(),
    );
    expect(await accountDeletionPreview(db(), space.id, account.id)).toEqual({
      licenses: { user: 0, device: 4 },
      apps: 1,
      appsWithRules: 1,
      reservedUsers: 1,
      reservedDevices: 1,
      prohibitedUsers: 1,
    });
    expect(await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN })).toEqual({
      released: 4,
      releasedAtApple: true,
      stillAtApple: 0,
    });
    await h.sim.operator.idle();
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(0);
    expect(await findAccount(db(), space.id, account.id)).toBeUndefined();
    expect((await getAppRules(db(), space.id, account.id, adamId)).fcfs).toBeUndefined();
    expect(await findCatalogApp(db(), space.id, adamId)).toBeDefined();
    const released = await listActivity(db(), space.id, { adamId, action: "license.released" });
    expect(released).toHaveLength(4);
    expect(released[0]?.ruleIds).toEqual(expect.arrayContaining(["AC5", "RV3"]));
    expect(released[0]?.message).toContain("30 days");
  });

  it("AC5: an account whose token Apple revoked is deleted all the same, says that nothing was released at Apple, and the log says why", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 3, "Revoked");
    h.sim.operator.revokeToken(loc.uId);
    expect(await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN })).toEqual({
      released: 3,
      releasedAtApple: false,
      stillAtApple: 3,
    });
    expect(await findAccount(db(), space.id, account.id)).toBeUndefined();
    const released = await listActivity(db(), space.id, { adamId, action: "license.released" });
    expect(released.map((e) => e.message)).toEqual(
      Array(3).fill("account deleted: could not release at Apple (token problem)"),
    );
  });

  it("AC5: a token that stops working between two release calls: what Apple released is logged released, the rest still at Apple, and the count says so", async () => {
    // Two calls for three licenses (Apple's limit, read when the account is added).
    h.sim.operator.setLimits({ maxSerialNumbers: 2 });
    try {
      const { adamId, loc, space, account } = await licensedAccount(10, 3, "Dying");
      const before = appleRequests(h, "/assets/disassociate");
      h.sim.operator.setFaults({ latencyMs: 300 }, "/assets/disassociate");
      const deleting = deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
      // The first call answered, the second arrives: the token is revoked while Apple holds it.
      for (let i = 0; i < 400 && appleRequests(h, "/assets/disassociate") < before + 2; i++)
        await h.deps.sleep(5);
      expect(appleRequests(h, "/assets/disassociate")).toBe(before + 2);
      h.sim.operator.revokeToken(loc.uId);
      expect(await deleting).toEqual({ released: 3, releasedAtApple: false, stillAtApple: 1 });
      await h.sim.operator.idle();
      expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(1);
      const released = await listActivity(db(), space.id, { adamId, action: "license.released" });
      expect(released.map((e) => e.message).sort()).toEqual([
        "account deleted: could not release at Apple (token problem)",
        expect.stringContaining("released at Apple"),
        expect.stringContaining("released at Apple"),
      ]);
      const [deleted] = await listActivity(db(), space.id, { action: "account.deleted" });
      expect(deleted?.details).toMatchObject({ licenses: 3, releasedAtApple: false, stillAtApple: 1 });
    } finally {
      h.sim.operator.clearFaults();
      h.sim.operator.setLimits({ maxSerialNumbers: 1000 });
    }
  });

  it("AC5, invariant 3: a device checking in while the account's licenses are being released at Apple gets none from it, and Apple keeps none", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 2, "Racing");
    const before = appleRequests(h, "/assets/disassociate");
    // Apple takes its time releasing the account's licenses...
    h.sim.operator.setFaults({ latencyMs: 300 }, "/assets/disassociate");
    try {
      const deleting = deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
      await untilAppleReceives(h, "/assets/disassociate", before);
      // ...while a device checks in and a worker looks for work: the account grants nothing more.
      const [late] = await iosDevices(db(), space.id, 1);
      expect(await checkIn(db(), space.id, adamId, late ? [late] : [])).toBe(0);
      expect((await dispatchOnce(h.deps, "racer")).sent).toBe(0);
      const result = await deleting;
      expect(result.released).toBe(2);
      await h.sim.operator.idle();
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
      const log = await listActivity(db(), space.id, { adamId, action: "license.released" });
      expect(log).toHaveLength(2);
      expect(log.every((l) => l.message?.includes("released at Apple"))).toBe(true);
    } finally {
      h.sim.operator.clearFaults();
    }
  });

  it("AC5, invariant 3: an association a worker is sending when the deletion starts reaches Apple before the releases, not after", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 2, "Sending");
    const [late] = await iosDevices(db(), space.id, 1);
    expect(await checkIn(db(), space.id, adamId, late ? [late] : [])).toBe(1);
    const before = appleRequests(h, "/assets/associate");
    // Apple takes its time with the association a worker is sending...
    h.sim.operator.setFaults({ latencyMs: 300 }, "/assets/associate");
    try {
      const sending = dispatchOnce(h.deps, "slow-sender");
      await untilAppleReceives(h, "/assets/associate", before);
      // ...when the account is deleted: the deletion waits for it, then releases everything.
      const result = await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
      expect((await sending).sent).toBe(1);
      expect(result.released).toBe(3);
      await h.sim.operator.idle();
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
      expect(await findAccount(db(), space.id, account.id)).toBeUndefined();
    } finally {
      h.sim.operator.clearFaults();
    }
  });

  it("AC5, invariant 3: an association Apple accepted and has not answered when the deletion starts is answered before the releases go", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 2, "Answering");
    const [late] = await iosDevices(db(), space.id, 1);
    expect(await checkIn(db(), space.id, adamId, late ? [late] : [])).toBe(1);
    // Apple accepts the association at once and finishes it later than a release made after it.
    h.sim.operator.setFaults({ eventDelayMs: 300 }, "/assets/associate");
    try {
      expect((await dispatchOnce(h.deps, "test-worker")).sent).toBe(1);
      const result = await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
      expect(result.released).toBe(3);
      await h.sim.operator.idle();
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
    } finally {
      h.sim.operator.clearFaults();
    }
  });

  it("AC5: a worker holding several calls of an account sends none once the account's deletion has started", async () => {
    const { adamId, loc, space, account } = await licensedAccount(2000, 0, "Busy");
    expect(await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 2000))).toBe(2000);
    const before = appleRequests(h, "/assets/associate");
    h.sim.operator.setFaults({ latencyMs: 300 }, "/assets/associate");
    try {
      // The worker takes both calls and sends the first; Apple takes its time...
      const sending = dispatchOnce(h.deps, "busy-sender");
      await untilAppleReceives(h, "/assets/associate", before);
      // ...and the account is deleted meanwhile: the first call lands before the releases,
      // the second is never sent.
      const result = await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
      expect((await sending).calls).toBe(1);
      expect(appleRequests(h, "/assets/associate") - before).toBe(1);
      expect(result.released).toBe(2000);
      await h.sim.operator.idle();
      expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
    } finally {
      h.sim.operator.clearFaults();
    }
  });

  it("AC5: an account being deleted takes no new grant, sends nothing, and cannot be deleted twice at once; a deletion that fails puts its health back", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 2, "Halting");
    const [waiting, late] = await iosDevices(db(), space.id, 2);
    if (!waiting || !late) throw new Error("no devices");
    // An association waiting in the outbox when the deletion starts.
    expect(await checkIn(db(), space.id, adamId, [waiting])).toBe(1);
    const before = await markAccountDeleting(db(), space.id, account.id, new Date());
    expect(before?.health).toBe("ok");
    // A token problem found meanwhile, or a sync finding the token fine, changes nothing.
    expect(await setAccountHealth(db(), space.id, account.id, "revoked", new Date())).toBe(false);
    expect(await setAccountHealth(db(), space.id, account.id, "ok", new Date())).toBe(false);
    expect((await getAccount(db(), space.id, account.id)).health).toBe("deleting");
    expect(await checkIn(db(), space.id, adamId, [late])).toBe(0);
    expect(await codeOf(drain(h, { maxRounds: 3 }))).toContain("outbox not drained");
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(2);
    expect(
      await codeOf(deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN })),
    ).toBe("deletion_in_progress");

    // The deletion stopped short; a new one fails on Apple's side: the health it had comes back.
    await unmarkAccountDeleting(db(), space.id, account.id, { health: "ok", since: new Date() });
    h.sim.operator.setFaults({ rate5xx: 1, retryAfterSeconds: 0 }, "/assets/disassociate");
    try {
      expect(
        await codeOf(deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN })),
      ).toBe("apple_unavailable");
    } finally {
      h.sim.operator.clearFaults();
    }
    expect((await getAccount(db(), space.id, account.id)).health).toBe("ok");
    expect(await checkIn(db(), space.id, adamId, [late])).toBe(1);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(4);
  });

  it("AC5: a deletion cut short (the process ended) is finished by deleting again, ten minutes on", async () => {
    const { adamId, loc, space, account } = await licensedAccount(10, 2, "Cut short");
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await markAccountDeleting(db(), space.id, account.id, elevenMinutesAgo);
    const result = await deleteAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(result.released).toBe(2);
    expect(await findAccount(db(), space.id, account.id)).toBeUndefined();
    await h.sim.operator.idle();
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([]);
  });

  it("AC6: a token managed by another MDM is refused until taken over with confirmation; taken over at sync, the account pauses (NT2)", async () => {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 5 });
    h.sim.operator.claimByOtherMdm(loc.uId, { id: "other-mdm", name: "Other MDM", metadata: "" });
    const space = await spaceWithApps(db(), [adamId]);
    const add = (takeOver: boolean) =>
      addAccount(h.deps, {
        spaceId: space.id,
        name: "Taken",
        sTokenFile: loc.sToken,
        takeOver,
        actor: ADMIN,
      });
    expect(await codeOf(add(false))).toBe("token_owned_by_other_mdm");
    const { account } = await add(true);
    expect((await h.deps.apple.forToken(loc.sToken).getClientConfig()).config.mdmInfo?.id).toBe(
      "orchard-test",
    );

    // The other MDM takes it back: the next sync sees it, pauses the account and says how to fix it.
    h.sim.operator.claimByOtherMdm(loc.uId, { id: "other-mdm", name: "Other MDM", metadata: "" });
    await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 2));
    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.health).toBe("other_mdm");
    expect((await getAccount(db(), space.id, account.id)).health).toBe("other_mdm");
    const notes = await listNotifications(db(), space.id, { open: true });
    expect(notes.find((n) => n.kind === "token_other_mdm")?.details.remedy).toContain("take the token over");
    expect(await codeOf(drain(h, { maxRounds: 3 }))).toContain("outbox not drained"); // paused: nothing sent

    await updateAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      sTokenFile: loc.sToken,
      takeOver: true,
      actor: ADMIN,
    });
    expect((await getAccount(db(), space.id, account.id)).health).toBe("ok");
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(2);
  });
});
