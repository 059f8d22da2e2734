import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import {
  type AppleCall,
  accountsWithDueOps,
  formCalls,
  lockPendingOps,
  postponeCall,
  recordCallSent,
  settleCallOps,
} from "../../src/store/apple-calls.repo.js";
import {
  type AccountAppleWork,
  appendOutbox,
  appleWorkOfAccount,
  appleWorkOfSpace,
  createAccount,
  createDevice,
  createSpace,
  createUser,
  type Db,
  type OutboxEntry,
  type OutboxKind,
  setAccountHealth,
  withTransaction,
} from "../../src/store/index.js";
import { finishOutbox } from "../../src/store/sync-outbox.repo.js";
import { describeEachDatabase } from "./databases.js";
import { NOW, spaceWithApp } from "./fixtures.js";

const at = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);

/** What a dispatcher does: the account's due operations become calls (one per kind), claimed. */
async function moveToCalls(db: Db, spaceId: string, accountId: string, now: Date): Promise<AppleCall[]> {
  return withTransaction(db, async (trx) => {
    const ops = await lockPendingOps(trx, { spaceId, accountId, now, limit: 10_000 });
    const kinds = [...new Set(ops.map((o) => o.kind))];
    return formCalls(trx, {
      spaceId,
      accountId,
      calls: kinds.map((kind) => ({
        kind,
        assets: [],
        ops: ops.filter((o) => o.kind === kind),
      })),
      workerId: "test-worker",
      now,
      leaseMs: 60_000,
    });
  });
}

/** Invariant 3, as the administrator sees it: every operation not done is in exactly one place. */
const visible = (w: AccountAppleWork) => w.pending.total + w.inFlight.operations + w.failures.total;

describeEachDatabase("Apple work (what accounts still owe Apple)", (database) => {
  async function setUp() {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db);
    const account = await createAccount(db, keys, { spaceId: space.id, displayName: "Main", sToken: "t" });
    const entry = (kind: OutboxKind, subject: string, minutes: number, extra: Partial<OutboxEntry> = {}) =>
      ({
        spaceId: space.id,
        accountId: account.id,
        kind,
        adamId,
        pricingParam: "STDQ",
        ...(subject.startsWith("SER") ? { serialNumber: subject } : { clientUserId: subject }),
        now: at(minutes),
        ...extra,
      }) satisfies OutboxEntry;
    return { db, keys, space, adamId, account, entry };
  }

  it("an account with no work: nothing pending, nothing in flight, no failure", async () => {
    const { db, space, account } = await setUp();
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
    expect(work).toMatchObject({
      accountId: account.id,
      displayName: "Main",
      health: "ok",
      paused: false,
      pending: { total: 0, byKind: [], waitingRetry: 0 },
      inFlight: { calls: 0, operations: 0, items: [] },
      failures: { total: 0, items: [] },
    });
    expect(work?.pending.oldestCreatedAt).toBeUndefined();
    expect(JSON.stringify(work)).not.toMatch(/stoken/i); // invariant 5: never the token
  });

  it("pending operations by kind, the oldest one's age, and those waiting for a retry with the latest reason", async () => {
    const { db, space, account, entry } = await setUp();
    await appendOutbox(db, [
      entry("associate", "SER1", -30),
      entry("associate", "SER2", -20),
      entry("associate", "SER3", -10),
      entry("disassociate", "SER4", -45),
      entry("create_user", "c-1", -5, { adamId: undefined, pricingParam: undefined }),
    ]);
    const all = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
    const seqs = (
      await withTransaction(db, (trx) =>
        lockPendingOps(trx, { spaceId: space.id, accountId: account.id, now: NOW, limit: 100 }),
      )
    ).map((o) => o.seq);
    // Two put off by the dispatcher, at different times and for different reasons.
    await finishOutbox(db, {
      spaceId: space.id,
      seqs: [seqs[0] ?? 0],
      state: "pending",
      error: "Apple asked to try again",
      notBefore: at(5),
      now: at(-2),
    });
    await finishOutbox(db, {
      spaceId: space.id,
      seqs: [seqs[3] ?? 0],
      state: "pending",
      error: "waiting for the association to finish",
      notBefore: at(3),
      now: at(-1),
    });
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
    expect(all?.pending.total).toBe(5);
    expect(work?.pending.total).toBe(5);
    expect(work?.pending.byKind).toEqual([
      { kind: "associate", count: 3, waitingRetry: 1, oldestCreatedAt: at(-30) },
      { kind: "disassociate", count: 1, waitingRetry: 1, oldestCreatedAt: at(-45) },
      { kind: "create_user", count: 1, waitingRetry: 0, oldestCreatedAt: at(-5) },
    ]);
    expect(work?.pending.oldestCreatedAt).toEqual(at(-45));
    expect(work?.pending.waitingRetry).toBe(2);
    expect(work?.pending.nextRetryAt).toEqual(at(3));
    expect(work?.pending.lastRetryReason).toBe("waiting for the association to finish");
    expect(work?.pending.lastRetryAt).toEqual(at(-1));
    // Once the retry time has passed they are plain pending work again.
    const later = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: at(10) });
    expect(later?.pending.waitingRetry).toBe(0);
    expect(later?.pending.lastRetryReason).toBeUndefined();
  });

  it("calls in flight: kind, operations, state, event id, sent at, attempts, last error", async () => {
    const { db, space, account, entry } = await setUp();
    await appendOutbox(db, [
      entry("associate", "SER1", -3),
      entry("associate", "SER2", -3),
      entry("revoke", "c-9", -2, { adamId: undefined, pricingParam: undefined }),
    ]);
    const calls = await moveToCalls(db, space.id, account.id, NOW);
    const associate = calls.find((c) => c.kind === "associate");
    const revoke = calls.find((c) => c.kind === "revoke");
    if (!associate || !revoke) throw new Error("calls not formed");
    await recordCallSent(db, {
      spaceId: space.id,
      workerId: "test-worker",
      id: associate.id,
      eventId: "evt-1",
      now: at(1),
      nextLookAt: at(2),
      leaseUntil: at(2),
    });
    await postponeCall(db, {
      spaceId: space.id,
      id: revoke.id,
      state: "sending",
      notBefore: at(6),
      error: "9603 Apple internal error",
      now: at(1),
    });
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: at(1) });
    expect(work?.pending.total).toBe(0);
    expect(work?.inFlight.calls).toBe(2);
    expect(work?.inFlight.operations).toBe(3);
    const byKind = new Map(work?.inFlight.items.map((c) => [c.kind, c]));
    expect(byKind.get("associate")).toMatchObject({
      id: associate.id,
      operations: 2,
      state: "sent",
      eventId: "evt-1",
      sentAt: at(1),
      attempts: 0,
      notBefore: at(2),
    });
    expect(byKind.get("associate")?.lastError).toBeUndefined();
    expect(byKind.get("revoke")).toMatchObject({
      operations: 1,
      state: "sending",
      attempts: 1,
      lastError: "9603 Apple internal error",
      notBefore: at(6),
    });
    expect(byKind.get("revoke")?.eventId).toBeUndefined();
    // The list is limited; the totals are not.
    const one = await appleWorkOfAccount(db, {
      spaceId: space.id,
      accountId: account.id,
      now: at(1),
      callLimit: 1,
    });
    expect(one?.inFlight).toMatchObject({ calls: 2, operations: 3 });
    expect(one?.inFlight.items).toHaveLength(1);
    const none = await appleWorkOfAccount(db, {
      spaceId: space.id,
      accountId: account.id,
      now: at(1),
      callLimit: 0,
    });
    expect(none?.inFlight).toEqual({ calls: 2, operations: 3, items: [] });
  });

  it("recent failures: newest first, limited, with the app, the device or user, the reason and the event", async () => {
    const { db, space, account, entry } = await setUp();
    const user = await createUser(db, {
      spaceId: space.id,
      name: "Ada Lovelace",
      appleClientUserId: "c-ada",
    });
    const device = await createDevice(db, { spaceId: space.id, serialNumber: "SERDEV1", platform: "iOS" });
    await appendOutbox(db, [
      entry("associate", "SERDEV1", -10),
      entry("associate", "c-ada", -9),
      entry("disassociate", "SERX0", -8),
      entry("disassociate", "SERX1", -8),
    ]);
    const calls = await moveToCalls(db, space.id, account.id, NOW);
    expect(await moveToCalls(db, space.id, account.id, NOW)).toHaveLength(0);
    const all = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
    expect(all?.inFlight).toMatchObject({ calls: 2, operations: 4 });
    const assoc = calls.find((c) => c.kind === "associate");
    const release = calls.find((c) => c.kind === "disassociate");
    const assocSeqs = assoc?.ops.map((o) => o.seq) ?? [];
    const releaseSeqs = release?.ops.map((o) => o.seq) ?? [];
    await recordCallSent(db, {
      spaceId: space.id,
      workerId: "test-worker",
      id: assoc?.id ?? "",
      eventId: "evt-assoc",
      now: at(1),
      nextLookAt: at(2),
      leaseUntil: at(2),
    });
    await withTransaction(db, (trx) =>
      settleCallOps(
        trx,
        { spaceId: space.id, id: assoc?.id ?? "" },
        {
          done: [],
          failed: new Map([
            ["9709 not enough licenses", [assocSeqs[0] ?? 0]],
            ["9632 user not associated", [assocSeqs[1] ?? 0]],
          ]),
          resend: { seqs: [], notBefore: at(5), error: "" },
          now: at(3),
        },
      ),
    );
    await withTransaction(db, (trx) =>
      settleCallOps(
        trx,
        { spaceId: space.id, id: release?.id ?? "" },
        {
          done: [releaseSeqs[0] ?? 0],
          failed: new Map([["9610 invalid serial number", [releaseSeqs[1] ?? 0]]]),
          resend: { seqs: [], notBefore: at(5), error: "" },
          now: at(4),
        },
      ),
    );
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: at(5) });
    expect(work?.inFlight.calls).toBe(0);
    expect(work?.failures.total).toBe(3);
    const [newest, second, third] = work?.failures.items ?? [];
    expect(newest).toMatchObject({
      kind: "disassociate",
      serialNumber: "SERX1",
      lastError: "9610 invalid serial number",
      failedAt: at(4),
    });
    expect(newest?.deviceId).toBeUndefined(); // no such device in Orchard
    // The two associations failed at the same time: the newer operation first.
    expect(second).toMatchObject({
      kind: "associate",
      appName: "Pages",
      clientUserId: "c-ada",
      userId: user.id,
      userName: "Ada Lovelace",
      lastError: "9632 user not associated",
      eventId: "evt-assoc",
      failedAt: at(3),
    });
    expect(third).toMatchObject({
      kind: "associate",
      adamId: expect.any(String),
      serialNumber: "SERDEV1",
      deviceId: device.id,
      lastError: "9709 not enough licenses",
    });
    const limited = await appleWorkOfAccount(db, {
      spaceId: space.id,
      accountId: account.id,
      now: at(5),
      failureLimit: 1,
    });
    expect(limited?.failures.total).toBe(3);
    expect(limited?.failures.items.map((f) => f.serialNumber)).toEqual(["SERX1"]);
  });

  it("a failure logged under a serial's spelling from before 0026 names its device, in any case; of two devices differing only in case, the one sent that spelling", async () => {
    const { db, space, account, entry } = await setUp();
    // As 0026 leaves a legacy device: upper-cased, Apple's spelling kept.
    const legacy = await createDevice(db, {
      spaceId: space.id,
      serialNumber: "SERLEG1",
      appleSerialNumber: "serleg1",
      platform: "iOS",
    });
    // A pair 0026 could not upper-case (both spellings existed): left as they were, written
    // as before it (creating a device now refuses a serial taken in another case).
    const beforeMigration = async (serial: string, minutes: number) => {
      const id = randomUUID();
      const created = at(minutes);
      await db
        .insertInto("devices")
        .values({
          space_id: space.id,
          id,
          serial_number: serial,
          platform: "iOS",
          created_at: created,
          updated_at: created,
        })
        .execute();
      return { id };
    };
    const older = await beforeMigration("serpair", -60);
    const newer = await beforeMigration("SERpair", -30);
    await appendOutbox(db, [
      entry("associate", "SERLEG1", -10, { serialNumber: "serleg1" }),
      entry("associate", "SERPAIR", -9, { serialNumber: "SERpair" }),
      entry("associate", "SERPAIR", -8, { serialNumber: "SERPAIR" }),
      entry("associate", "SERNONE", -7, { serialNumber: "sernone" }),
    ]);
    const ops = await withTransaction(db, (trx) =>
      lockPendingOps(trx, { spaceId: space.id, accountId: account.id, now: NOW, limit: 100 }),
    );
    await finishOutbox(db, {
      spaceId: space.id,
      seqs: ops.map((o) => o.seq),
      state: "failed",
      error: "9610 invalid serial number",
      now: at(1),
    });
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: at(2) });
    const named = Object.fromEntries(
      (work?.failures.items ?? []).map((f) => [f.serialNumber, f.deviceId ?? "none"]),
    );
    expect(named).toEqual({
      serleg1: legacy.id,
      SERpair: newer.id,
      // No device spelled so: the oldest of those differing only in case, as serial lookups choose.
      SERPAIR: older.id,
      sernone: "none",
    });
    expect(work?.failures.total).toBe(4);
  });

  it("invariant 3: an operation is visible in exactly one place (pending, in flight, failed) until it is done", async () => {
    const { db, space, account, entry } = await setUp();
    const written = 12;
    await appendOutbox(
      db,
      Array.from({ length: written }, (_, i) =>
        entry(i % 3 === 0 ? "disassociate" : "associate", `SER${i}`, -i),
      ),
    );
    const read = async (now = NOW) =>
      (await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now })) as AccountAppleWork;
    expect(visible(await read())).toBe(written);
    const calls = await moveToCalls(db, space.id, account.id, NOW);
    let w = await read();
    expect([w.pending.total, w.inFlight.operations, w.failures.total]).toEqual([0, written, 0]);
    let done = 0;
    for (const call of calls) {
      const [first, second, third, ...rest] = call.ops.map((o) => o.seq);
      await withTransaction(db, (trx) =>
        settleCallOps(trx, call, {
          done: [first ?? 0],
          failed: new Map([["9610 refused", [second ?? 0]]]),
          resend: { seqs: [third ?? 0], notBefore: at(5), error: "Apple asked to try again" },
          now: at(1),
        }),
      );
      done += 1;
      w = await read(at(1));
      expect(visible(w)).toBe(written - done);
      void rest;
    }
    expect(w.pending).toMatchObject({ total: calls.length, waitingRetry: calls.length });
    expect(w.pending.lastRetryReason).toBe("Apple asked to try again");
    expect(w.failures.total).toBe(calls.length);
  });

  it("invariant 3 under a concurrent dispatcher: each read is one snapshot, nothing counted twice or missed", async () => {
    const { db, space, account, entry } = await setUp();
    const written = 40;
    await appendOutbox(
      db,
      Array.from({ length: written }, (_, i) => entry("associate", `SERC${i}`, -1)),
    );
    let stop = false;
    const dispatcher = (async () => {
      // Operations go into calls and come back (Apple asked to retry), again and again.
      for (let round = 0; round < 15 && !stop; round++) {
        const calls = await moveToCalls(db, space.id, account.id, at(10));
        for (const call of calls) {
          await withTransaction(db, (trx) =>
            settleCallOps(trx, call, {
              done: [],
              failed: new Map(),
              resend: { seqs: call.ops.map((o) => o.seq), notBefore: at(1), error: "retry" },
              now: NOW,
            }),
          );
        }
      }
    })();
    const seen: number[] = [];
    const reader = (async () => {
      for (let i = 0; i < 30; i++) {
        const w = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
        if (w) seen.push(visible(w));
      }
    })();
    await reader;
    stop = true;
    await dispatcher;
    expect(seen.length).toBe(30);
    expect(new Set(seen)).toEqual(new Set([written]));
  });

  it("NT2: an account with a token problem is paused; its work stays visible and the dispatcher skips it", async () => {
    const { db, space, account, entry } = await setUp();
    await appendOutbox(db, [entry("associate", "SERP1", -60), entry("associate", "SERP2", -30)]);
    const due = async () =>
      (await accountsWithDueOps(db, NOW, 1_000)).some((a) => a.accountId === account.id);
    expect(await due()).toBe(true);
    await setAccountHealth(db, space.id, account.id, "expired", NOW);
    const work = await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW });
    expect(work).toMatchObject({ health: "expired", paused: true, pending: { total: 2 } });
    expect(work?.pending.oldestCreatedAt).toEqual(at(-60));
    expect(await due()).toBe(false);
    await setAccountHealth(db, space.id, account.id, "ok", NOW);
    expect(
      (await appleWorkOfAccount(db, { spaceId: space.id, accountId: account.id, now: NOW }))?.paused,
    ).toBe(false);
  });

  it("accounts with due work come oldest work first; an operation told to wait is not due until then", async () => {
    const { db, keys, space, account, entry } = await setUp();
    const second = await createAccount(db, keys, { spaceId: space.id, displayName: "Second", sToken: "t" });
    const mine = async (now: Date) =>
      (await accountsWithDueOps(db, now, 1_000))
        .map((a) => a.accountId)
        .filter((id) => id === account.id || id === second.id);
    await appendOutbox(db, [{ ...entry("associate", "SERQ2", -90), accountId: second.id }]);
    await appendOutbox(db, [entry("associate", "SERQ1", -60)]);
    expect(await mine(NOW)).toEqual([second.id, account.id]); // the second's work was written first
    // The second account's only operation is retried in ten minutes (Apple asked to wait).
    const { seq } = await db
      .selectFrom("outbox")
      .select("seq")
      .where("account_id", "=", second.id)
      .executeTakeFirstOrThrow();
    await finishOutbox(db, {
      spaceId: space.id,
      seqs: [Number(seq)],
      state: "pending",
      notBefore: at(10),
      now: NOW,
    });
    expect(await mine(NOW)).toEqual([account.id]);
    expect(await mine(at(11))).toEqual([second.id, account.id]);
  });

  it("per account of a space, in priority order; never another space's work (invariant 6)", async () => {
    const { db, keys, space, account, entry } = await setUp();
    const second = await createAccount(db, keys, { spaceId: space.id, displayName: "Second", sToken: "t" });
    const other = await createSpace(db, { name: "other" });
    const otherAccount = await createAccount(db, keys, { spaceId: other.id, displayName: "X", sToken: "t" });
    await appendOutbox(db, [
      entry("associate", "SERA", -1),
      entry("associate", "SERB", -1, { accountId: second.id }),
      entry("associate", "SERB2", -1, { accountId: second.id }),
      entry("associate", "SERZ", -1, { spaceId: other.id, accountId: otherAccount.id }),
    ]);
    const all = await appleWorkOfSpace(db, { spaceId: space.id, now: NOW });
    expect(all.map((w) => [w.displayName, w.pending.total])).toEqual([
      ["Main", 1],
      ["Second", 2],
    ]);
    expect(
      await appleWorkOfAccount(db, { spaceId: space.id, accountId: otherAccount.id, now: NOW }),
    ).toBeUndefined();
    expect(
      await appleWorkOfAccount(db, { spaceId: other.id, accountId: account.id, now: NOW }),
    ).toBeUndefined();
  });
});
