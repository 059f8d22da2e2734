import { randomUUID } from "node:crypto";
import type { LicenseRequest } from "../src/licensing/index.js";
import {
  createAccount,
  createDevices,
  createSpace,
  insertLicenses,
  requestLicenses,
  type Store,
  setCatalogApp,
  upsertAsset,
} from "../src/store/index.js";
import { onEachEngine } from "./databases.js";
import { type Bench, type BenchContext, timed } from "./harness.js";

/**
 * Allocations per second through `requestLicenses` (decide + seat lock + license,
 * outbox and activity rows, in batches), against a floor measured in the same run:
 * the same number of license rows written with plain batched INSERTs into the same
 * table. Target: allocation within 3x of the floor.
 */
const BATCH = 1000;
const NOW = new Date("2026-01-15T10:00:00Z");

const bench: Bench = {
  name: "store",
  async run(ctx) {
    const n = ctx.size(20_000);
    await onEachEngine(ctx, "store", (engine, store) => measure(ctx, engine, store, n));
  },
};

async function measure(ctx: BenchContext, engine: string, store: Store, n: number): Promise<void> {
  const { db } = store;
  const space = await createSpace(db, { name: "bench" });
  const adamId = "408709785";
  await setCatalogApp(db, { spaceId: space.id, adamId }, NOW);
  const account = await createAccount(db, store.keys, {
    spaceId: space.id,
    displayName: "bench",
    sToken: "t",
  });
  await upsertAsset(
    db,
    {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      pricingParam: "STDQ",
      productType: "App",
      total: n + 100,
      deviceAssignable: true,
      platforms: ["iOS"],
    },
    NOW,
  );
  // Devices for the floor and for allocation are distinct: both write live licenses.
  const devices = await createDevices(
    db,
    Array.from({ length: 2 * n + 200 }, (_, i) => ({
      spaceId: space.id,
      serialNumber: `B${String(i).padStart(8, "0")}`,
      platform: "iOS" as const,
      supervised: true,
    })),
  );
  const floorDevices = devices.slice(0, n + 100).map((d) => d.id);
  const allocDevices = devices.slice(n + 100).map((d) => d.id);

  const floorBatch = (ids: readonly string[]) =>
    insertLicenses(
      db,
      ids.map((deviceId) => ({
        id: randomUUID(),
        spaceId: space.id,
        accountId: account.id,
        adamId,
        type: "device" as const,
        deviceId,
        state: "pending_assign" as const,
        ruleIds: ["MA1", "DI2", "LT1", "DB1"],
        now: NOW,
      })),
    );
  const allocBatch = (ids: readonly string[]) =>
    requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: ids.map<LicenseRequest>((deviceId) => ({
        spaceId: space.id,
        adamId,
        subject: { kind: "device", deviceId },
        why: "mandatory",
      })),
      actor: { kind: "system" },
      now: NOW,
    });

  // Warm up both paths (query plans, JIT) on the 100 spare devices of each side.
  await floorBatch(floorDevices.slice(n));
  await allocBatch(allocDevices.slice(n));

  // Floor and allocation batches alternate, so both write into a table of the same size.
  let floorSeconds = 0;
  let allocSeconds = 0;
  let granted = 0;
  for (let i = 0; i < n; i += BATCH) {
    const end = Math.min(i + BATCH, n);
    floorSeconds += (await timed(() => floorBatch(floorDevices.slice(i, end)))).seconds;
    const alloc = await timed(() => allocBatch(allocDevices.slice(i, end)));
    allocSeconds += alloc.seconds;
    granted += alloc.result.filter((r) => r.decision.outcome === "grant").length;
  }
  const floor = { seconds: floorSeconds };
  const alloc = { seconds: allocSeconds, result: granted };
  if (alloc.result !== n) throw new Error(`expected ${n} grants, got ${alloc.result}`);
  ctx.record({
    name: `store.${engine}.allocations_per_s`,
    value: Math.round(n / alloc.seconds),
    unit: "allocations/s",
    floor: Math.round(n / floor.seconds),
    ratio: alloc.seconds / floor.seconds,
    target: "<= 3x",
  });
  ctx.log(
    `${engine}: ${n} allocations in ${alloc.seconds.toFixed(2)} s, floor ${floor.seconds.toFixed(2)} s (batches of ${BATCH})`,
  );
}

/** A throw-away database on the server, so the bench never touches test or real data. */
export default bench;
