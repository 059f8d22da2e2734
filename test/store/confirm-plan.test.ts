import { sql } from "kysely";
import { expect, it } from "vitest";
import type { Db } from "../../src/store/database.js";
import { markAssigned, withTransaction } from "../../src/store/index.js";
import { probeByKey } from "../../src/store/sql-helpers.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

const LATER = new Date(NOW.getTime() + 60_000);

/** Index scans of the licenses' primary key so far in the current transaction. */
async function pkeyScans(trx: Db): Promise<number> {
  const { rows } = await sql<{
    n: string;
  }>`select pg_stat_get_xact_numscans('licenses_pkey'::regclass) as n`.execute(trx);
  return Number(rows[0]?.n);
}

async function licensesOf(
  db: Db,
  keys: Parameters<typeof accountWithSeats>[1],
  n: number,
  state: "assigned" | "pending_assign",
) {
  const { space, adamId } = await spaceWithApp(db);
  const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: n });
  const fleet = await devices(db, space.id, n);
  const ids = await deviceLicenses(db, {
    spaceId: space.id,
    accountId: account.id,
    adamId,
    devices: fleet,
    state,
  });
  return { spaceId: space.id, ids };
}

// A database of its own: the planner's statistics are this test's alone.
describeEachDatabase("Apple's confirmations", (database) => {
  it("invariant 3: each license is found by its key, however stale the planner's statistics", async () => {
    const { db, keys } = database().store;
    // Statistics taken after a storm settled and before the next one: every license the
    // planner knows of is assigned, and the new space has none.
    await licensesOf(db, keys, 5000, "assigned");
    await sql`analyze licenses`.execute(db);
    const storm = await licensesOf(db, keys, 3000, "pending_assign");

    const confirmed = await withTransaction(db, async (trx) => {
      const before = await pkeyScans(trx);
      const moved = await markAssigned(trx, {
        spaceId: storm.spaceId,
        licenseIds: storm.ids.slice(0, 500),
        actor: SYSTEM,
        now: LATER,
      });
      return { moved: moved.length, scans: (await pkeyScans(trx)) - before };
    });
    // One probe of the primary key per license; the rows are then updated where they are.
    expect(confirmed.moved).toBe(500);
    expect(confirmed.scans).toBeLessThanOrEqual(500 + 5);

    // The control: the same ids joined to the UPDATE are probed again for every pending
    // license of the space (the plan Apple's confirmations had: quadratic in a storm).
    const joined = await withTransaction(db, async (trx) => {
      const before = await pkeyScans(trx);
      await sql`update licenses set updated_at = ${LATER} where space_id = ${storm.spaceId}
        and id in (select d.id from ${probeByKey("licenses", storm.spaceId, storm.ids.slice(500, 1000))})
        and state = 'pending_assign'`.execute(trx);
      return (await pkeyScans(trx)) - before;
    });
    expect(joined).toBeGreaterThan(10 * 500);
  });
});
