import fc from "fast-check";
import { sql } from "kysely";
import { expect, it } from "vitest";
import type { LicenseRequest, RequestReason } from "../../src/licensing/index.js";
import {
  createDevices,
  createUsers,
  type Db,
  getAsset,
  listWaitingRequests,
  openDatabase,
  requestLicenses,
  type Store,
  setAppRules,
} from "../../src/store/index.js";
import { describeEachDatabase, TEST_SECRET_KEY } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

/** Seat-holding licenses per account, and subjects holding more than one live license. */
async function countsFromDatabase(db: Db, spaceId: string, adamId: string) {
  const held = await sql<{ account_id: string; n: number }>`
    select account_id, count(*)::int as n from licenses
    where space_id = ${spaceId} and adam_id = ${adamId} and state in ('pending_assign', 'assigned', 'pending_release')
    group by account_id`.execute(db);
  const doubles = await sql<{ subject: string }>`
    select coalesce(user_id, device_id) as subject from licenses
    where space_id = ${spaceId} and adam_id = ${adamId} and state in ('pending_assign', 'assigned')
    group by coalesce(user_id, device_id) having count(*) > 1`.execute(db);
  return { held: new Map(held.rows.map((r) => [r.account_id, r.n])), doubles: doubles.rows.length };
}

describeEachDatabase("allocation under concurrency", (database) => {
  it("invariant 1: 16 concurrent allocators race for the last 10 licenses with 10,000 requests: exactly 10 granted", async () => {
    const { store, engine, url } = database();
    const { db, keys } = store;
    const { space, adamId } = await spaceWithApp(db);
    const { account } = await accountWithSeats(db, keys, {
      spaceId: space.id,
      adamId,
      total: 1000,
      used: 990,
    });
    const ds = await devices(db, space.id, 10_000);
    const requests = ds.map<LicenseRequest>((d) => ({
      spaceId: space.id,
      adamId,
      subject: { kind: "device", deviceId: d.id },
      why: "mandatory",
    }));
    // On PostgreSQL each allocator has its own pool and connection, like separate processes.
    const allocators: Store[] =
      engine === "postgres"
        ? await Promise.all(
            Array.from({ length: 16 }, () =>
              openDatabase({
                databaseUrl: url,
                memory: true,
                secretKey: TEST_SECRET_KEY,
                poolSize: 1,
                skipMigrations: true,
              }),
            ),
          )
        : Array.from({ length: 16 }, () => store);
    try {
      const outcomes = await Promise.all(
        allocators.map(async (allocator, i) => {
          const mine = requests.filter((_, n) => n % 16 === i);
          const out: string[] = [];
          for (let b = 0; b < mine.length; b += 25) {
            const results = await requestLicenses(allocator.db, {
              spaceId: space.id,
              adamId,
              requests: mine.slice(b, b + 25),
              actor: SYSTEM,
              now: NOW,
            });
            out.push(...results.map((r) => r.decision.outcome));
          }
          return out;
        }),
      );
      const all = outcomes.flat();
      expect(all.length).toBe(10_000);
      expect(all.filter((o) => o === "grant").length).toBe(10);
      expect(all.filter((o) => o === "wait" || o === "refuse").length).toBe(9_990);
    } finally {
      if (engine === "postgres") await Promise.all(allocators.map((a) => a.close()));
    }
    const { held, doubles } = await countsFromDatabase(db, space.id, adamId);
    expect(held.get(account.id)).toBe(10);
    expect(doubles).toBe(0);
    const asset = await getAsset(db, space.id, account.id, adamId);
    expect(asset.used).toBe(1000);
    expect(asset.used).toBeLessThanOrEqual(asset.total);
    expect((await listWaitingRequests(db, space.id, adamId, 20_000)).length).toBe(9_990);
  });

  it("property: over random worlds and concurrent batches, used <= total and never two live licenses per subject", async () => {
    const { db, keys } = database().store;
    const account = fc.record({
      total: fc.integer({ min: 0, max: 4 }),
      outside: fc.integer({ min: 0, max: 2 }),
      fcfs: fc.boolean(),
      mandatoryType: fc.constantFrom("user" as const, "device" as const),
      reserveDevice: fc.boolean(),
      reserveUser: fc.boolean(),
    });
    const world = fc.record({
      accounts: fc.array(account, { minLength: 1, maxLength: 3 }),
      users: fc.array(fc.boolean(), { minLength: 1, maxLength: 4 }), // enrolled?
      devices: fc.array(fc.nat(5), { minLength: 1, maxLength: 6 }), // index of its user, if any
      batches: fc.array(
        fc.array(
          fc.record({
            subject: fc.nat(20),
            why: fc.constantFrom<RequestReason>("requested", "mandatory", "check_in"),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        { minLength: 1, maxLength: 4 },
      ),
    });
    await fc.assert(
      fc.asyncProperty(world, async (w) => {
        const { space, adamId } = await spaceWithApp(db);
        const users = await createUsers(
          db,
          w.users.map((enrolled, i) => ({
            spaceId: space.id,
            name: `u${i}`,
            appleStatus: enrolled ? "Associated" : "Registered",
          })),
        );
        const ds = await createDevices(
          db,
          w.devices.map((userIndex, i) => ({
            spaceId: space.id,
            serialNumber: `P${i}`,
            platform: "iOS" as const,
            userId: users[userIndex]?.id,
          })),
        );
        const accounts = [];
        for (const [i, a] of w.accounts.entries()) {
          const total = a.total + a.outside;
          const { account } = await accountWithSeats(db, keys, {
            spaceId: space.id,
            adamId,
            total,
            used: a.outside,
            autoDistribute: false,
          });
          // DI6: a reservation needs a seat free now (the ones used outside are not).
          const reservedDeviceIds = a.reserveDevice && a.total > 0 && ds[i] ? [ds[i].id] : [];
          const reservedUserIds =
            a.reserveUser && a.total > reservedDeviceIds.length && users[i] ? [users[i].id] : [];
          await setAppRules(
            db,
            {
              spaceId: space.id,
              accountId: account.id,
              adamId,
              ...(a.fcfs
                ? { fcfs: { groupIds: ["all-users"], requestedType: "user", mandatoryType: a.mandatoryType } }
                : {}),
              reservedUserIds,
              reservedDeviceIds,
              prohibitedUserIds: [],
            },
            SYSTEM,
            NOW,
          );
          accounts.push({ id: account.id, outside: a.outside });
        }
        const subjects = [
          ...users.map((u) => ({ kind: "user" as const, userId: u.id })),
          ...ds.map((d) => ({ kind: "device" as const, deviceId: d.id })),
        ];
        await Promise.all(
          w.batches.map((batch) =>
            requestLicenses(db, {
              spaceId: space.id,
              adamId,
              requests: batch.map((r) => ({
                spaceId: space.id,
                adamId,
                subject: subjects[r.subject % subjects.length] ?? { kind: "user", userId: "" },
                why: r.why,
              })),
              actor: SYSTEM,
              now: NOW,
            }),
          ),
        );
        const { held, doubles } = await countsFromDatabase(db, space.id, adamId);
        expect(doubles).toBe(0);
        for (const a of accounts) {
          const asset = await getAsset(db, space.id, a.id, adamId);
          expect(asset.used).toBeLessThanOrEqual(asset.total);
          expect(asset.used).toBe(a.outside + (held.get(a.id) ?? 0));
        }
      }),
      { numRuns: 25 },
    );
  });
});
