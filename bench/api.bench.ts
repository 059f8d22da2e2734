import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { adminPrincipal, createAdministrator, issueApiToken } from "../src/auth/auth.service.js";
import { loadConfig } from "../src/config.js";
import { ensureDefaultSpace } from "../src/main/default-space.js";
import { buildServer } from "../src/main/server.js";
import { createDevices, setCatalogApp } from "../src/store/index.js";
import { addAccount } from "../src/sync/index.js";
import { BENCH_KEY, onEachEngine } from "./databases.js";
import type { Bench, BenchContext } from "./harness.js";

const run = promisify(execFile);
const ADAM = "408709785";
const RATE = 200;
/** Seconds of unrecorded load before each measured one (JIT, caches, pools). */
const WARM_UP_S = 2;

/**
 * API latency under 200 requests/s sent by autocannon from a separate process: explain
 * and license requests, on PGlite and PostgreSQL. The floor is GET /healthz (a database
 * round trip) under the same load; target p99 <= 50 ms, over the requests answered (see
 * bench/api-load.mjs for how autocannon sends them and weighs its own percentiles).
 *
 * The account is a real one of the built-in simulator (a valid token, the app bought for
 * every device), so license requests are grants that the worker (in-process with PGlite)
 * sends to Apple meanwhile, as in production. Each measured load follows a warm-up
 * (WARM_UP_S at the same rate, not recorded, on other devices), and with PGlite the
 * worker's first housekeeping (planner statistics of the seeded tables, then every 10
 * minutes) runs before the first load, as it would have long before in a running server.
 */
const bench: Bench = {
  name: "api",
  async run(ctx) {
    await onEachEngine(ctx, "api", (engine, _store, url) => measure(ctx, engine, url));
  },
};

async function measure(ctx: BenchContext, engine: string, databaseUrl?: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "orchard-bench-api-"));
  const config = loadConfig({
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_SECRET_KEY: BENCH_KEY,
    LOG_LEVEL: "silent",
    // The server's own pace is measured, not the per-token limit's.
    API_TOKEN_REQUESTS_PER_MINUTE: "0",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  });
  const orchard = await buildServer(config, { memory: !databaseUrl });
  try {
    const { db } = orchard.store;
    const now = new Date();
    const spaceId = await ensureDefaultSpace(orchard);
    const admin = await createAdministrator(db, {
      login: "bench",
      displayName: "Bench",
      password: "bench-password-1",
      isOwner: true,
      now,
    });
    const { token } = await issueApiToken(db, await adminPrincipal(db, admin, "session"), {
      name: "bench",
      grants: [{ spaceId, role: "manage" }],
      now,
    });
    const devices = ctx.size(20_000);
    await setCatalogApp(db, { spaceId, adamId: ADAM, installOnDevice: true }, now);
    // A location of the built-in simulator that bought the app for every device: a working account.
    const simulator = orchard.simulator;
    if (!simulator) throw new Error("the api bench needs the built-in simulator (APPLE_BASE_URL unset)");
    const location = simulator.operator.createLocation({ orgName: "Bench" });
    simulator.operator.addAsset(location.uId, {
      adamId: ADAM,
      totalCount: devices,
      deviceAssignable: true,
      supportedPlatforms: ["iOS"],
    });
    await addAccount(orchard.sync, {
      spaceId,
      name: "bench",
      sTokenFile: location.sToken,
      actor: { kind: "system" },
    });
    const ids = (
      await createDevices(
        db,
        Array.from({ length: devices }, (_, i) => ({
          spaceId,
          serialNumber: `BENCH${String(i).padStart(7, "0")}`,
          platform: "iOS" as const,
        })),
      )
    ).map((d) => d.id);
    await orchard.worker?.runJob("housekeeping");
    await orchard.app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(orchard.app.server.address() as AddressInfo).port}`;
    const seconds = ctx.quick ? 3 : 10;
    const load = async (method: string, paths: string[], body?: unknown[], duration = seconds) => {
      const spec = join(dataDir, "load.json");
      writeFileSync(
        spec,
        JSON.stringify({ url: base, method, paths, body, token, rate: RATE, seconds: duration }),
      );
      const { stdout } = await run(process.execPath, [join(import.meta.dirname, "api-load.mjs"), spec], {
        maxBuffer: 1 << 20,
      });
      return JSON.parse(stdout) as {
        p50: number;
        p99: number;
        max: number;
        autocannonP50: number;
        autocannonP99: number;
        requests: number;
        non2xx: number;
        errors: number;
      };
    };
    const measured = async (method: string, paths: string[], body?: unknown[], warmUp = { paths, body }) => {
      await load(method, warmUp.paths, warmUp.body, WARM_UP_S);
      return load(method, paths, body);
    };
    const floor = await measured("GET", ["/healthz"]);
    const explainPath = (d: string) =>
      `/api/v1/spaces/${spaceId}/explain?app=${ADAM}&device=${d}&why=mandatory`;
    const explain = await measured("GET", ids.slice(0, 2000).map(explainPath), undefined, {
      paths: ids.slice(-2000).map(explainPath),
      body: undefined,
    });
    // Every request is for a device that holds no license yet: each is a grant (the warm-up's
    // devices are the last ones, the measured load's the first ones).
    const request = (d: string) => ({ app: ADAM, device: d, why: "mandatory" });
    const warmUpDevices = ids.slice(Math.max(0, ids.length - RATE * WARM_UP_S * 2));
    const requests = await measured(
      "POST",
      [`/api/v1/spaces/${spaceId}/license-requests`],
      ids.slice(0, ids.length - warmUpDevices.length).map(request),
      { paths: [`/api/v1/spaces/${spaceId}/license-requests`], body: warmUpDevices.map(request) },
    );
    for (const [name, r] of [
      ["explain", explain],
      ["license_request", requests],
    ] as const) {
      if (r.non2xx > 0 || r.errors > 0)
        ctx.log(`api.${engine}.${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
      ctx.record({
        name: `api.${engine}.${name}.p50_ms`,
        value: r.p50,
        unit: "ms",
        floor: floor.p50,
        ratio: r.p50 / Math.max(floor.p50, 1),
      });
      ctx.record({
        name: `api.${engine}.${name}.p99_ms`,
        value: r.p99,
        unit: "ms",
        floor: floor.p99,
        ratio: r.p99 / Math.max(floor.p99, 1),
        target: "<= 50 ms",
      });
      ctx.log(
        `api.${engine}.${name}: max ${r.max} ms; autocannon's duration-weighted p50 / p99 ${r.autocannonP50} / ${r.autocannonP99} ms (bench/api-load.mjs)`,
      );
    }
    ctx.log(
      `api.${engine}: ${explain.requests + requests.requests} requests at ${RATE}/s; floor /healthz p99 ${floor.p99} ms`,
    );
  } finally {
    await orchard.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default bench;
