import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { listOutsideAssignments, releaseOutsideAssignments } from "../../src/service/outside-assignments.js";
import { previewReleaseAll, releaseAllOutside } from "../../src/service/outside-release-all.js";
import { reviveDevice } from "../../src/store/device-revival.repo.js";
import { updateUser } from "../../src/store/directory.repo.js";
import {
  createDevices,
  createUser,
  type Db,
  type DeviceRecord,
  findAsset,
  listActivity,
  listLicensesForApp,
  listOutbox,
  setAppRules,
  setDeviceStatus,
} from "../../src/store/index.js";
import {
  appendOutside,
  listOutsidePage,
  outsideSnapshotOf,
} from "../../src/store/outside-assignments.repo.js";
import { OutsideWalk } from "../../src/sync/adopt.js";
import { addAccount, resyncAccount, syncAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, newAdamId, revokeOnIos, spaceWithApps } from "./fixtures.js";
import { appleSubjects, drain, type Harness, startHarness } from "./harness.js";

/**
 * AC7: assignments Apple holds that Orchard did not make (a previous MDM's) become Orchard's
 * licenses when they name a device (serial number, any case) or a user (clientUserId) of
 * the space, at the first import (AC1, AC6) and at each full resync (AC3); the others stay
 * outside Orchard, listed, and an administrator may release them at Apple.
 */
describeEachDatabase("adopting assignments made outside Orchard", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = (): Db => tdb().store.db;
  const serial = (prefix: string) => `${prefix}${randomUUID().slice(0, 8).toUpperCase()}`;

  /** A location with one app, as another MDM left it: `serials` and `clientUserIds` hold licenses. */
  async function previousMdmLocation(input: {
    total: number;
    serials?: string[];
    clientUserIds?: string[];
    adamId?: string;
  }) {
    const adamId = input.adamId ?? newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: input.total, supportedPlatforms: ["iOS"] });
    const apple = h.deps.apple.forToken(loc.sToken);
    const clientUserIds = input.clientUserIds ?? [];
    if (clientUserIds.length > 0) {
      await apple.createUsers(clientUserIds.map((clientUserId) => ({ clientUserId })));
      await h.sim.operator.idle();
    }
    await apple.associate({ assets: [{ adamId }], serialNumbers: input.serials ?? [], clientUserIds });
    await h.sim.operator.idle();
    return { adamId, loc, apple };
  }

  const licensesOf = async (spaceId: string, adamId: string) =>
    (await listLicensesForApp(db(), spaceId, adamId)).filter((l) => l.state === "assigned");

  it("AC1, AC7: the first import adopts a previous MDM's assignments of the space's devices (serial in any case) and users (clientUserId); the others stay outside", async () => {
    const [d1, d2, gone] = [serial("A"), serial("B"), serial("Z")];
    const clientUserId = `jamf-${randomUUID()}`;
    // The previous MDM spelled one serial number in lower case.
    const { adamId, loc } = await previousMdmLocation({
      total: 5,
      serials: [d1, d2.toLowerCase(), gone],
      clientUserIds: [clientUserId],
    });
    const space = await spaceWithApps(db(), [adamId]);
    const devices = await createDevices(db(), [
      { spaceId: space.id, serialNumber: d1, platform: "iOS", supervised: true },
      { spaceId: space.id, serialNumber: d2, platform: "iOS", supervised: true },
    ]);
    const user = await createUser(db(), { spaceId: space.id, name: "Ada", appleClientUserId: clientUserId });

    const { account, sync } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Taken over",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(sync?.assignments).toMatchObject({ atApple: 4, adopted: 3, outside: 1 });

    const licenses = await licensesOf(space.id, adamId);
    expect(licenses.map((l) => [l.type, l.deviceId ?? l.userId]).sort()).toEqual(
      [
        ["device", devices[0]?.id],
        ["device", devices[1]?.id],
        ["user", user.id],
      ].sort(),
    );
    for (const l of licenses) {
      expect(l.accountId).toBe(account.id);
      expect(l.ruleIds).toEqual(expect.arrayContaining(["AC7", "LT1"]));
    }
    // Invariant 1: the seats are Apple's count: 3 held by Orchard, 1 outside, of 5.
    expect(await findAsset(db(), space.id, account.id, adamId)).toMatchObject({ used: 4, total: 5 });
    // Invariant 4: each adopted license has its line, Apple's, and the sync a summary.
    const lines = await listActivity(db(), space.id, { action: "license.adopted" });
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.actor).toEqual({ kind: "apple" });
      expect(line.ruleIds).toContain("AC7");
      expect(line.messageKey).toBe("license.adopted");
    }
    const summary = await listActivity(db(), space.id, { action: "account.adopted" });
    expect(summary[0]?.message).toBe(
      "3 assignments made outside Orchard adopted as licenses (0 of them prohibited)",
    );
    // Apple knows d2 in lower case: Orchard keeps that spelling for its later releases.
    const d2Row = await db()
      .selectFrom("devices")
      .select(["serial_number", "apple_serial_number"])
      .where("space_id", "=", space.id)
      .where("id", "=", devices[1]?.id ?? "")
      .executeTakeFirstOrThrow();
    expect(d2Row).toEqual({ serial_number: d2, apple_serial_number: d2.toLowerCase() });

    // The one that names nobody is listed as outside.
    const listed = await listOutsideAssignments(db(), {
      spaceId: space.id,
      accountId: account.id,
      page: 1,
      pageSize: 50,
    });
    expect(listed.total).toBe(1);
    expect(listed.items).toEqual([
      expect.objectContaining({ adamId, pricingParam: "STDQ", serialNumber: gone, status: "unmatched" }),
    ]);

    // A second resync finds them Orchard's: nothing adopted twice (invariant 2), counts unchanged.
    const again = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(again.assignments).toMatchObject({ atApple: 4, adopted: 0, outside: 1, vanished: 0 });
    expect(await licensesOf(space.id, adamId)).toHaveLength(3);
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(4);

    // A release of an adopted license reaches Apple under the spelling Apple knows.
    const adoptedD2 = licenses.find((l) => l.deviceId === devices[1]?.id);
    await revokeOnIos(db(), space.id, [adoptedD2?.id ?? ""]);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(
      [`s:${d1}`, `s:${gone}`, `u:${clientUserId}`].sort(),
    );
  });

  it("AC3, AC7, DB2: devices that waited with no_license while Apple held their licenses keep them once a sync adopts them", async () => {
    const adamId = newAdamId();
    const { loc, apple } = await previousMdmLocation({
      adamId,
      total: 2,
      serials: [serial("O"), serial("O")],
    });
    const old = appleSubjects(h.sim, loc.uId, adamId).map((s) => s.slice(2));
    const space = await spaceWithApps(db(), [adamId]);
    const { account, sync } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Full",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(sync?.assignments).toMatchObject({ adopted: 0, outside: 2 });
    // The devices enroll: the location is full, they wait (DB2); nothing is listed for them.
    const serials = [serial("W"), serial("W")];
    const devices = await createDevices(
      db(),
      serials.map((serialNumber) => ({
        spaceId: space.id,
        serialNumber,
        platform: "iOS" as const,
        supervised: true,
      })),
    );
    expect(await checkIn(db(), space.id, adamId, devices)).toBe(0);
    const waiting = () =>
      db()
        .selectFrom("license_queue")
        .select(["device_id", "reason"])
        .where("space_id", "=", space.id)
        .where("adam_id", "=", adamId)
        .execute();
    expect(await waiting()).toHaveLength(2);
    expect((await waiting())[0]?.reason).toBe("no_license");
    // The other tool moves both licenses to them at Apple.
    await apple.disassociate({ assets: [{ adamId }], serialNumbers: old });
    await apple.associate({ assets: [{ adamId }], serialNumbers: serials });
    await h.sim.operator.idle();

    const summary = await syncAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      mode: "incremental",
      actor: ADMIN,
    });
    expect(summary.assignments).toMatchObject({ adopted: 2, outside: 0 });
    expect((await licensesOf(space.id, adamId)).map((l) => l.deviceId).sort()).toEqual(
      devices.map((d) => d.id).sort(),
    );
    expect(await waiting()).toEqual([]);
    // Invariant 1: never more held than Apple's total.
    expect(await findAsset(db(), space.id, account.id, adamId)).toMatchObject({ used: 2, total: 2 });
    // The full resync drops the old assignments an incremental read cannot see go.
    const full = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(full.assignments).toMatchObject({ atApple: 2, adopted: 0, outside: 0 });
    expect(
      (await listOutsidePage(db(), { spaceId: space.id, accountId: account.id, page: 1, pageSize: 10 }))
        .total,
    ).toBe(0);
    expect(await findAsset(db(), space.id, account.id, adamId)).toMatchObject({ used: 2, total: 2 });
    // Nothing was sent to Apple: Apple already held them.
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(serials.map((s) => `s:${s}`).sort());
  });

  it("AC3, AC7: a walk's pages are written while the next is read, and a walk that stops leaves none behind, even with a write on its way", async () => {
    const { adamId, loc } = await previousMdmLocation({ total: 3, serials: [serial("WALK")] });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Walked",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const before = await outsideSnapshotOf(db(), space.id, account.id);
    const page = (prefix: string) =>
      Array.from({ length: 50 }, () => ({ adamId, pricingParam: "STDQ", serialNumber: serial(prefix) }));
    /** The generations of the list's rows holding `pages`' subjects, one per subject. */
    const stored = async (pages: ReadonlyArray<ReadonlyArray<{ serialNumber: string }>>) => {
      const serials = new Set(pages.flat().map((a) => a.serialNumber));
      const rows = await db()
        .selectFrom("outside_assignments")
        .select(["generation", "subjects"])
        .where("account_id", "=", account.id)
        .execute();
      return rows.flatMap((r) => r.subjects.filter((x) => serials.has(x)).map(() => Number(r.generation)));
    };
    // Stopped with its last page's write still running: the discard waits for it, then removes all.
    const stopped = await OutsideWalk.start(h.deps, account, new Date());
    const stopPages = [page("STOP"), page("STOP")];
    for (const p of stopPages) await stopped.add(p);
    await stopped.discard();
    expect(await stored(stopPages)).toEqual([]);
    expect(await outsideSnapshotOf(db(), space.id, account.id)).toEqual(before);
    // Completed: every page is in the list, which becomes the account's.
    const done = await OutsideWalk.start(h.deps, account, new Date());
    const donePages = [page("DONE"), page("DONE")];
    for (const p of donePages) await done.add(p);
    const found = await done.complete();
    expect(found.outside.get(adamId)).toBe(100);
    const generation = (await outsideSnapshotOf(db(), space.id, account.id))?.generation;
    expect(await stored(donePages)).toEqual(Array.from({ length: 100 }, () => generation));
  });

  it("AC7, invariant 2: a subject holding the app from another account gets no second license; its assignment stays outside, and a retired device's too", async () => {
    const adamId = newAdamId();
    const first = h.newLocation();
    h.sim.operator.addAsset(first.uId, { adamId, totalCount: 3, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId]);
    await addAccount(h.deps, { spaceId: space.id, name: "First", sTokenFile: first.sToken, actor: ADMIN });
    const devices = await createDevices(db(), [
      { spaceId: space.id, serialNumber: serial("H"), platform: "iOS", supervised: true },
      { spaceId: space.id, serialNumber: serial("R"), platform: "iOS", supervised: true },
    ]);
    const [holder, retired] = devices as [DeviceRecord, DeviceRecord];
    expect(await checkIn(db(), space.id, adamId, [holder])).toBe(1);
    await drain(h);
    await setDeviceStatus(db(), space.id, retired.id, "retired", new Date());
    // The second location (another MDM's) holds the app for both devices too.
    const { loc } = await previousMdmLocation({
      adamId,
      total: 4,
      serials: [holder.serialNumber, retired.serialNumber],
    });
    const second = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Second",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(second.sync?.assignments).toMatchObject({ adopted: 0, outside: 2 });
    const live = (await listLicensesForApp(db(), space.id, adamId)).filter((l) => l.state === "assigned");
    expect(live.map((l) => l.deviceId)).toEqual([holder.id]);
    const listed = await listOutsideAssignments(db(), {
      spaceId: space.id,
      accountId: second.account.id,
      page: 1,
      pageSize: 10,
    });
    const statusOf = (id: string) => listed.items.find((i) => i.device?.id === id)?.status;
    expect(statusOf(holder.id)).toBe("holds_license");
    expect(statusOf(retired.id)).toBe("device_not_active");
  });

  it("AC7, invariant 1: never more licenses than Apple's total: an association of Orchard's still on its way keeps its seat, and the rest is adopted once Apple refused it", async () => {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 2, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Racing",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const devices = await createDevices(
      db(),
      [serial("P"), serial("Q"), serial("S")].map((serialNumber) => ({
        spaceId: space.id,
        serialNumber,
        platform: "iOS" as const,
        supervised: true,
      })),
    );
    const [mine, a, b] = devices as [DeviceRecord, DeviceRecord, DeviceRecord];
    // Orchard grants a seat (not sent yet) while another tool takes both seats at Apple.
    expect(await checkIn(db(), space.id, adamId, [mine])).toBe(1);
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: [a.serialNumber, b.serialNumber] });
    await h.sim.operator.idle();
    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ adopted: 1, outside: 1 });
    const holding = (await listLicensesForApp(db(), space.id, adamId)).filter((l) =>
      ["pending_assign", "assigned", "pending_release"].includes(l.state),
    );
    expect(holding).toHaveLength(2);
    // Apple refuses Orchard's association (9709): its seat is back; the next resync adopts the other.
    await drain(h);
    expect(
      (await listLicensesForApp(db(), space.id, adamId)).find((l) => l.deviceId === mine.id)?.state,
    ).toBe("released");
    const next = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(next.assignments).toMatchObject({ adopted: 1, outside: 0 });
    const assigned = (await listLicensesForApp(db(), space.id, adamId)).filter((l) => l.state === "assigned");
    expect(assigned.map((l) => l.deviceId).sort()).toEqual([a.id, b.id].sort());
    expect(await findAsset(db(), space.id, account.id, adamId)).toMatchObject({ used: 2, total: 2 });
  });

  it("AC7, DI4, DI6: a prohibited user's assignment is adopted and its line says to revoke it; a reserved device's uses its reservation", async () => {
    const [reservedSerial] = [serial("V")];
    const clientUserId = `prev-${randomUUID()}`;
    const { adamId, loc } = await previousMdmLocation({
      total: 3,
      serials: [reservedSerial],
      clientUserIds: [clientUserId],
    });
    const space = await spaceWithApps(db(), [adamId]);
    const user = await createUser(db(), {
      spaceId: space.id,
      name: "Barred",
      appleClientUserId: clientUserId,
    });
    const [device] = await createDevices(db(), [
      { spaceId: space.id, serialNumber: reservedSerial, platform: "iOS", supervised: true },
    ]);
    // The rules exist before the first import: the account is added without its apps, then synced.
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Ruled",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const adopted = await listLicensesForApp(db(), space.id, adamId);
    await revokeOnIos(
      db(),
      space.id,
      adopted.map((l) => l.id),
    );
    await drain(h);
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: [reservedSerial], clientUserIds: [clientUserId] });
    await h.sim.operator.idle();
    await setAppRules(
      db(),
      {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        reservedUserIds: [],
        reservedDeviceIds: [device?.id ?? ""],
        prohibitedUserIds: [user.id],
      },
      ADMIN,
      new Date(),
    );
    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ adopted: 2, adoptedProhibited: 1 });
    const live = (await listLicensesForApp(db(), space.id, adamId)).filter((l) => l.state === "assigned");
    const ofUser = live.find((l) => l.userId === user.id);
    const ofDevice = live.find((l) => l.deviceId === device?.id);
    expect(ofUser?.ruleIds).toEqual(expect.arrayContaining(["AC7", "DI4"]));
    expect(ofDevice).toMatchObject({ reserved: true });
    expect(ofDevice?.ruleIds).toContain("DI6");
    const [line] = await listActivity(db(), space.id, { licenseId: ofUser?.id ?? "" });
    expect(line?.messageKey).toBe("license.adopted_prohibited");
    expect(line?.message).toContain("revoke the license");
    const [sum] = await listActivity(db(), space.id, { action: "account.adopted" });
    expect(sum?.message).toContain("(1 of them prohibited)");
  });

  it("AC6, AC7: taking a location over from another MDM adopts its assignments of the space's devices", async () => {
    const d = serial("T");
    const { adamId, loc } = await previousMdmLocation({ total: 2, serials: [d] });
    h.sim.operator.claimByOtherMdm(loc.uId, { id: "other-mdm", name: "Other MDM", metadata: "x" });
    const space = await spaceWithApps(db(), [adamId]);
    const [device] = await createDevices(db(), [
      { spaceId: space.id, serialNumber: d, platform: "iOS", supervised: true },
    ]);
    const { sync } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Taken",
      sTokenFile: loc.sToken,
      takeOver: true,
      actor: ADMIN,
    });
    expect(sync?.assignments).toMatchObject({ adopted: 1, outside: 0 });
    const [license] = await licensesOf(space.id, adamId);
    expect(license).toMatchObject({ type: "device", deviceId: device?.id, state: "assigned" });
  });

  it("AC7: an administrator's release of an outside assignment reaches Apple through the outbox; the seat comes back, the list and the log say so; a refusal is kept with Apple's reason", async () => {
    const [kept, freed, refused] = [serial("K"), serial("F"), serial("X")];
    const { adamId, loc } = await previousMdmLocation({ total: 3, serials: [kept, freed, refused] });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Cleanup",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(3);
    const release = (serials: string[]) =>
      releaseOutsideAssignments(db(), {
        spaceId: space.id,
        accountId: account.id,
        assignments: serials.map((serialNumber) => ({ adamId, serialNumber })),
        actor: ADMIN,
        now: new Date(),
      });
    h.sim.operator.failSubjects({
      endpoint: "/assets/disassociate",
      errorNumber: 9610,
      serialNumbers: [refused],
    });
    try {
      // A serial number typed in lower case names the same assignment; one never listed is said so.
      const first = await release([freed.toLowerCase(), refused, "NOT-LISTED"]);
      expect(first.requested.map((a) => a.serialNumber).sort()).toEqual([freed, refused].sort());
      expect(first.notListed).toEqual([{ adamId, serialNumber: "NOT-LISTED" }]);
      // Asked again before Apple answered: not queued twice.
      const again = await release([freed]);
      expect(again).toMatchObject({ requested: [], alreadyReleasing: [{ serialNumber: freed }] });
      const listed = await listOutsideAssignments(db(), {
        spaceId: space.id,
        accountId: account.id,
        page: 1,
        pageSize: 10,
      });
      expect(listed.items.find((i) => i.serialNumber === freed)?.release?.state).toBe("pending");
      await drain(h);
    } finally {
      h.sim.operator.clearFaults();
    }
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual([`s:${kept}`, `s:${refused}`].sort());
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(2);
    const listed = await listOutsideAssignments(db(), {
      spaceId: space.id,
      accountId: account.id,
      page: 1,
      pageSize: 10,
    });
    expect(listed.total).toBe(2);
    expect(listed.items.map((i) => i.serialNumber).sort()).toEqual([kept, refused].sort());
    const refusedItem = listed.items.find((i) => i.serialNumber === refused);
    expect(refusedItem?.release).toMatchObject({ state: "failed" });
    expect(refusedItem?.release?.error).toContain("9610");
    const requestedLines = await listActivity(db(), space.id, { action: "outside.release_requested" });
    expect(requestedLines).toHaveLength(2);
    expect(requestedLines[0]).toMatchObject({
      actor: ADMIN,
      accountId: account.id,
      adamId,
      ruleIds: ["AC7"],
    });
    const released = await listActivity(db(), space.id, { action: "outside.released" });
    expect(released.map((l) => l.message)).toEqual([
      `assignment made outside Orchard (${freed}): released at Apple`,
    ]);
    const failed = await listActivity(db(), space.id, { action: "outside.release_failed" });
    expect(failed[0]?.message).toContain(`(${refused}): Apple refused to release it: 9610`);
    // Confirmed once, counted once: the next resync agrees with the counts.
    const summary = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(summary.assignments).toMatchObject({ atApple: 2, outside: 2, adopted: 0 });
    expect((await findAsset(db(), space.id, account.id, adamId))?.used).toBe(2);
  });
  const usedOf = async (spaceId: string, accountId: string, adamId: string) =>
    (await findAsset(db(), spaceId, accountId, adamId))?.used;
  const listedTotal = async (spaceId: string, accountId: string) =>
    (await listOutsidePage(db(), { spaceId, accountId, page: 1, pageSize: 50 })).total;

  it("AC7: an incremental sync adopts what another tool assigned at Apple to a device of the space and lists what names nobody, once each; used counts each seat once", async () => {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: 4, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId]);
    const [device] = (await createDevices(db(), [
      { spaceId: space.id, serialNumber: serial("I"), platform: "iOS", supervised: true },
    ])) as [DeviceRecord];
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Delta",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    // After the import, another tool assigns the device (spelled lower-case) and a serial Orchard does not know.
    const gone = serial("G");
    await h.deps.apple
      .forToken(loc.sToken)
      .associate({ assets: [{ adamId }], serialNumbers: [device.serialNumber.toLowerCase(), gone] });
    await h.sim.operator.idle();
    const incremental = () =>
      syncAccount(h.deps, { spaceId: space.id, accountId: account.id, mode: "incremental", actor: ADMIN });

    const first = await incremental();
    expect(first.mode).toBe("incremental");
    expect(first.assignments).toMatchObject({ atApple: 2, adopted: 1, outside: 1 });
    const [license, ...none] = await licensesOf(space.id, adamId);
    expect(none).toEqual([]);
    expect(license).toMatchObject({ type: "device", deviceId: device.id, accountId: account.id });
    expect(license?.ruleIds).toEqual(expect.arrayContaining(["AC7", "LT1"]));
    const [summary] = await listActivity(db(), space.id, { action: "account.adopted" });
    expect(summary).toMatchObject({ actor: { kind: "apple" }, accountId: account.id, ruleIds: ["AC7"] });
    const listed = await listOutsidePage(db(), {
      spaceId: space.id,
      accountId: account.id,
      page: 1,
      pageSize: 10,
    });
    expect(listed.items).toEqual([{ adamId, pricingParam: "STDQ", serialNumber: gone }]);
    // One seat each: the adopted license and the one outside, of 4.
    expect(await usedOf(space.id, account.id, adamId)).toBe(2);

    // The next incremental sync, and a delta that names them again, change nothing.
    expect((await incremental()).assignments).toMatchObject({ adopted: 0 });
    await h.deps.apple.forToken(loc.sToken).associate({ assets: [{ adamId }], serialNumbers: [gone] });
    await h.sim.operator.idle();
    await incremental();
    expect(await licensesOf(space.id, adamId)).toHaveLength(1);
    expect(await listedTotal(space.id, account.id)).toBe(1);
    expect(await usedOf(space.id, account.id, adamId)).toBe(2);
    // The full resync agrees: nothing adopted twice, nothing vanished.
    const full = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(full.assignments).toMatchObject({ atApple: 2, adopted: 0, outside: 1, vanished: 0 });
    expect(await usedOf(space.id, account.id, adamId)).toBe(2);
  });

  it("AC7: a device created, a device enrolled again and a user given their clientUserId adopt at once the outside assignment listed for them; logged; each seat counted once", async () => {
    const [fresh, back] = [serial("N"), serial("B")];
    const clientUserId = `jamf-${randomUUID()}`;
    const { adamId, loc } = await previousMdmLocation({
      total: 5,
      serials: [fresh.toLowerCase(), back],
      clientUserIds: [clientUserId],
    });
    const space = await spaceWithApps(db(), [adamId]);
    const [retired] = (await createDevices(db(), [
      { spaceId: space.id, serialNumber: back, platform: "iOS", supervised: true, status: "retired" },
    ])) as [DeviceRecord];
    const user = await createUser(db(), { spaceId: space.id, name: "Grace" });
    const { account, sync } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Later",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(sync?.assignments).toMatchObject({ adopted: 0, outside: 3 });
    expect(await usedOf(space.id, account.id, adamId)).toBe(3);

    // A device enrolled in Orchard afterwards, its serial number in another case than Apple's.
    const [device] = (await createDevices(db(), [
      { spaceId: space.id, serialNumber: fresh, platform: "iOS", supervised: true },
    ])) as [DeviceRecord];
    expect((await licensesOf(space.id, adamId)).map((l) => l.deviceId)).toEqual([device.id]);
    expect(await listedTotal(space.id, account.id)).toBe(2);
    expect(await usedOf(space.id, account.id, adamId)).toBe(3);
    const [line] = await listActivity(db(), space.id, { action: "license.adopted" });
    expect(line).toMatchObject({
      actor: { kind: "apple" },
      deviceId: device.id,
      accountId: account.id,
      messageKey: "license.adopted",
    });
    expect(line?.ruleIds).toContain("AC7");

    // The retired device enrolled again; the user given the id the previous MDM registered.
    await reviveDevice(db(), {
      spaceId: space.id,
      deviceId: retired.id,
      how: "enrolled",
      actor: ADMIN,
      now: new Date(),
    });
    await updateUser(db(), space.id, user.id, { clientUserId }, new Date());
    expect((await licensesOf(space.id, adamId)).map((l) => [l.type, l.deviceId ?? l.userId]).sort()).toEqual(
      [
        ["device", device.id],
        ["device", retired.id],
        ["user", user.id],
      ].sort(),
    );
    expect(await listedTotal(space.id, account.id)).toBe(0);
    expect(await usedOf(space.id, account.id, adamId)).toBe(3);
    expect(await listActivity(db(), space.id, { action: "license.adopted" })).toHaveLength(3);
    // The next full resync finds them Orchard's: nothing adopted twice, the counts unchanged.
    const again = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(again.assignments).toMatchObject({ atApple: 3, adopted: 0, outside: 0, vanished: 0 });
    expect(await usedOf(space.id, account.id, adamId)).toBe(3);
    // Nothing was sent to Apple: it already held them.
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId).sort()).toEqual(
      [`s:${fresh.toLowerCase()}`, `s:${back}`, `u:${clientUserId}`].sort(),
    );
  });

  it("AC7: release all releases the account's whole list at Apple in one request, checked against the previewed count and fingerprint; never one Orchard holds; sent again it queues nothing twice; used follows Apple once", async () => {
    const gone = [serial("R"), serial("R"), serial("R")];
    const clientUserId = `gone-${randomUUID()}`;
    const { adamId, loc } = await previousMdmLocation({
      total: 6,
      serials: gone,
      clientUserIds: [clientUserId],
    });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Sweep",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    // A device Orchard gives the app; the list still names it (as if read before: Orchard's now).
    const [mine] = (await createDevices(db(), [
      { spaceId: space.id, serialNumber: serial("M"), platform: "iOS", supervised: true },
    ])) as [DeviceRecord];
    expect(await checkIn(db(), space.id, adamId, [mine])).toBe(1);
    await drain(h);
    await appendOutside(db(), {
      spaceId: space.id,
      accountId: account.id,
      assignments: [{ adamId, pricingParam: "STDQ", serialNumber: mine.serialNumber }],
    });
    expect(await usedOf(space.id, account.id, adamId)).toBe(5);
    const ids = { spaceId: space.id, accountId: account.id };
    const preview = await previewReleaseAll(db(), ids);
    expect(preview).toMatchObject({ count: 5 });
    expect(preview.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(await previewReleaseAll(db(), { ...ids, adamId: newAdamId() })).toMatchObject({ count: 0 });
    const releaseAll = (expected: number, fingerprint: string) =>
      releaseAllOutside(db(), { ...ids, expect: expected, fingerprint, actor: ADMIN, now: new Date() });
    const disassociations = () => listOutbox(db(), { spaceId: space.id, kind: "disassociate" });

    // Not what the preview showed: nothing queued.
    await expect(releaseAll(4, preview.fingerprint)).rejects.toMatchObject({
      name: "OutsideListChangedError",
      change: "count",
      count: 5,
    });
    await expect(releaseAll(5, "0".repeat(64))).rejects.toMatchObject({ change: "set" });
    expect(await disassociations()).toEqual([]);

    expect(await releaseAll(5, preview.fingerprint)).toMatchObject({
      count: 5,
      requested: 4,
      alreadyReleasing: 0,
      heldByOrchard: 1,
    });
    // Sent again before Apple answered (a retry): nothing queued twice.
    expect(await releaseAll(5, preview.fingerprint)).toMatchObject({ requested: 0, alreadyReleasing: 4 });
    expect((await disassociations()).map((o) => o.serialNumber ?? o.clientUserId).sort()).toEqual(
      [...gone, clientUserId].sort(),
    );
    const lines = await listActivity(db(), space.id, { action: "outside.release_requested" });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      actor: ADMIN,
      accountId: account.id,
      ruleIds: ["AC7"],
      messageKey: "outside.release_all_queued",
      message: "release of every assignment made outside Orchard: 4 queued for Apple, 0 already on their way",
    });
    // Until Apple confirms, the seats stay used.
    expect(await usedOf(space.id, account.id, adamId)).toBe(5);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toEqual([`s:${mine.serialNumber}`]);
    expect((await licensesOf(space.id, adamId)).map((l) => l.deviceId)).toEqual([mine.id]);
    expect(await usedOf(space.id, account.id, adamId)).toBe(1);
    expect(await listActivity(db(), space.id, { action: "outside.released" })).toHaveLength(4);
    // The list changed since that preview: refused.
    await expect(releaseAll(5, preview.fingerprint)).rejects.toMatchObject({ change: "count", count: 1 });
    const again = await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect(again.assignments).toMatchObject({ atApple: 1, outside: 0 });
    expect(await listedTotal(space.id, account.id)).toBe(0);
    expect(await usedOf(space.id, account.id, adamId)).toBe(1);
  });
});
