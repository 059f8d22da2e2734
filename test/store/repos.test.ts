import { expect, it } from "vitest";
import {
  type AppleCall,
  claimCalls,
  formCalls,
  lockPendingOps,
  settleCallOps,
} from "../../src/store/apple-calls.repo.js";
import {
  acknowledgeNotification,
  appendOutbox,
  clearNotifications,
  createSpace,
  expireGrace,
  getLicense,
  insertLicenses,
  listActivity,
  listNotifications,
  notificationMessage,
  raiseNotification,
  withTransaction,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const later = (ms: number) => new Date(NOW.getTime() + ms);

describeEachDatabase("outbox, notifications, grace", (database) => {
  it("invariant 3: operations move into calls once; calls are leases; concurrent workers never take the same operation; settled ones are not taken again", async () => {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 });
    const ids = { spaceId: space.id, accountId: account.id };
    await appendOutbox(
      db,
      Array.from({ length: 6 }, (_, i) => ({
        ...ids,
        kind: "associate" as const,
        adamId,
        serialNumber: `S${i}`,
        now: NOW,
      })),
    );
    const form = (workerId: string, now: Date) =>
      withTransaction(db, async (trx) => {
        const ops = await lockPendingOps(trx, { ...ids, now, limit: 4 });
        const calls = ops.length > 0 ? [{ kind: "associate" as const, assets: [{ adamId }], ops }] : [];
        return formCalls(trx, { ...ids, calls, workerId, now, leaseMs: 60_000 });
      });
    const claim = (workerId: string, now: Date) =>
      claimCalls(db, { state: "sending", workerId, now, leaseMs: 60_000, limit: 10 });
    const seqsOf = (calls: readonly AppleCall[]) => calls.flatMap((c) => c.ops.map((o) => o.seq)).sort();
    const [a, b] = await Promise.all([form("a", NOW), form("b", NOW)]);
    expect(seqsOf([...a, ...b])).toHaveLength(6);
    expect(new Set(seqsOf([...a, ...b])).size).toBe(6);
    expect(await form("c", later(1000))).toEqual([]); // nothing left in the outbox
    expect(await claim("c", later(1000))).toEqual([]); // every call leased
    for (const call of a) {
      await withTransaction(db, (trx) =>
        settleCallOps(trx, call, {
          done: call.ops.map((o) => o.seq),
          failed: new Map(),
          resend: { seqs: [], notBefore: NOW, error: "" },
          now: later(2000),
        }),
      );
    }
    const expired = await claim("d", later(120_000)); // b's lease ran out, a's operations are done
    expect(seqsOf(expired)).toEqual(seqsOf(b));
    const holders = await db
      .selectFrom("apple_calls")
      .select("claimed_by")
      .where("space_id", "=", space.id)
      .execute();
    expect(holders.map((h) => h.claimed_by)).toEqual(b.map(() => "d"));
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
        message: notificationMessage("usage.reached", { app: "Pages", account: "Main", percent: threshold }),
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
