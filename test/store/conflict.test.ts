import pg from "pg";
import { describe, expect, it } from "vitest";
import {
  countSeatsHeld,
  getAsset,
  listOutbox,
  openDatabase,
  requestLicenses,
} from "../../src/store/index.js";
import { TEST_DATABASE_URL, TEST_SECRET_KEY } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

/**
 * A live license written by another path (an import of Apple's assignments, say) while an
 * allocation is deciding: PostgreSQL only, PGlite has one session and cannot interleave.
 */
describe.skipIf(!TEST_DATABASE_URL)("requestLicenses against a concurrent writer [postgres]", () => {
  it("invariant 2: a live license committed by another path mid-allocation rolls back cleanly and ends as keep", async () => {
    const { db, keys, close } = await openDatabase({
      databaseUrl: TEST_DATABASE_URL,
      memory: true,
      secretKey: TEST_SECRET_KEY,
    });
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    try {
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
      await waitFor(async () => {
        // Inside a transaction pg_stat_activity is a snapshot taken at its first read: clear it.
        await other.query("SELECT pg_stat_clear_snapshot()");
        const { rows } = await other.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        );
        return rows[0]?.n > 0;
      });
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
    } finally {
      await other.query("ROLLBACK").catch(() => {});
      await other.end();
      await close();
    }
  });
});

/** Polls `check` every 5 ms for up to 10 s (the allocation opens pool connections first). */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the condition never held");
}
