import { expect, it } from "vitest";
import {
  acknowledgeNotification,
  appendOutbox,
  claimOutbox,
  clearNotifications,
  createSpace,
  expireGrace,
  getLicense,
  insertLicenses,
  listActivity,
  listNotifications,
  listOutbox,
  raiseNotification,
  settleOutbox,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const later = (ms: number) => new Date(NOW.getTime() + ms);

describeEachDatabase("outbox, notifications, grace", (database) => {
  it("outbox: claims are leases; concurrent claimers never get the same entry; settled entries are not claimed again", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    await appendOutbox(
      db,
      Array.from({ length: 6 }, (_, i) => ({
        spaceId: space.id,
        accountId: account.id,
        kind: "associate" as const,
        adamId,
        serialNumber: `S${i}`,
        now: NOW,
      })),
    );
    const claim = (workerId: string, now: Date) =>
      claimOutbox(db, { workerId, limit: 4, now, leaseMs: 60_000 });
    const [a, b] = await Promise.all([claim("a", NOW), claim("b", NOW)]);
    const seqs = [...(a ?? []), ...(b ?? [])].map((o) => o.seq);
    expect(new Set(seqs).size).toBe(6);
    expect((await claim("c", later(1000))).length).toBe(0); // all leased
    await settleOutbox(db, {
      spaceId: space.id,
      seqs: (a ?? []).map((o) => o.seq),
      state: "done",
      now: later(2000),
    });
    const expired = await claim("d", later(120_000)); // b's lease ran out, a's entries are done
    expect(expired.map((o) => o.seq).sort()).toEqual((b ?? []).map((o) => o.seq).sort());
    expect(expired.every((o) => o.attempts === 2 && o.claimedBy === "d")).toBe(true);
    expect((await listOutbox(db, { spaceId: space.id, state: "done" })).length).toBe((a ?? []).length);
  });

  it("NT1: a threshold notification is raised once while open, again after it was cleared", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const raise = (threshold: number, now: Date) =>
      raiseNotification(db, {
        spaceId: space.id,
        kind: "license_usage",
        severity: threshold >= 90 ? "alert" : threshold >= 70 ? "warning" : "info",
        component: "Apps and Books",
        title: `License usage at ${threshold} %`,
        details: { used: threshold / 10, total: 10 },
        accountId: account.id,
        adamId,
        threshold,
        now,
      });
    expect(await raise(50, NOW)).toMatchObject({
      threshold: 50,
      severity: "info",
      details: { used: 5, total: 10 },
    });
    expect(await raise(50, later(1))).toBeUndefined();
    const seventy = await raise(70, later(2));
    expect((await listNotifications(db, space.id, { open: true })).length).toBe(2);
    await acknowledgeNotification(db, space.id, seventy?.id ?? "", later(3));
    expect(
      await clearNotifications(db, {
        spaceId: space.id,
        kind: "license_usage",
        accountId: account.id,
        adamId,
        now: later(4),
      }),
    ).toBe(2);
    expect(await listNotifications(db, space.id, { open: true })).toEqual([]);
    expect(await raise(50, later(5))).toBeDefined();
    const other = await createSpace(db, { name: "other" });
    await expect(acknowledgeNotification(db, other.id, seventy?.id ?? "", later(6))).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("RV3: licenses in grace are released when the 30 days are over, and the log says so", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const [d1, d2] = await devices(db, space.id, 2);
    const row = {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      type: "device" as const,
      state: "in_grace" as const,
      now: NOW,
    };
    const [ending, later30] = await insertLicenses(db, [
      { ...row, deviceId: d1?.id },
      { ...row, deviceId: d2?.id },
    ]);
    await db
      .updateTable("licenses")
      .set({ grace_until: later(1000) })
      .where("id", "=", ending ?? "")
      .execute();
    await db
      .updateTable("licenses")
      .set({ grace_until: later(86_400_000) })
      .where("id", "=", later30 ?? "")
      .execute();
    expect(await expireGrace(db, { now: later(2000), actor: SYSTEM })).toBe(1);
    expect((await getLicense(db, space.id, ending ?? "")).state).toBe("released");
    expect((await getLicense(db, space.id, later30 ?? "")).state).toBe("in_grace");
    const [log] = await listActivity(db, space.id, { licenseId: ending ?? "" });
    expect(log).toMatchObject({ action: "license.grace_ended", ruleIds: ["RV3"] });
  });
});
