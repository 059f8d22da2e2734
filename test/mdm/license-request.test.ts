import { expect, it } from "vitest";
import type { LicenseRequest } from "../../src/licensing/index.js";
import { requestLicense, requestLicensesFor } from "../../src/mdm/index.js";
import {
  failAssignment,
  listWaitingRequests,
  markAssigned,
  replaceInstalledApps,
} from "../../src/store/index.js";
import {
  claimMdmCommands,
  listMdmCommands,
  queueMdmCommands,
  settleMdmCommands,
} from "../../src/store/mdm-command.repo.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW, spaceWithApp } from "../store/fixtures.js";

const MDM = { kind: "mdm" } as const;

/**
 * LT2 for a batch of license requests: the install checks of every device and the
 * install commands are one statement in the allocation's transaction (issue 5); what
 * they decide is unchanged.
 */
describeEachDatabase("license requests and their installs", (database) => {
  const deps = () => ({ db: database().store.db, now: () => NOW });
  const forDevices = (spaceId: string, adamId: string, ids: readonly string[]): LicenseRequest[] =>
    ids.map((deviceId) => ({ spaceId, adamId, subject: { kind: "device", deviceId }, why: "mandatory" }));

  it("LT2: one install per granted device, none for a device that has the app, one for a device listed twice", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000001");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [a, b, c] = await devices(db, space.id, 3);
    if (!a || !b || !c) throw new Error("no devices");
    await replaceInstalledApps(db, space.id, b.id, [{ bundleId: "com.example.app", adamId }], NOW);
    const results = await requestLicensesFor(deps(), {
      spaceId: space.id,
      adamId,
      requests: forDevices(space.id, adamId, [a.id, b.id, c.id, c.id]),
      actor: MDM,
    });
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
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000002");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [a, b] = await devices(db, space.id, 2);
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
    await settleMdmCommands(db, { commands: [installA], state: "delivered", now: NOW });
    const again = await request();
    expect(again.map((r) => [r.decision.outcome, r.installQueued])).toEqual([
      ["keep", false],
      ["keep", false],
    ]);
    expect(await listMdmCommands(db, space.id)).toHaveLength(2);
  });

  it("a new install supersedes the device's pending command for the app; other apps and devices are left alone", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000003");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [a, b] = await devices(db, space.id, 2);
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
    const [result] = await requestLicensesFor(deps(), {
      spaceId: space.id,
      adamId,
      requests: forDevices(space.id, adamId, [a.id]),
      actor: MDM,
    });
    expect(result?.installQueued).toBe(true);
    const commands = await listMdmCommands(db, space.id);
    expect(commands.map((x) => [x.kind, x.deviceId, x.adamId, x.state, x.lastError])).toEqual([
      ["remove", a.id, adamId, "cancelled", "superseded"],
      ["remove", a.id, "200000099", "pending", undefined],
      ["remove", b.id, adamId, "pending", undefined],
      ["install", a.id, adamId, "pending", undefined],
    ]);
  });

  it("claims: an install waits for Apple's confirmation, one whose license failed is cancelled, a remove goes at once", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, "200000004");
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [a, b, c] = await devices(db, space.id, 3);
    if (!a || !b || !c) throw new Error("no devices");
    const [ra, rb] = await requestLicensesFor(deps(), {
      spaceId: space.id,
      adamId,
      requests: forDevices(space.id, adamId, [a.id, b.id]),
      actor: MDM,
    });
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
