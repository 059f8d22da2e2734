import { spawn } from "node:child_process";
import { type LicenseRequest, SEAT_HOLDING_STATES } from "../src/licensing/index.js";
import { startSimulator } from "../src/simulator/index.js";
import {
  createDevices,
  createSpace,
  insertLicenses,
  requestLicenses,
  type Store,
  setCatalogApp,
} from "../src/store/index.js";
import { refreshPlannerStatistics } from "../src/store/sync-maintenance.repo.js";
import { countOpenOutbox } from "../src/store/sync-outbox.repo.js";
import {
  addAccount,
  dispatchOnce,
  followOnce,
  makeSyncDeps,
  resyncAccount,
  type SyncDeps,
} from "../src/sync/index.js";
import { BENCH_KEY, onEachEngine } from "./databases.js";
import { type Bench, type BenchContext, timed } from "./harness.js";

/**
 * (a) Check-in storm: N devices need one mandatory app with L licenses: decisions,
 *     allocation and the outbox drained to the simulator, against a floor of L raw
 *     license INSERTs into the same table. Apple calls must be ceil(L / 1,000).
 *     The allocation and the drain are also reported on their own, each against the same floor.
 * (b) Full resync of an account holding A assignments at Apple, against a floor of
 *     paging the simulator alone with the same client; peak RSS during the resync.
 */
const ADMIN = { kind: "admin" } as const;
const FAST = { pollIntervalMs: 5, firstPollMs: 5, retryDelayMs: 5, leaseMs: 600_000, claimLimit: 10_000 };

const bench: Bench = {
  name: "sync",
  async run(ctx) {
    // The resync first: its peak RSS is then not inflated by the storm's leftovers.
    await onEachEngine(ctx, "sync.resync", (engine, store, url) => resync(ctx, engine, store, url));
    await onEachEngine(ctx, "sync.storm", (engine, store) => storm(ctx, engine, store));
  },
};

async function withSimulator<T>(
  work: (sim: Awaited<ReturnType<typeof startSimulator>>) => Promise<T>,
): Promise<T> {
  // The bench measures Orchard, not Apple's rate: the simulator advertises a high maxRequestPerSecond.
  const sim = await startSimulator({
    port: 0,
    eventDelayMs: 0,
    enforceRateLimit: false,
    limits: { maxRequestPerSecond: 100_000 },
  });
  try {
    return await work(sim);
  } finally {
    await sim.close();
  }
}

function depsFor(store: Store, url: string): SyncDeps {
  return makeSyncDeps({
    db: store.db,
    keys: store.keys,
    appleBaseUrl: url,
    mdmInfo: { id: "orchard-bench", name: "Orchard", metadata: "bench" },
    tuning: FAST,
  });
}

async function storm(ctx: BenchContext, engine: string, store: Store): Promise<void> {
  const devicesN = ctx.size(100_000);
  const licensesN = ctx.size(60_000);
  await withSimulator(async (sim) => {
    const { db } = store;
    const deps = depsFor(store, sim.url);
    const adamId = "409183694";
    const loc = sim.operator.createLocation({ orgName: "Storm" });
    sim.operator.addAsset(loc.uId, { adamId, totalCount: licensesN, supportedPlatforms: ["iOS"] });
    const space = await createSpace(db, { name: "storm" });
    await setCatalogApp(db, { spaceId: space.id, adamId, installOnDevice: true }, new Date());
    const { account } = await addAccount(deps, {
      spaceId: space.id,
      name: "Storm",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const devices = await createDevices(
      db,
      Array.from({ length: devicesN + licensesN }, (_, i) => ({
        spaceId: space.id,
        serialNumber: `STORM${String(i).padStart(8, "0")}`,
        platform: "iOS" as const,
        supervised: true,
      })),
    );
    // The devices were written a moment ago; a real fleet's have been there for a while and
    // the planner knows the tables (PostgreSQL: autovacuum; PGlite: the worker's housekeeping).
    await refreshPlannerStatistics(db);
    const stormDevices = devices.slice(0, devicesN);
    const floorDevices = devices.slice(devicesN);
    const associateBefore = sim.operator.stats().requests["/assets/associate"] ?? 0;

    let allocationSeconds = 0;
    const run = await timed(async () => {
      let decisions = 0;
      const allocationStart = performance.now();
      for (let i = 0; i < stormDevices.length; i += 1000) {
        const requests = stormDevices.slice(i, i + 1000).map<LicenseRequest>((d) => ({
          spaceId: space.id,
          adamId,
          subject: { kind: "device", deviceId: d.id },
          why: "mandatory",
        }));
        decisions += (
          await requestLicenses(db, {
            spaceId: space.id,
            adamId,
            requests,
            actor: { kind: "mdm" },
            now: new Date(),
          })
        ).length;
      }
      allocationSeconds = (performance.now() - allocationStart) / 1000;
      for (let round = 0; round < 10_000; round++) {
        await dispatchOnce(deps, "bench");
        await sim.operator.idle();
        await followOnce(deps, "bench");
        const open = await countOpenOutbox(db);
        if (open.pending + open.sent === 0) break;
        await deps.sleep(FAST.pollIntervalMs);
      }
      return decisions;
    });
    const associateCalls = (sim.operator.stats().requests["/assets/associate"] ?? 0) - associateBefore;
    const { held } = await db
      .selectFrom("licenses")
      .select((eb) => eb.fn.countAll<number>().as("held"))
      .where("space_id", "=", space.id)
      .where("state", "in", SEAT_HOLDING_STATES)
      .executeTakeFirstOrThrow();
    const atApple =
      sim.operator.snapshot(loc.uId).assets.find((a) => a.adamId === adamId)?.assignedCount ?? 0;
    const overcommit = Math.max(0, Number(held) - licensesN, atApple - licensesN);

    // Floor: the same number of license rows, plain batched INSERTs into the same table.
    const floor = await timed(async () => {
      for (let i = 0; i < floorDevices.length; i += 1000) {
        await insertLicenses(
          db,
          floorDevices.slice(i, i + 1000).map((d) => ({
            spaceId: space.id,
            accountId: account.id,
            adamId,
            type: "device" as const,
            deviceId: d.id,
            state: "released" as const,
            now: new Date(),
          })),
        );
      }
    });
    const expectedCalls = Math.ceil(licensesN / 1000);
    ctx.record({
      name: `sync.storm.${engine}.elapsed_s`,
      value: run.seconds,
      unit: "s",
      floor: floor.seconds,
      ratio: run.seconds / floor.seconds,
      target: "<= 3x",
    });
    const drainSeconds = run.seconds - allocationSeconds;
    ctx.record({
      name: `sync.storm.${engine}.allocation_s`,
      value: allocationSeconds,
      unit: "s",
      floor: floor.seconds,
      ratio: allocationSeconds / floor.seconds,
    });
    ctx.record({
      name: `sync.storm.${engine}.drain_s`,
      value: drainSeconds,
      unit: "s",
      floor: floor.seconds,
      ratio: drainSeconds / floor.seconds,
    });
    ctx.record({
      name: `sync.storm.${engine}.decisions_per_s`,
      value: Math.round(run.result / run.seconds),
      unit: "decisions/s",
    });
    ctx.record({
      name: `sync.storm.${engine}.associate_calls`,
      value: associateCalls,
      unit: "calls",
      target: `= ${expectedCalls}`,
    });
    ctx.record({
      name: `sync.storm.${engine}.overcommit`,
      value: overcommit,
      unit: "licenses",
      target: "= 0",
    });
    ctx.log(
      `${engine}: ${devicesN} check-ins, ${atApple} of ${licensesN} licenses assigned at Apple in ${run.seconds.toFixed(2)} s (decisions and allocation ${allocationSeconds.toFixed(2)} s, drain ${drainSeconds.toFixed(2)} s); floor (${licensesN} raw INSERTs) ${floor.seconds.toFixed(2)} s`,
    );
    if (associateCalls !== expectedCalls || overcommit !== 0 || atApple !== licensesN) {
      throw new Error(
        `storm: ${associateCalls} calls (want ${expectedCalls}), overcommit ${overcommit}, ${atApple} at Apple`,
      );
    }
  });
}

async function resync(ctx: BenchContext, engine: string, store: Store, url?: string): Promise<void> {
  const assignments = ctx.size(1_000_000);
  await withSimulator(async (sim) => {
    const deps = depsFor(store, sim.url);
    const loc = sim.operator.createLocation({ orgName: "Big" });
    const space = await createSpace(store.db, { name: "resync" });
    const { account } = await addAccount(deps, {
      spaceId: space.id,
      name: "Big",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    sim.operator.seed(loc.uId, { apps: 10, licensesPerApp: assignments / 10 + 1000, assignments });

    // Floor: the same pages, read by the same client, doing nothing with them.
    const client = deps.apple.forToken(loc.sToken);
    const page = async () => {
      let n = 0;
      for await (const p of client.assignments()) n += p.items.length;
      return n;
    };
    const firstFloor = await timed(page); // also warms the simulator and the client
    let run: { seconds: number; read: number; peakMb: number; baseMb: number };
    if (url) {
      // PostgreSQL: in a process of its own, so the peak RSS is the resync's, not the simulator's.
      const out = await runChild({
        databaseUrl: url,
        appleBaseUrl: sim.url,
        spaceId: space.id,
        accountId: account.id,
        key: BENCH_KEY,
      });
      run = { seconds: out.seconds, read: out.atApple, peakMb: out.peakRssMb, baseMb: out.baseRssMb };
    } else {
      // PGlite lives in this process: its WASM heap alone (~650 MB once open and migrated,
      // in memory:// or in a data folder on disk alike) is most of this RSS.
      const base = process.memoryUsage().rss;
      let peak = base;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 20);
      const timedRun = await timed(() =>
        resyncAccount(deps, { spaceId: space.id, accountId: account.id, actor: ADMIN }),
      );
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      run = {
        seconds: timedRun.seconds,
        read: timedRun.result.assignments?.atApple ?? 0,
        peakMb: Math.round(peak / 1e6),
        baseMb: Math.round(base / 1e6),
      };
    }
    const secondFloor = await timed(page);
    const floor = firstFloor.seconds <= secondFloor.seconds ? firstFloor : secondFloor;
    const read = run.read;
    if (read !== assignments || floor.result !== assignments)
      throw new Error(`resync read ${read}, floor ${floor.result}`);
    ctx.record({
      name: `sync.resync.${engine}.seconds`,
      value: run.seconds,
      unit: "s",
      floor: floor.seconds,
      ratio: run.seconds / floor.seconds,
      target: "<= 1.5x",
    });
    ctx.record({
      name: `sync.resync.${engine}.peak_rss_mb`,
      value: run.peakMb,
      unit: "MB",
      target: "<= 300",
    });
    ctx.log(
      `${engine}: full resync of ${assignments} assignments in ${run.seconds.toFixed(2)} s (paging alone ${floor.seconds.toFixed(2)} s), peak RSS ${run.peakMb} MB (${url ? "own process" : "in-process, PGlite included"}; ${run.baseMb} MB before)`,
    );
  });
}

function runChild(
  input: Record<string, string>,
): Promise<{ seconds: number; peakRssMb: number; baseRssMb: number; atApple: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bench/sync-resync-child.ts", JSON.stringify(input)],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString("utf8");
    });
    child.once("exit", (code) => {
      if (code !== 0) reject(new Error(`resync child exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}"));
    });
  });
}

export default bench;
