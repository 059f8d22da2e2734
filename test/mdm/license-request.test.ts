import { sql } from "kysely";
import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { requestLicense, requestLicensesFor } from "../../src/mdm/index.js";
import {
  type Db,
  failAssignment,
  listWaitingRequests,
  markAssigned,
  releaseLicenses,
  replaceInstalledApps,
  withTransaction,
} from "../../src/store/index.js";
import {
  acknowledgeMdmCommands,
  claimMdmCommands,
  listMdmCommands,
  queueInstallsUnlessPresent,
  queueMdmCommands,
  settleMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { deleteAccountRows } from "../../src/store/sync-account-data.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW, spaceWithApp } from "../store/fixtures.js";

const MDM = { kind: "mdm" } as const;

/** The pending commands of a space that wait for their license, by device. */
async function awaitingOf(db: Db, spaceId: string): Promise<Map<string, boolean>> {
  const rows = await db
    .selectFrom("mdm_commands")
    .select(["device_id", "awaiting_license"])
    .where("space_id", "=", spaceId)
    .where("state", "=", "pending")
    .execute();
  return new Map(rows.map((r) => [r.device_id, r.awaiting_license]));
}

/**
 * LT2 for a batch of license requests: the install checks of every device and the
 * install commands are one statement in the allocation's transaction (issue 5); what
 * they decide is unchanged.
 */
describeEachDatabase("license requests and their installs", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });
  const forDevices = (spaceId: string, adamId: string, ids: readonly string[]): LicenseRequest[] =>
    ids.map((deviceId) => ({ spaceId, adamId, subject: { kind: "device", deviceId }, why: "mandatory" }));

  /** The MDM's mandatory requests for these devices, decided in one transaction. */
  const requestFor = (spaceId: string, adamId: string, ids: readonly string[]) =>
    requestLicensesFor(deps(), { spaceId, adamId, requests: forDevices(spaceId, adamId, ids), actor: MDM });

  /** A space with the app in its catalog, an account of 10 seats of it, and `n` devices. */
  async function withSeatsAndDevices(adamId: string, n: number) {
    const { db, keys } = database().store;
    const { space } = await spaceWithApp(db, adamId);
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    return { db, space, adamId, fleet: await devices(db, space.id, n) };
  }

  it("LT2: one install per granted device, none for a device that has the app, one for a device listed twice", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000001", 3);
    const [a, b, c] = fleet;
    if (!a || !b || !c) throw new Error("no devices");
    await replaceInstalledApps(db, space.id, b.id, [{ bundleId: "com.example.app", adamId }], NOW);
    const results = await requestFor(space.id, adamId, [a.id, b.id, c.id, c.id]);
    expect(results.map((r) => [r.decision.outcome, r.installQueued])).toEqual([
      ["grant", true],
      ["grant", false],
      ["grant", true],
      ["keep", true],
    ]);
    const commands = await listMdmCommands(db, space.id);
    expect(commands.map((x) => [x.kind, x.deviceId, x.serialNumber, x.licenseId, x.state])).toEqual([
      ["install", a.id, a.serialNumber, results[0]?.licenseId, "pending"],
      ["install", c.id, c.serialNumber, results[2]?.licenseId, "pending"],
    ]);
    expect(commands[0]?.ruleIds[0]).toBe("LT2");
    expect(commands[0]?.ruleIds.slice(1)).toEqual(results[0]?.decision.because);
  });

  it("LT2: a kept license whose install is pending or delivered queues nothing new", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000002", 2);
    const [a, b] = fleet;
    if (!a || !b) throw new Error("no devices");
    const request = () =>
      requestLicensesFor(deps(), {
        spaceId: space.id,
        adamId,
        requests: forDevices(space.id, adamId, [a.id, b.id]),
        actor: MDM,
      });
    const first = await request();
    expect(first.map((r) => r.installQueued)).toEqual([true, true]);
    const [installA] = await listMdmCommands(db, space.id, { deviceId: a.id });
    if (!installA) throw new Error("no install");
    await settleMdmCommands(db, {
      commands: [installA],
      state: "delivered",
      fromStates: ["pending"],
      now: NOW,
    });
    const again = await request();
    expect(again.map((r) => [r.decision.outcome, r.installQueued])).toEqual([
      ["keep", false],
      ["keep", false],
    ]);
    expect(await listMdmCommands(db, space.id)).toHaveLength(2);
  });

  it("a new install supersedes the device's pending command for the app; other apps and devices are left alone", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000003", 2);
    const [a, b] = fleet;
    if (!a || !b) throw new Error("no devices");
    const remove = (deviceId: string, serialNumber: string, app: string) => ({
      spaceId: space.id,
      kind: "remove" as const,
      deviceId,
      serialNumber,
      adamId: app,
      ruleIds: ["RV3"],
      now: NOW,
    });
    await queueMdmCommands(db, [
      remove(a.id, a.serialNumber, adamId),
      remove(a.id, a.serialNumber, "200000099"),
      remove(b.id, b.serialNumber, adamId),
    ]);
    const [result] = await requestFor(space.id, adamId, [a.id]);
    expect(result?.installQueued).toBe(true);
    const commands = await listMdmCommands(db, space.id);
    expect(commands.map((x) => [x.kind, x.deviceId, x.adamId, x.state, x.lastError])).toEqual([
      ["remove", a.id, adamId, "cancelled", "superseded"],
      ["remove", a.id, "200000099", "pending", undefined],
      ["remove", b.id, adamId, "pending", undefined],
      ["install", a.id, adamId, "pending", undefined],
    ]);
  });

  it("RV2: removes for an app revoked on 10,000 devices queue in one call (past PostgreSQL's 65,535 parameters), superseding each device's pending install", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000014");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const fleet = await devices(db, space.id, 10_000);
    const [first] = fleet;
    if (!first) throw new Error("no devices");
    await requestFor(space.id, adamId, [first.id]);
    await queueMdmCommands(
      db,
      fleet.map((d) => ({
        spaceId: space.id,
        kind: "remove" as const,
        deviceId: d.id,
        serialNumber: d.serialNumber,
        adamId,
        ruleIds: ["RV2", "PB1"],
        now: NOW,
      })),
    );
    const commands = await listMdmCommands(db, space.id, { limit: 20_000 });
    expect(commands).toHaveLength(10_001);
    expect(commands[0]).toMatchObject({ kind: "install", deviceId: first.id, state: "cancelled" });
    expect(commands.slice(1).map((c) => c.deviceId)).toEqual(fleet.map((d) => d.id));
    expect(commands[1]).toMatchObject({ kind: "remove", state: "pending", ruleIds: ["RV2", "PB1"] });
    // Delivered: the claims of the next tests (oldest first, every space) are not this fleet's.
    await settleMdmCommands(db, {
      commands: commands.slice(1),
      state: "delivered",
      fromStates: ["pending"],
      now: NOW,
    });
  });

  it("claims: an install waits for Apple's confirmation, one whose license failed is cancelled, a remove goes at once", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000004", 3);
    const [a, b, c] = fleet;
    if (!a || !b || !c) throw new Error("no devices");
    const [ra, rb] = await requestFor(space.id, adamId, [a.id, b.id]);
    await queueMdmCommands(db, [
      {
        spaceId: space.id,
        kind: "remove",
        deviceId: c.id,
        serialNumber: c.serialNumber,
        adamId,
        ruleIds: ["RV3"],
        now: NOW,
      },
    ]);
    const lease = { limit: 1000, leaseMs: 60_000 };
    // Claims are for every space: other tests' commands are left out of the checks.
    const claim = async (now: Date) =>
      (await claimMdmCommands(db, { now, ...lease })).filter((x) => x.spaceId === space.id);
    const first = await claim(NOW);
    expect(first.map((x) => [x.kind, x.deviceId, x.attempts])).toEqual([["remove", c.id, 1]]);
    // Leased: not claimed again before the lease ends.
    expect(await claim(NOW)).toEqual([]);
    await markAssigned(db, { spaceId: space.id, licenseIds: [ra?.licenseId ?? ""], actor: MDM, now: NOW });
    await failAssignment(db, {
      spaceId: space.id,
      licenseIds: [rb?.licenseId ?? ""],
      reason: "refused",
      actor: MDM,
      now: NOW,
    });
    const second = await claim(NOW);
    expect(second.map((x) => [x.kind, x.deviceId, x.licenseId])).toEqual([["install", a.id, ra?.licenseId]]);
    const later = new Date(NOW.getTime() + 61_000);
    expect((await claim(later)).map((x) => [x.deviceId, x.attempts])).toEqual([
      [a.id, 2],
      [c.id, 2],
    ]);
    const states = await listMdmCommands(db, space.id);
    expect(states.find((x) => x.deviceId === b.id)).toMatchObject({
      state: "cancelled",
      lastError: "license no longer live",
    });
  });

  it("LT2: an install waits out of the poll while its license is pending_assign, and is claimed once Apple confirmed it (markAssigned)", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000011", 1);
    const [a] = fleet;
    if (!a) throw new Error("no devices");
    const [ra] = await requestFor(space.id, adamId, [a.id]);
    expect(await awaitingOf(db, space.id)).toEqual(new Map([[a.id, true]]));
    const claim = async () =>
      (await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 })).filter(
        (x) => x.spaceId === space.id,
      );
    expect(await claim()).toEqual([]);
    await markAssigned(db, { spaceId: space.id, licenseIds: [ra?.licenseId ?? ""], actor: MDM, now: NOW });
    expect(await awaitingOf(db, space.id)).toEqual(new Map([[a.id, false]]));
    expect((await claim()).map((x) => [x.kind, x.deviceId, x.licenseId])).toEqual([
      ["install", a.id, ra?.licenseId],
    ]);
  });

  it("LT2: an install whose pending license Apple refused (failAssignment) or that was released before Apple confirmed it is cancelled at once, for an MDM that polls as for the webhook's claim", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000012", 3);
    const [a, b, c] = fleet;
    if (!a || !b || !c) throw new Error("no devices");
    const [ra, rb] = await requestFor(space.id, adamId, [a.id, b.id, c.id]);
    await failAssignment(db, {
      spaceId: space.id,
      licenseIds: [ra?.licenseId ?? ""],
      reason: "9709",
      actor: MDM,
      now: NOW,
    });
    await releaseLicenses(db, {
      spaceId: space.id,
      licenseIds: [rb?.licenseId ?? ""],
      because: ["RV1"],
      actor: MDM,
      now: NOW,
    });
    expect(await awaitingOf(db, space.id)).toEqual(new Map([[c.id, true]]));
    // Before any claim: an MDM listing its pending commands no longer sees them.
    const states = async () =>
      (await listMdmCommands(db, space.id)).map((x) => [x.deviceId, x.state, x.lastError]);
    const expected = [
      [a.id, "cancelled", "license no longer live"],
      [b.id, "cancelled", "license no longer live"],
      [c.id, "pending", undefined],
    ];
    expect(await states()).toEqual(expected);
    const claimed = await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 });
    expect(claimed.filter((x) => x.spaceId === space.id)).toEqual([]);
    expect(await states()).toEqual(expected);
  });

  it("LT2: an install ready for the MDM (its license assigned) whose license is then released is cancelled at once: an MDM that polls no longer lists it, and its acknowledgement does not mark it delivered", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000017", 1);
    const [a] = fleet;
    if (!a) throw new Error("no devices");
    const [ra] = await requestFor(space.id, adamId, [a.id]);
    const licenseId = ra?.licenseId ?? "";
    await markAssigned(db, { spaceId: space.id, licenseIds: [licenseId], actor: MDM, now: NOW });
    const [install] = await listMdmCommands(db, space.id, { state: "pending" });
    expect(install).toMatchObject({ kind: "install", deviceId: a.id, state: "pending" });
    await releaseLicenses(db, {
      spaceId: space.id,
      licenseIds: [licenseId],
      because: ["RV1"],
      actor: MDM,
      now: NOW,
    });
    expect(await listMdmCommands(db, space.id, { state: "pending" })).toEqual([]);
    await acknowledgeMdmCommands(db, { spaceId: space.id, seqs: [install?.seq ?? 0], now: NOW });
    expect(await listMdmCommands(db, space.id)).toMatchObject([
      { seq: install?.seq, state: "cancelled", lastError: "license no longer live" },
    ]);
  });

  it("LT2: an install queued for a license Apple already confirmed is claimable at once; one for a pending license waits (both ways of queueing)", async () => {
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000013", 2);
    const [a, b] = fleet;
    if (!a || !b) throw new Error("no devices");
    const [ra, rb] = await requestFor(space.id, adamId, [a.id, b.id]);
    const aLicense = ra?.licenseId ?? "";
    const bLicense = rb?.licenseId ?? "";
    await markAssigned(db, { spaceId: space.id, licenseIds: [aLicense], actor: MDM, now: NOW });
    // The MDM refused a's first install for good: a new one may be queued for the same license.
    const [first] = await listMdmCommands(db, space.id, { deviceId: a.id });
    if (!first) throw new Error("no install");
    await settleMdmCommands(db, {
      commands: [first],
      state: "failed",
      fromStates: ["pending"],
      error: "refused",
      now: NOW,
    });
    const queued = await queueInstallsUnlessPresent(db, {
      spaceId: space.id,
      adamId,
      installs: [{ deviceId: a.id, licenseId: aLicense, ruleIds: ["LT2"] }],
      now: NOW,
    });
    expect([...queued]).toEqual([a.id]);
    expect(await awaitingOf(db, space.id)).toEqual(
      new Map([
        [a.id, false],
        [b.id, true],
      ]),
    );
    // DB4's updates go through queueMdmCommands: b's (license pending) supersedes b's install and waits too.
    const update = (deviceId: string, serialNumber: string, licenseId: string) => ({
      spaceId: space.id,
      kind: "install" as const,
      deviceId,
      serialNumber,
      adamId,
      licenseId,
      appVersion: "2.0",
      ruleIds: ["DB4"],
      now: NOW,
    });
    await queueMdmCommands(db, [update(b.id, b.serialNumber, bLicense)]);
    expect(await awaitingOf(db, space.id)).toEqual(
      new Map([
        [a.id, false],
        [b.id, true],
      ]),
    );
    const claimed = await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 });
    expect(claimed.filter((x) => x.spaceId === space.id).map((x) => [x.deviceId, x.licenseId])).toEqual([
      [a.id, aLicense],
    ]);
    await markAssigned(db, { spaceId: space.id, licenseIds: [bLicense], actor: MDM, now: NOW });
    const later = await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 });
    expect(
      later.filter((x) => x.spaceId === space.id).map((x) => [x.deviceId, x.appVersion, x.ruleIds]),
    ).toEqual([[b.id, "2.0", ["DB4"]]]);
  });

  it("LT2: whatever statement moves the license out of pending_assign, its install's mark is cleared (assigned) or the install cancelled (no longer live, or deleted: AC5)", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000014");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const { account: other } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 1 });
    const [a, b, c] = await devices(db, space.id, 3);
    if (!a || !b || !c) throw new Error("no devices");
    const results = await requestFor(space.id, adamId, [a.id, b.id, c.id]);
    const [la, lb, lc] = results.map((r) => r.licenseId ?? "");
    // c's license moves to another account, whose deletion (AC5) then deletes it.
    await db
      .updateTable("licenses")
      .set({ account_id: other.id })
      .where("space_id", "=", space.id)
      .where("id", "=", lc ?? "")
      .execute();
    const set = (licenseId: string | undefined, state: string) =>
      sql`update licenses set state = ${state}, updated_at = now() where space_id = ${space.id} and id = ${licenseId}`.execute(
        db,
      );
    // An update that leaves the license pending_assign keeps the mark (the account move above, too).
    await sql`update licenses set updated_at = now() where space_id = ${space.id} and id = ${la}`.execute(db);
    expect(await awaitingOf(db, space.id)).toEqual(
      new Map([
        [a.id, true],
        [b.id, true],
        [c.id, true],
      ]),
    );
    await set(la, "assigned");
    await set(lb, "released");
    await deleteAccountRows(db, space.id, other.id);
    // Assigned: the mark cleared; released or deleted: cancelled at once, before any claim.
    expect(await awaitingOf(db, space.id)).toEqual(new Map([[a.id, false]]));
    const expected = [
      [a.id, "pending", undefined],
      [b.id, "cancelled", "license no longer live"],
      [c.id, "cancelled", "license no longer live"],
    ];
    const states = async () =>
      (await listMdmCommands(db, space.id)).map((x) => [x.deviceId, x.state, x.lastError]);
    expect(await states()).toEqual(expected);
    const claimed = await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 });
    expect(claimed.filter((x) => x.spaceId === space.id).map((x) => x.deviceId)).toEqual([a.id]);
    expect(await states()).toEqual(expected);
  });

  it("LT2: a license Apple confirms while its install is being queued waits for that commit, so the mark never outlives the pending_assign (FOR SHARE)", async (ctx) => {
    if (database().engine !== "postgres") ctx.skip();
    const { db, space, adamId, fleet } = await withSeatsAndDevices("200000015", 1);
    const [a] = fleet;
    if (!a) throw new Error("no devices");
    const [ra] = await requestFor(space.id, adamId, [a.id]);
    const licenseId = ra?.licenseId ?? "";
    const [first] = await listMdmCommands(db, space.id, { deviceId: a.id });
    if (!first) throw new Error("no install");
    await settleMdmCommands(db, {
      commands: [first],
      state: "failed",
      fromStates: ["pending"],
      error: "refused",
      now: NOW,
    });
    let queued!: () => void;
    const isQueued = new Promise<void>((resolve) => {
      queued = resolve;
    });
    let commit!: () => void;
    const mayCommit = new Promise<void>((resolve) => {
      commit = resolve;
    });
    // A new install is queued for the pending license; its transaction stays open.
    const queueing = db.transaction().execute(async (trx) => {
      await queueInstallsUnlessPresent(trx, {
        spaceId: space.id,
        adamId,
        installs: [{ deviceId: a.id, licenseId, ruleIds: ["LT2"] }],
        now: NOW,
      });
      queued();
      await mayCommit;
    });
    await isQueued;
    // Apple's confirmation meanwhile: it must wait for the queueing transaction's commit.
    const confirming = markAssigned(db, { spaceId: space.id, licenseIds: [licenseId], actor: MDM, now: NOW });
    for (let i = 0; i < 200; i++) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      if ((rows[0]?.n ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    commit();
    await queueing;
    await confirming;
    expect(await awaitingOf(db, space.id)).toEqual(new Map([[a.id, false]]));
  });

  it("claims: workers claiming at the same time never get the same command", async () => {
    const { db } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000005");
    const targets = await devices(db, space.id, 60);
    await queueMdmCommands(
      db,
      targets.map((d) => ({
        spaceId: space.id,
        kind: "remove" as const,
        deviceId: d.id,
        serialNumber: d.serialNumber,
        adamId,
        ruleIds: ["RV3"],
        now: NOW,
      })),
    );
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => claimMdmCommands(db, { now: NOW, limit: 25, leaseMs: 60_000 })),
    );
    const ids = claims
      .flat()
      .filter((x) => x.spaceId === space.id)
      .map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
    const rest = await claimMdmCommands(db, { now: NOW, limit: 1000, leaseMs: 60_000 });
    expect(ids.length + rest.filter((x) => x.spaceId === space.id).length).toBe(60);
  });

  it("DB2, invariant 1: requests for one app that arrive together share a transaction, decided in order of arrival", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000009");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 3 });
    const ds = await devices(db, space.id, 6);
    // A clock that moves on each reading: requests decided apart would be logged apart.
    let tick = 0;
    const ticking = { db, now: () => new Date(NOW.getTime() + 1000 * tick++) };
    const one = (deviceId: string) =>
      requestLicense(ticking, {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId },
        why: "mandatory",
        actor: MDM,
      });
    const results = await Promise.all(ds.map((d) => one(d.id)));
    expect(results.map((r) => r.decision.outcome)).toEqual([
      "grant",
      "grant",
      "grant",
      "wait",
      "wait",
      "wait",
    ]);
    expect(results.map((r) => r.installQueued)).toEqual([true, true, true, false, false, false]);
    // The waiting ones queue in the order they asked (DB2: served in order of request).
    const waiting = await listWaitingRequests(db, space.id, adamId);
    expect(waiting.map((w) => (w.subject.kind === "device" ? w.subject.deviceId : ""))).toEqual(
      ds.slice(3).map((d) => d.id),
    );
    // Shared: the three grants were logged by one transaction, at the latest request's time.
    const granted = await db
      .selectFrom("activity_log")
      .select("at")
      .where("space_id", "=", space.id)
      .where("action", "=", "license.granted")
      .execute();
    expect(granted.map((g) => new Date(g.at).getTime())).toEqual(Array(3).fill(NOW.getTime() + 5000));
  });

  it("DB1: a thousand check-ins for one app arriving together are one Apple call, written with their licenses", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000011");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 1000 });
    const ds = await devices(db, space.id, 1000);
    const results = await Promise.all(
      ds.map((d) =>
        requestLicense(deps(), {
          spaceId: space.id,
          adamId,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
          actor: MDM,
        }),
      ),
    );
    expect(results.every((r) => r.decision.outcome === "grant")).toBe(true);
    // One batch (one transaction) for all of them: one call of 1,000 serials, nothing left
    // in the outbox for the dispatcher to group (two batches of 500 left it all there).
    const calls = await db
      .selectFrom("apple_calls")
      .select(sql<number>`jsonb_array_length(ops)`.as("ops"))
      .where("space_id", "=", space.id)
      .where("kind", "=", "associate")
      .execute();
    expect(calls.map((c) => Number(c.ops))).toEqual([1000]);
    const outbox = await db
      .selectFrom("outbox")
      .select(sql<number>`count(*)`.as("n"))
      .where("space_id", "=", space.id)
      .executeTakeFirstOrThrow();
    expect(Number(outbox.n)).toBe(0);
  });

  it("a request that fails does not fail the others decided with it", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000010");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
    const [a, b] = await devices(db, space.id, 2);
    if (!a || !b) throw new Error("no devices");
    const one = (deviceId: string) =>
      requestLicense(deps(), {
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId },
        why: "mandatory",
        actor: MDM,
      });
    const settled = await Promise.allSettled([one(a.id), one("no-such-device"), one(b.id)]);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(settled[1]?.status === "rejected" && String(settled[1].reason)).toMatch(/device/);
    expect(settled.flatMap((s) => (s.status === "fulfilled" ? [s.value.decision.outcome] : []))).toEqual([
      "grant",
      "grant",
    ]);
  });
});

describeEachDatabase("the MDM delivery poll", (database) => {
  it("LT2: a poll does not read the installs waiting for Apple: 2,000 waiting and one deliverable, a handful of rows read", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000016");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2001 });
    const targets = await devices(db, space.id, 2001);
    const results = await requestLicensesFor(
      { db, now: () => NOW },
      {
        spaceId: space.id,
        adamId,
        requests: targets.map((d) => ({
          spaceId: space.id,
          adamId,
          subject: { kind: "device" as const, deviceId: d.id },
          why: "mandatory" as const,
        })),
        actor: MDM,
      },
    );
    const deliverable = results[1000]?.licenseId ?? "";
    await markAssigned(db, { spaceId: space.id, licenseIds: [deliverable], actor: MDM, now: NOW });
    await sql`analyze mdm_commands`.execute(db);
    await sql`analyze licenses`.execute(db);
    // Rows of mdm_commands read so far by this transaction (fetched by scans, before any filter).
    const readSoFar = async (trx: Db) => {
      const { rows } = await sql<{
        n: number;
      }>`select (coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::int as n
        from pg_stat_xact_user_tables where relname = 'mdm_commands'`.execute(trx);
      return rows[0]?.n ?? 0;
    };
    const { claimed, read, counted } = await withTransaction(db, async (trx) => {
      const before = await readSoFar(trx);
      const claimed = await claimMdmCommands(trx, { now: NOW, limit: 200, leaseMs: 60_000 });
      const read = (await readSoFar(trx)) - before;
      // The same counter sees the waiting installs when a statement does read them.
      await sql`select count(*) from mdm_commands where state = 'pending'`.execute(trx);
      return { claimed, read, counted: (await readSoFar(trx)) - before - read };
    });
    expect(claimed.map((x) => x.licenseId)).toEqual([deliverable]);
    expect(counted).toBeGreaterThanOrEqual(2000);
    expect(read).toBeLessThan(10);
  });
});
