/**
 * A simulator of Apple's Apps and Books for Organizations API v2 (`/mdm/v2/...`), with
 * its own state per location, asynchronous events, notifications, an operator side and
 * injected faults. Used by the tests, the demo, the benches and `orchard simulator`.
 * Facts it follows: docs/APPLE-API.md.
 */
import type { SimContext } from "./context.js";
import { EventEngine } from "./events.js";
import { Faults } from "./faults.js";
import type { Limits } from "./limits.js";
import { Notifier, type SimulatorLogger } from "./notifier.js";
import { createOperator, type SimulatorOperator } from "./operator.js";
import { createPrng } from "./prng.js";
import { buildApp } from "./server.js";
import { World } from "./world.js";

export type { FaultConfig } from "./faults.js";
export type { Limits } from "./limits.js";
export type { SimulatorLogger } from "./notifier.js";
export type { AssetInput, SimulatorOperator } from "./operator.js";
export type { SeedSpec } from "./seed.js";
export { decodeSToken, encodeSToken } from "./stoken.js";

export interface SimulatorOptions {
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  /** Delay before an accepted event is applied, in ms (default 50; 0 = next tick). */
  eventDelayMs?: number;
  /** Seed of every generated id and injected fault (default 1). */
  seed?: number;
  /** Clock for token expiry (default the real clock). */
  now?: () => Date;
  /** Assignments and users per page (default 1000). */
  pageSize?: number;
  logger?: SimulatorLogger;
  // Extensions:
  /** Assets per page of GET /assets (default 100). */
  assetPageSize?: number;
  /** Limits to advertise and enforce instead of Apple's example values. */
  limits?: Partial<Limits>;
  /** Enforce maxRequestPerSecond per location with 429 / 9646 (default true, as Apple). */
  enforceRateLimit?: boolean;
  /** Wait between notification attempts, times the attempt number, in ms (default 200). */
  notificationRetryDelayMs?: number;
  /** Timeout of one notification POST, in ms (default 5000). */
  notificationTimeoutMs?: number;
  /** Plain-HTTP notification URLs accepted besides HTTPS (default "loopback"). */
  insecureNotificationUrls?: "loopback" | "any" | "none";
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:PORT/mdm/v2, no trailing slash. */
  url: string;
  origin: string;
  operator: SimulatorOperator;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const seed = options.seed ?? 1;
  // Separate streams, so that ids do not shift when fault draws change, and vice versa.
  const ids = createPrng(seed);
  const faults = new Faults(createPrng(seed ^ 0x9e3779b9));
  const world = new World(options.now ?? (() => new Date()), ids, options.limits);
  const notifier = new Notifier({
    faults,
    ids,
    logger: options.logger,
    retryDelayMs: options.notificationRetryDelayMs ?? 200,
    timeoutMs: options.notificationTimeoutMs ?? 5000,
  });
  let origin = "";
  const ctx: SimContext = {
    world,
    events: new EventEngine({
      delayMs: Math.max(0, options.eventDelayMs ?? 50),
      ids,
      faults,
      logger: options.logger,
    }),
    notifier,
    faults,
    logger: options.logger,
    pageSize: positive(options.pageSize ?? 1000, "pageSize"),
    assetPageSize: positive(options.assetPageSize ?? 100, "assetPageSize"),
    insecureNotificationUrls: options.insecureNotificationUrls ?? "loopback",
    origin: () => origin,
    requests: new Map(),
    locations: new WeakMap(),
  };
  const operator = createOperator(ctx);
  const app = buildApp(ctx, operator, options.enforceRateLimit ?? true);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  options.logger?.info({ origin }, "Apple Apps and Books simulator listening");
  return {
    url: `${origin}/mdm/v2`,
    origin,
    operator,
    async close() {
      ctx.events.close();
      await notifier.close();
      await app.close();
    },
  };
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1`);
  return n;
}
