import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MdmCommand } from "../../src/licensing/index.js";
import { type RunningSimulator, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";
import type { Db } from "../../src/store/index.js";
import { countOpenOutbox } from "../../src/store/sync-outbox.repo.js";
import {
  type AppleNotificationResult,
  addAccount,
  dispatchOnce,
  followOnce,
  handleAppleNotification,
  makeSyncDeps,
  type SyncDeps,
  type SyncDepsInput,
} from "../../src/sync/index.js";
import type { TestDatabase } from "../store/databases.js";
import { ADMIN, newAdamId, spaceWithApps } from "./fixtures.js";

/** Short waits everywhere: Apple's 30 s between polls becomes 20 ms (injected, as in production config). */
export const FAST = {
  pollIntervalMs: 20,
  firstPollMs: 20,
  eventRetryAfterMs: 60_000,
  leaseMs: 30_000,
  retryDelayMs: 20,
  appleRetry: { baseDelayMs: 10, maxDelayMs: 5_000, maxAttempts: 6 },
};

export interface Harness {
  sim: RunningSimulator;
  deps: SyncDeps;
  /** Notifications Apple sent us, with our answer. */
  received: Array<{ type: string; result: AppleNotificationResult }>;
  commands: MdmCommand[];
  newLocation(orgName?: string): { uId: string; sToken: string };
  close(): Promise<void>;
}

/** The simulator, a receiver for its notifications (as the API mounts the handler), and sync deps. */
export async function startHarness(
  tdb: TestDatabase,
  options: { sim?: SimulatorOptions; deps?: Partial<SyncDepsInput>; notifications?: boolean } = {},
): Promise<Harness> {
  const sim = await startSimulator({
    port: 0,
    eventDelayMs: 5,
    notificationRetryDelayMs: 20,
    // Apple's 15 requests a second (enforced all the same) had the client pace most syncs here
    // for a second (src/apple/rate-limit.ts), which its own suites test (faults.test.ts,
    // rate-limit.test.ts, test/apple); a suite that needs Apple's limits passes its own.
    limits: { maxRequestPerSecond: 100 },
    ...options.sim,
  });
  const received: Harness["received"] = [];
  const commands: MdmCommand[] = [];
  let deps: SyncDeps | undefined;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const match = /^\/api\/v1\/apple\/notifications\/([^/?]+)/.exec(req.url ?? "");
      if (!match?.[1] || !deps) {
        res.writeHead(404).end();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        body = undefined;
      }
      handleAppleNotification(deps, { accountId: decodeURIComponent(match[1]), headers: req.headers, body })
        .then((result) => {
          const type =
            typeof body === "object" && body && "notificationType" in body
              ? String(body.notificationType)
              : "?";
          received.push({ type, result });
          res.writeHead(result.status).end();
        })
        .catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  deps = makeSyncDeps({
    db: tdb.store.db,
    keys: tdb.store.keys,
    appleBaseUrl: sim.url,
    mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
    ...(options.notifications === false ? {} : { publicBaseUrl: `http://127.0.0.1:${port}` }),
    mdm: { send: async (c) => void commands.push(...c) },
    tuning: FAST,
    ...options.deps,
  });
  let n = 0;
  return {
    sim,
    deps,
    received,
    commands,
    newLocation: (orgName) =>
      sim.operator.createLocation({
        orgName: orgName ?? `Org ${++n}-${Math.random().toString(36).slice(2, 6)}`,
      }),
    async close() {
      await sim.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Runs dispatch and follow-up rounds until the outbox is empty (bounded: fails loudly
 * rather than hang). Waits on the simulator's events between rounds, never on timers.
 */
export async function drain(
  h: Harness,
  options: { maxRounds?: number; workerId?: string } = {},
): Promise<{ rounds: number; calls: number }> {
  let calls = 0;
  for (let round = 1; round <= (options.maxRounds ?? 500); round++) {
    const d = await dispatchOnce(h.deps, options.workerId ?? "test-worker");
    calls += d.calls;
    await h.sim.operator.idle();
    await followOnce(h.deps, options.workerId ?? "test-worker");
    const open = await countOpenOutbox(h.deps.db);
    if (open.pending + open.sent === 0) return { rounds: round, calls };
    await h.deps.sleep(FAST.pollIntervalMs);
  }
  const open = await countOpenOutbox(h.deps.db);
  throw new Error(`outbox not drained: ${open.pending} pending, ${open.sent} sent`);
}

/** Requests the simulator has received on these endpoints ("/assets/associate", …). */
export function appleRequests(h: Harness, ...endpoints: string[]): number {
  const received = h.sim.operator.stats().requests;
  return endpoints.reduce((n, endpoint) => n + (received[endpoint] ?? 0), 0);
}

/**
 * Until the simulator has received more requests on `endpoint` than `before`: a request
 * counts as it arrives, before a latency fault holds it (polled every 5 ms, up to 2 s).
 */
export async function untilAppleReceives(h: Harness, endpoint: string, before: number): Promise<void> {
  for (let i = 0; i < 400 && appleRequests(h, endpoint) === before; i++) await h.deps.sleep(5);
  if (appleRequests(h, endpoint) === before) throw new Error(`the simulator received no ${endpoint}`);
}

/** Apple's assignments of one location and asset, as "s:<serial>" / "u:<clientUserId>". */
export function appleSubjects(sim: RunningSimulator, uId: string, adamId: string): string[] {
  const out: string[] = [];
  for (const a of sim.operator.assignments(uId)) {
    if (a.adamId !== adamId) continue;
    out.push(a.serialNumber !== undefined ? `s:${a.serialNumber}` : `u:${a.clientUserId ?? ""}`);
  }
  return out;
}

/** One iOS app of `total` licenses at a new location, a space with it in its catalog, and an account for the location. */
export async function iosAppAccount(h: Harness, db: Db, input: { total: number; name: string }) {
  const adamId = newAdamId();
  const loc = h.newLocation();
  h.sim.operator.addAsset(loc.uId, { adamId, totalCount: input.total, supportedPlatforms: ["iOS"] });
  const space = await spaceWithApps(db, [adamId]);
  const { account } = await addAccount(h.deps, {
    spaceId: space.id,
    name: input.name,
    sTokenFile: loc.sToken,
    actor: ADMIN,
  });
  return { adamId, loc, space, account };
}
