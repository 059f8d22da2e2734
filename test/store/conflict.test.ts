import pg from "pg";
import { describe, expect, it } from "vitest";
import { claimCalls } from "../../src/store/apple-calls.repo.js";
import {
  activityMessage,
  countSeatsHeld,
  getAsset,
  listActivity,
  listOutbox,
  markAssigned,
  openDatabase,
  requestLicenses,
  type Store,
} from "../../src/store/index.js";
import {
  deleteAccountRows,
  endLicensesOfAccount,
  markAccountDeleting,
} from "../../src/store/sync-account-data.repo.js";
import { TEST_DATABASE_URL, TEST_SECRET_KEY } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

/**
 * A live license written by another path (an import of Apple's assignments, say) while an
 * allocation is deciding: PostgreSQL only, PGlite has one session and cannot interleave.
 */
describe.skipIf(!TEST_DATABASE_URL)("requestLicenses against a concurrent writer [postgres]", () => {
  it("invariant 2: a live license committed by another path mid-allocation rolls back cleanly and ends as keep", async () => {
    await withConcurrentWriter(async ({ db, keys }, other) => {
      const { space, adamId } = await spaceWithApp(db);
      const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
      const [device] = await devices(db, space.id, 1);
      // Another writer (an import, say) inserts a live license and keeps its transaction open.
      await other.query("BEGIN");
      await other.query(
        `INSERT INTO licenses (space_id, id, account_id, adam_id, type, device_id, state)
         VALUES ($1, 'their-license', $2, $3, 'device', $4, 'assigned')`,
        [space.id, account.id, adamId, device?.id],
      );
      const allocation = requestLicenses(db, {
        spaceId: space.id,
        adamId,
        requests: [
          {
            spaceId: space.id,
            adamId,
            subject: { kind: "device", deviceId: device?.id ?? "" },
            why: "mandatory",
          },
        ],
        actor: SYSTEM,
        now: NOW,
      });
      // The allocation decided a grant from its snapshot and now waits on the unique index.
      await untilWaitingOnLock(other);
      await other.query("COMMIT");
      const [result] = await allocation;
      expect(result?.decision).toMatchObject({ outcome: "keep", licenseId: "their-license" });
      expect(await countSeatsHeld(db, space.id, adamId)).toEqual(new Map([[account.id, 1]]));
      expect((await getAsset(db, space.id, account.id, adamId)).used).toBe(0); // the import did not count it: no grant either
      expect(await listOutbox(db, { spaceId: space.id, kind: "associate" })).toEqual([]);
      // Nor an Apple call (device grants are written as theirs).
      expect(
        await db.selectFrom("apple_calls").select("id").where("space_id", "=", space.id).execute(),
      ).toEqual([]);
    });
  });
});

describe.skipIf(!TEST_DATABASE_URL)(
  "ending an account's licenses against a concurrent grant [postgres]",
  () => {
    it("invariant 3: AC2's clearing waits for a grant in progress, and ends its license with the others", async () => {
      await withConcurrentWriter(async ({ db, keys }, grant) => {
        const { space, adamId } = await spaceWithApp(db);
        const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
        const [device] = await devices(db, space.id, 1);
        await grantInProgress(grant, { spaceId: space.id, accountId: account.id, adamId, device });
        const clearing = endLicensesOfAccount(db, {
          spaceId: space.id,
          accountId: account.id,
          actor: SYSTEM,
          now: NOW,
          action: "license.released",
          ruleIds: ["AC2"],
          message: activityMessage("license.cleared_other_location"),
        });
        await untilWaitingOnLock(grant);
        await grant.query("COMMIT");
        expect(await clearing).toBe(1);
        // Ended with the others: not left pending with its Apple operation gone.
        const { rows } = await grant.query(
          "SELECT state FROM licenses WHERE space_id = $1 AND id = 'granted-meanwhile'",
          [space.id],
        );
        expect(rows).toEqual([{ state: "released" }]);
        expect(await listOutbox(db, { spaceId: space.id, state: "pending" })).toEqual([]);
      });
    });
  },
);

describe.skipIf(!TEST_DATABASE_URL)(
  "deleting an account's rows against a concurrent grant [postgres]",
  () => {
    it("AC5, invariant 3: a grant that read the account before the deletion's mark is waited for, and its license returned for release at Apple", async () => {
      await withConcurrentWriter(async ({ db, keys }, grant) => {
        const { space, adamId } = await spaceWithApp(db);
        const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
        const [device] = await devices(db, space.id, 1);
        await grantInProgress(grant, { spaceId: space.id, accountId: account.id, adamId, device });
        const deleting = deleteAccountRows(db, space.id, account.id);
        await untilWaitingOnLock(grant);
        await grant.query("COMMIT");
        // Returned with the others: deleteAccount releases it at Apple too.
        expect((await deleting).map((l) => l.id)).toEqual(["granted-meanwhile"]);
        const { rows } = await grant.query("SELECT count(*)::int AS n FROM outbox WHERE space_id = $1", [
          space.id,
        ]);
        expect(rows).toEqual([{ n: 0 }]);
      });
    });
  },
);

describe.skipIf(!TEST_DATABASE_URL)("Apple's confirmation against a concurrent writer [postgres]", () => {
  it("invariant 3: a license another transaction rewrote after it was read is confirmed all the same, once", async () => {
    await withConcurrentWriter(async ({ db, keys }, other) => {
      const { space, adamId } = await spaceWithApp(db);
      const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
      const fleet = await devices(db, space.id, 3);
      const ids = await deviceLicenses(db, {
        spaceId: space.id,
        accountId: account.id,
        adamId,
        devices: fleet,
        state: "pending_assign",
      });
      // Another path rewrites one of them (not its state) and keeps its transaction open:
      // the confirmation reads the old version, then waits for it, then finds it moved.
      await other.query("BEGIN");
      await other.query("UPDATE licenses SET updated_at = now() WHERE space_id = $1 AND id = $2", [
        space.id,
        ids[1],
      ]);
      const confirming = markAssigned(db, { spaceId: space.id, licenseIds: ids, actor: SYSTEM, now: NOW });
      await untilWaitingOnLock(other);
      await other.query("COMMIT");
      expect((await confirming).map((l) => l.id).sort()).toEqual([...ids].sort());
      const { rows } = await other.query("SELECT id, state FROM licenses WHERE space_id = $1 ORDER BY id", [
        space.id,
      ]);
      expect(rows.every((r: { state: string }) => r.state === "assigned")).toBe(true);
      const log = await listActivity(db, space.id, { action: "license.assigned" });
      expect(log.map((l) => l.licenseId).sort()).toEqual([...ids].sort());
    });
  });
});

describe.skipIf(!TEST_DATABASE_URL)("an account's deletion against workers [postgres]", () => {
  it("AC5: while a deletion marks the account, claims skip its calls; a claim under way holds the mark back", async () => {
    await withConcurrentWriter(async ({ db, keys }, other) => {
      const { space, adamId } = await spaceWithApp(db);
      const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 5 });
      await db
        .insertInto("apple_calls")
        .values({
          space_id: space.id,
          id: "written-by-a-grant",
          account_id: account.id,
          kind: "associate",
          assets: JSON.stringify([{ adamId }]),
          ops: JSON.stringify([
            { seq: 1, adamId, serialNumber: "SER1", attempts: 0, createdAt: NOW.toISOString() },
          ]),
          state: "sending",
        })
        .execute();
      const claim = () =>
        claimCalls(db, { state: "sending", workerId: "w", now: NOW, leaseMs: 60_000, limit: 10 });
      // The mark in progress (markAccountDeleting locks the row first): nothing is claimed.
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM accounts WHERE space_id = $1 AND id = $2 FOR UPDATE", [
        space.id,
        account.id,
      ]);
      expect(await claim()).toEqual([]);
      await other.query("ROLLBACK");
      // A claim in progress (its account row shared): the mark waits for it to commit.
      await other.query("BEGIN");
      await other.query("SELECT 1 FROM accounts WHERE space_id = $1 AND id = $2 FOR KEY SHARE", [
        space.id,
        account.id,
      ]);
      const marking = markAccountDeleting(db, space.id, account.id, NOW);
      await untilWaitingOnLock(other);
      await other.query("COMMIT");
      expect((await marking)?.health).toBe("ok");
      expect(await claim()).toEqual([]);
    });
  });
});

/**
 * A grant of the account in progress on `grant`: the asset locked, as allocation locks it,
 * and the license with its Apple operation written, not committed yet.
 */
async function grantInProgress(
  grant: pg.Client,
  input: {
    spaceId: string;
    accountId: string;
    adamId: string;
    device?: { id: string; serialNumber: string };
  },
): Promise<void> {
  const { spaceId, accountId, adamId, device } = input;
  await grant.query("BEGIN");
  await grant.query(
    "SELECT 1 FROM assets WHERE space_id = $1 AND account_id = $2 AND adam_id = $3 FOR NO KEY UPDATE",
    [spaceId, accountId, adamId],
  );
  await grant.query(
    `INSERT INTO licenses (space_id, id, account_id, adam_id, type, device_id, state)
     VALUES ($1, 'granted-meanwhile', $2, $3, 'device', $4, 'pending_assign')`,
    [spaceId, accountId, adamId, device?.id],
  );
  await grant.query(
    `INSERT INTO outbox (space_id, account_id, kind, adam_id, serial_number, license_id)
     VALUES ($1, $2, 'associate', $3, $4, 'granted-meanwhile')`,
    [spaceId, accountId, adamId, device?.serialNumber],
  );
}

/**
 * A store on the test server and a second connection to it (the concurrent writer): `body`
 * runs with both; the writer's open transaction is rolled back and everything closed after.
 */
async function withConcurrentWriter(body: (store: Store, other: pg.Client) => Promise<void>): Promise<void> {
  const store = await openDatabase({
    databaseUrl: TEST_DATABASE_URL,
    memory: true,
    secretKey: TEST_SECRET_KEY,
  });
  const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await other.connect();
  try {
    await body(store, other);
  } finally {
    await other.query("ROLLBACK").catch(() => {});
    await other.end();
    await store.close();
  }
}

/**
 * Until a session of the test database waits on a lock, polled every 5 ms for up to 10 s
 * (the store opens pool connections first).
 */
async function untilWaitingOnLock(other: pg.Client): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    // Inside a transaction pg_stat_activity is a snapshot taken at its first read: clear it.
    await other.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await other.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
    );
    if (rows[0]?.n > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("no session ever waited on a lock");
}
