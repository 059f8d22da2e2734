import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { sql } from "kysely";
import { type LicenseRequest, SEAT_HOLDING_STATES } from "../src/licensing/index.js";
import { startSimulator } from "../src/simulator/index.js";
import {
  createDevices,
  createSpace,
  insertLicenses,
  openDatabase,
  requestLicenses,
  type Store,
  setCatalogApp,
} from "../src/store/index.js";
import { refreshPlannerStatistics } from "../src/store/sync-maintenance.repo.js";
import { countOpenOutbox } from "../src/store/sync-outbox.repo.js";
import { addAccount, dispatchOnce, followOnce, makeSyncDeps, type SyncDeps } from "../src/sync/index.js";
import { BENCH_KEY, onEachEngine } from "./databases.js";
import { type Bench, type BenchContext, timed } from "./harness.js";

/**
 * (a) Check-in storm: N devices need one mandatory app with L licenses: decisions,
 *     allocation and the outbox drained to the simulator. The target's figure (elapsed_s):
 *     every check-in decided first, then the outbox drained, against a floor of L raw
 *     license INSERTs into the same table in state released (as the target was first
 *     measured). Apple calls must be ceil(L / 1,000). Reported beside, not instead:
 *     - the storm as Orchard runs it, the worker draining while the check-ins are decided:
 *       over PostgreSQL in a process of its own, as `orchard worker` (bench/storm-worker-
 *       child.ts), and in this process, as with PGlite (the bench's own loop, not
 *       `orchard serve`'s background work, which also delivers MDM commands);
 *     - a floor of the same rows in the state the storm leaves them (assigned: a live
 *       license is also in invariant 2's unique index and the seat index, which released
 *       rows skip), measured twice and the faster kept; and of every row the decisions
 *       leave (those licenses plus the waiting check-ins' queue rows).
 *     Not measured: the MDM install command each grant queues on the check-in path
 *     (requestLicensesFor), and Apple's real pace (status polls every 5 ms, not 30 s).
 * (b) Full resync of an account holding A assignments at Apple, against a floor of
 *     paging the simulator alone with the same client; RSS at rest and peak RSS during the
 *     resync, in a process of its own (bench/sync-resync-child.ts). PGlite: in a data folder
 *     on disk as `orchard serve` keeps it (the target), and in memory.
 */
const ADMIN = { kind: "admin" } as const;
const FAST = { pollIntervalMs: 5, firstPollMs: 5, retryDelayMs: 5, leaseMs: 600_000, claimLimit: 10_000 };

/** The resync first: its peak RSS is then not inflated by the storm's leftovers. */
const benches: Bench[] = [
  {
    name: "sync.resync",
    run: (ctx) => onEachEngine(ctx, "sync.resync", (engine, store, url) => resync(ctx, engine, store, url)),
  },
  {
    name: "sync.storm",
    run: (ctx) => onEachEngine(ctx, "sync.storm", (engine, store, url) => storm(ctx, engine, store, url)),
  },
];

async function withSimulator<T>(work: (sim: Simulator) => Promise<T>): Promise<T> {
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

interface StormResult {
  seconds: number;
  allocationSeconds: number;
  decisions: number;
  associateCalls: number;
  overcommit: number;
  atApple: number;
}

async function storm(ctx: BenchContext, engine: string, store: Store, url?: string): Promise<void> {
  const devicesN = ctx.size(100_000);
  const licensesN = ctx.size(60_000);
  await withSimulator(async (sim) => {
    const { db } = store;
    const first = await stormSetup(store, sim, devicesN, licensesN, 3 * licensesN);
    const sequential = await stormRun(store, sim, first, "after");
    const { space, account, adamId } = first;
    const [floorDevices, assignedFloorDevices, secondFloorDevices] = [0, 1, 2].map((k) =>
      first.spare.slice(k * licensesN, (k + 1) * licensesN),
    ) as [Spare, Spare, Spare];
    // Floors: the storm's license rows, plain batched INSERTs into the same table.
    const insertRaw = (devices: typeof floorDevices, state: "released" | "assigned") =>
      timed(async () => {
        for (let i = 0; i < devices.length; i += 1000) {
          await insertLicenses(
            db,
            devices.slice(i, i + 1000).map((d) => ({
              spaceId: space.id,
              accountId: account.id,
              adamId,
              type: "device" as const,
              deviceId: d.id,
              state,
              now: new Date(),
            })),
          );
        }
      });
    // Released rows: the target's floor, as it was first measured.
    const releasedFloor = await insertRaw(floorDevices, "released");
    // The rows in the state the storm leaves them (assigned): a live license is also in
    // invariant 2's unique index and the seat index, which released rows skip. Measured
    // twice, the faster kept: a floor slowed by the machine would flatter the ratio.
    const assignedFloor = [
      await insertRaw(assignedFloorDevices, "assigned"),
      await insertRaw(secondFloorDevices, "assigned"),
    ].reduce((a, b) => (a.seconds <= b.seconds ? a : b));
    // Every row the decisions leave, the plainest way: the waiting check-ins' queue rows
    // join the licenses (one row per check-in). Reported beside, not instead.
    const waitingN = devicesN - licensesN;
    const queueFloor = await timed(async () => {
      const waiting = floorDevices.slice(0, waitingN);
      for (let i = 0; i < waiting.length; i += 1000) {
        const ids = waiting.slice(i, i + 1000).map((d) => d.id);
        await sql`insert into license_queue (space_id, adam_id, device_id, why, reason)
          select ${space.id}, ${adamId}, t.id, 'mandatory', 'no_license' from unnest(${ids}::text[]) as t(id)`.execute(
          db,
        );
      }
    });
    // The storm again, in a space of its own, the worker draining while the check-ins are
    // decided: over PostgreSQL in a process of its own (`orchard worker`), then in this one.
    const alongside = await stormRun(
      store,
      sim,
      await stormSetup(store, sim, devicesN, licensesN, 0),
      url ? { process: url } : "alongside",
    );
    const inProcess = url
      ? await stormRun(store, sim, await stormSetup(store, sim, devicesN, licensesN, 0), "alongside")
      : undefined;

    const decisionRowsFloor = assignedFloor.seconds + queueFloor.seconds;
    const expectedCalls = Math.ceil(licensesN / 1000);
    const name = `sync.storm.${engine}`;
    // Seconds against a floor measured in the same run.
    const against = (suffix: string, seconds: number, floorSeconds: number, target?: string) =>
      ctx.record({
        name: `${name}.${suffix}`,
        value: seconds,
        unit: "s",
        floor: floorSeconds,
        ratio: seconds / floorSeconds,
        ...(target ? { target } : {}),
      });
    const drainSeconds = sequential.seconds - sequential.allocationSeconds;
    against("elapsed_s", sequential.seconds, releasedFloor.seconds, "<= 3x");
    against("vs_assigned_rows", sequential.seconds, assignedFloor.seconds);
    against("allocation_s", sequential.allocationSeconds, releasedFloor.seconds);
    against("drain_s", drainSeconds, releasedFloor.seconds);
    against("worker_alongside_s", alongside.seconds, releasedFloor.seconds);
    against("worker_alongside_vs_assigned_rows", alongside.seconds, assignedFloor.seconds);
    against("worker_alongside_vs_decision_rows", alongside.seconds, decisionRowsFloor);
    if (inProcess) {
      against("worker_in_process_s", inProcess.seconds, releasedFloor.seconds);
      against("worker_in_process_vs_assigned_rows", inProcess.seconds, assignedFloor.seconds);
    }
    ctx.record({
      name: `${name}.decisions_per_s`,
      value: Math.round(sequential.decisions / sequential.allocationSeconds),
      unit: "decisions/s",
    });
    const runs = [
      ["", sequential],
      [".worker_alongside", alongside],
      ...(inProcess ? [[".worker_in_process", inProcess] as const] : []),
    ] as const;
    for (const [suffix, r] of runs) {
      ctx.record({
        name: `${name}${suffix}.associate_calls`,
        value: r.associateCalls,
        unit: "calls",
        target: `= ${expectedCalls}`,
      });
      ctx.record({
        name: `${name}${suffix}.overcommit`,
        value: r.overcommit,
        unit: "licenses",
        target: "= 0",
      });
    }
    ctx.log(
      `${engine}: ${devicesN} check-ins, ${sequential.atApple} of ${licensesN} licenses assigned at Apple in ${sequential.seconds.toFixed(2)} s (decisions and allocation ${sequential.allocationSeconds.toFixed(2)} s, then the drain ${drainSeconds.toFixed(2)} s); with the worker alongside${url ? " in its own process" : ""} ${alongside.seconds.toFixed(2)} s (all decided in ${alongside.allocationSeconds.toFixed(2)} s)${inProcess ? `, in this process ${inProcess.seconds.toFixed(2)} s` : ""}; floor (${licensesN} raw INSERTs) of released licenses ${releasedFloor.seconds.toFixed(2)} s, of assigned ones ${assignedFloor.seconds.toFixed(2)} s, with the ${waitingN} queue rows ${decisionRowsFloor.toFixed(2)} s`,
    );
    for (const [, r] of runs) {
      if (r.associateCalls !== expectedCalls || r.overcommit !== 0 || r.atApple !== licensesN) {
        throw new Error(
          `storm: ${r.associateCalls} calls (want ${expectedCalls}), overcommit ${r.overcommit}, ${r.atApple} at Apple`,
        );
      }
    }
  });
}

type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type Spare = Awaited<ReturnType<typeof stormSetup>>["spare"];

/** A space with the mandatory app, an account holding L licenses, the N devices, and `spare` more. */
async function stormSetup(store: Store, sim: Simulator, devicesN: number, licensesN: number, spareN: number) {
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
    Array.from({ length: devicesN + spareN }, (_, i) => ({
      spaceId: space.id,
      serialNumber: `STORM${String(i).padStart(8, "0")}`,
      platform: "iOS" as const,
      supervised: true,
    })),
  );
  // The devices were written a moment ago; a real fleet's have been there for a while and
  // the planner knows the tables (PostgreSQL: autovacuum; PGlite: the worker's housekeeping).
  await refreshPlannerStatistics(db);
  return {
    deps,
    adamId,
    loc,
    space,
    account,
    licensesN,
    devices: devices.slice(0, devicesN),
    spare: devices.slice(devicesN),
  };
}

/**
 * Every device checks in (batches of 1,000, as the check-in coalescer forms them), then
 * the work is drained to the simulator: `after` the check-ins, or by a worker loop running
 * `alongside` them from the start, in this process or in a `process` of its own (the
 * database's URL). Elapsed runs until Apple holds every license.
 */
async function stormRun(
  store: Store,
  sim: Simulator,
  setup: Awaited<ReturnType<typeof stormSetup>>,
  mode: "after" | "alongside" | { process: string },
): Promise<StormResult> {
  const { db } = store;
  const { deps, adamId, loc, space, licensesN } = setup;
  const associateBefore = sim.operator.stats().requests["/assets/associate"] ?? 0;
  let allocationSeconds = 0;
  // Started, connected and looping before the clock starts, as a worker that was up already.
  const child = typeof mode === "object" ? await workerProcess(mode.process, sim.url) : undefined;
  const run = await timed(async () => {
    let deciding = true;
    const drain = async () => {
      for (let round = 0; round < 100_000; round++) {
        await dispatchOnce(deps, "bench");
        await sim.operator.idle();
        await followOnce(deps, "bench");
        const open = await countOpenOutbox(db);
        if (!deciding && open.pending + open.sent === 0) return;
        await deps.sleep(FAST.pollIntervalMs);
      }
      throw new Error("storm: the drain did not finish");
    };
    const worker = mode === "alongside" ? drain() : undefined;
    let decisions = 0;
    const start = performance.now();
    for (let i = 0; i < setup.devices.length; i += 1000) {
      const requests = setup.devices.slice(i, i + 1000).map<LicenseRequest>((d) => ({
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
    allocationSeconds = (performance.now() - start) / 1000;
    deciding = false;
    if (child) await untilDrained(db, deps);
    else await (worker ?? drain());
    return decisions;
  });
  await child?.stop();
  const { held } = await db
    .selectFrom("licenses")
    .select((eb) => eb.fn.countAll<number>().as("held"))
    .where("space_id", "=", space.id)
    .where("state", "in", SEAT_HOLDING_STATES)
    .executeTakeFirstOrThrow();
  const atApple = sim.operator.snapshot(loc.uId).assets.find((a) => a.adamId === adamId)?.assignedCount ?? 0;
  return {
    seconds: run.seconds,
    allocationSeconds,
    decisions: run.result,
    associateCalls: (sim.operator.stats().requests["/assets/associate"] ?? 0) - associateBefore,
    overcommit: Math.max(0, Number(held) - licensesN, atApple - licensesN),
    atApple,
  };
}

/** Until every Apple operation is done (the worker process drains; this one only looks). */
async function untilDrained(db: Store["db"], deps: SyncDeps): Promise<void> {
  for (let round = 0; round < 100_000; round++) {
    const open = await countOpenOutbox(db);
    if (open.pending + open.sent === 0) return;
    await deps.sleep(FAST.pollIntervalMs);
  }
  throw new Error("storm: the worker process did not drain the outbox");
}

/** bench/storm-worker-child.ts, running and looping; `stop()` ends it as SIGTERM would. */
async function workerProcess(databaseUrl: string, appleBaseUrl: string) {
  const source = join(ROOT, "bench", "storm-worker-child.ts");
  const input = { databaseUrl, appleBaseUrl, key: BENCH_KEY, tuning: FAST, idleMs: FAST.pollIntervalMs };
  const child = spawn(process.execPath, ["--import", "tsx", source, JSON.stringify(input)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    void exited.then((code) => reject(new Error(`storm worker exited with ${code} before it was ready`)));
  });
  return {
    stop: async () => {
      child.send("stop");
      const code = await exited;
      if (code !== 0) throw new Error(`storm worker exited with ${code}`);
    },
  };
}

async function resync(ctx: BenchContext, engine: string, store: Store, url?: string): Promise<void> {
  const assignments = ctx.size(1_000_000);
  // PGlite as `orchard serve` keeps it: a data folder on disk, created and migrated here,
  // closed, then opened by the child (no initdb there, as on every start but the first).
  const pgliteDir = url ? undefined : mkdtempSync(join(tmpdir(), "orchard-bench-resync-"));
  try {
    await withSimulator(async (sim) => {
      const loc = sim.operator.createLocation({ orgName: "Big" });
      const owner = pgliteDir ? await openDatabase({ dataDir: pgliteDir, secretKey: BENCH_KEY }) : store;
      let ids: { spaceId: string; accountId: string };
      try {
        const space = await createSpace(owner.db, { name: "resync" });
        const { account } = await addAccount(depsFor(owner, sim.url), {
          spaceId: space.id,
          name: "Big",
          sTokenFile: loc.sToken,
          actor: ADMIN,
        });
        ids = { spaceId: space.id, accountId: account.id };
      } finally {
        if (owner !== store) await owner.close();
      }
      sim.operator.seed(loc.uId, { apps: 10, licensesPerApp: assignments / 10 + 1000, assignments });

      // Floor: the same pages, read by the same client, doing nothing with them.
      const client = depsFor(store, sim.url).apple.forToken(loc.sToken);
      const page = async () => {
        let n = 0;
        for await (const p of client.assignments()) n += p.items.length;
        return n;
      };
      const firstFloor = await timed(page); // also warms the simulator and the client
      // Each resync in a process of its own, so its RSS is Orchard's, not the simulator's.
      const common = { appleBaseUrl: sim.url, key: BENCH_KEY };
      const command = await childCommand();
      const runs: Array<{ name: string; where: string; out: ChildResult }> = [];
      if (url) {
        runs.push({
          name: engine,
          where: "PostgreSQL",
          out: await runChild(command, { ...common, ...ids, databaseUrl: url }),
        });
      } else if (pgliteDir) {
        runs.push({
          name: engine,
          where: "PGlite on disk",
          out: await runChild(command, { ...common, ...ids, dataDir: pgliteDir }),
        });
        // PGlite in memory (tests, demos): the child creates the database and the account.
        runs.push({
          name: `${engine}_memory`,
          where: "PGlite in memory",
          out: await runChild(command, { ...common, sToken: loc.sToken }),
        });
      }
      const secondFloor = await timed(page);
      const floor = firstFloor.seconds <= secondFloor.seconds ? firstFloor : secondFloor;
      if (floor.result !== assignments) throw new Error(`resync floor read ${floor.result}`);
      for (const { name, where, out } of runs) {
        if (out.atApple !== assignments) throw new Error(`resync (${where}) read ${out.atApple}`);
        ctx.record({
          name: `sync.resync.${name}.seconds`,
          value: out.seconds,
          unit: "s",
          floor: floor.seconds,
          ratio: out.seconds / floor.seconds,
          target: "<= 1.5x",
        });
        // The target is Orchard's as it runs (PostgreSQL, or PGlite in its data folder). PGlite
        // in memory holds the whole database in the process, and its initdb's garbage first.
        ctx.record({
          name: `sync.resync.${name}.peak_rss_mb`,
          value: out.peakRssMb,
          unit: "MB",
          ...(name.endsWith("_memory") ? {} : { target: "<= 300" }),
        });
        ctx.record({ name: `sync.resync.${name}.rest_rss_mb`, value: out.baseRssMb, unit: "MB" });
        ctx.log(
          `${name}: full resync of ${assignments} assignments in ${out.seconds.toFixed(2)} s (paging alone ${floor.seconds.toFixed(2)} s), peak RSS ${out.peakRssMb} MB (own process, ${where}; ${out.baseRssMb} MB at rest, opened in ${out.openSeconds.toFixed(2)} s)`,
        );
      }
    });
  } finally {
    if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
  }
}

interface ChildResult {
  seconds: number;
  openSeconds: number;
  peakRssMb: number;
  baseRssMb: number;
  atApple: number;
}

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * The child's command. Orchard runs compiled in production (`npm run build`, dist/), so the
 * child is compiled the same way (tsc, the files it imports) into node_modules/.cache:
 * through tsx, its loader and transform caches alone add ~90 MB to the process's RSS
 * (BENCH_RESYNC_TSX=1 runs it so, as the figures before were measured).
 */
async function childCommand(): Promise<string[]> {
  const source = join(ROOT, "bench", "sync-resync-child.ts");
  if (process.env.BENCH_RESYNC_TSX === "1") return ["--expose-gc", "--import", "tsx", source];
  const dir = join(ROOT, "node_modules", ".cache", "orchard-bench-resync");
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      extends: join(ROOT, "tsconfig.json"),
      compilerOptions: { noEmit: false, outDir: join(dir, "out"), rootDir: ROOT, sourceMap: false },
      include: [source],
    }),
  );
  // The output sits under node_modules: it needs its own package.json to be ESM.
  rmSync(join(dir, "out"), { recursive: true, force: true });
  mkdirSync(join(dir, "out"), { recursive: true });
  writeFileSync(join(dir, "out", "package.json"), '{ "type": "module" }\n');
  const entry = join(dir, "out", "bench", "sync-resync-child.js");
  await promisify(execFile)(process.execPath, [
    join(ROOT, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(dir, "tsconfig.json"),
  ]).catch((error: unknown) => {
    // A type error elsewhere still emits JavaScript (npx tsc --noEmit is where it is reported).
    if (!existsSync(entry)) throw error;
  });
  return ["--expose-gc", entry];
}

function runChild(command: string[], input: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...command, JSON.stringify(input)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
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

export default benches;
