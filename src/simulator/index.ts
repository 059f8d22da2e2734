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
import { readStateFile, StateSaver, unusableStateFile } from "./persistence.js";
import { createPrng } from "./prng.js";
import { buildApp } from "./server.js";
import { encodeState } from "./state-json.js";
import { captureWorld, restoreWorld } from "./state-world.js";
import { trackChanges } from "./tracked-operator.js";
import { World } from "./world.js";

export type { FaultConfig, SubjectFault } from "./faults.js";
export type { Limits } from "./limits.js";
export type { SimulatorLogger } from "./notifier.js";
export type { AssetInput, SimulatorOperator } from "./operator.js";
export { StateFileError } from "./persistence.js";
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
  /**
   * A JSON file holding the state (locations, tokens, assets, users, assignments, events,
   * client config, limits, id streams): loaded at start when it exists (a damaged or
   * foreign file is refused with StateFileError), saved at most every `stateSaveDelayMs`
   * after a change and on close. Saved state wins over `limits` and `seed`. Faults,
   * request counts and undelivered notifications are not saved. Events still pending at
   * close are completed before the final save; ones pending at a crash load as FAILED 9603.
   */
  stateFile?: string;
  /** Debounce of state-file saves, in ms (default 500). */
  stateSaveDelayMs?: number;
}

export interface RunningSimulator {
  /** e.g. http://127.0.0.1:PORT/mdm/v2, no trailing slash. */
  url: string;
  origin: string;
  operator: SimulatorOperator;
  /** Writes the state file now (resolves at once without `stateFile`). */
  save(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const seed = options.seed ?? 1;
  const { stateFile } = options;
  const saved = stateFile ? await readStateFile(stateFile) : undefined;
  // Separate streams, so that ids do not shift when fault draws change, and vice versa.
  const ids = createPrng(seed, saved?.prng.ids);
  const faultDraws = createPrng(seed ^ 0x9e3779b9, saved?.prng.faults);
  const faults = new Faults(faultDraws);
  const world = new World(options.now ?? (() => new Date()), ids, saved?.limits ?? options.limits);
  if (stateFile && saved) {
    try {
      restoreWorld(world, saved);
    } catch (error) {
      throw unusableStateFile(stateFile, error);
    }
  }
  const saver = stateFile
    ? new StateSaver({
        file: stateFile,
        encode: () =>
          encodeState(captureWorld(world, { ids: ids.state(), faults: faultDraws.state() }), new Date()),
        delayMs: Math.max(0, options.stateSaveDelayMs ?? 500),
        logger: options.logger,
      })
    : undefined;
  const changed = saver ? () => saver.changed() : undefined;
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
      onChange: changed,
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
    changed,
  };
  const operator = changed ? trackChanges(createOperator(ctx), changed) : createOperator(ctx);
  const app = buildApp(ctx, operator, options.enforceRateLimit ?? true);
  const host = options.host ?? "127.0.0.1";
  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 0);
  origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  options.logger?.info({ origin, stateFile }, "Apple Apps and Books simulator listening");
  return {
    url: `${origin}/mdm/v2`,
    origin,
    operator,
    save: async () => saver?.save(true),
    async close() {
      if (!saver) {
        ctx.events.close();
        await notifier.close();
        await app.close();
        return;
      }
      // No new requests, then apply what was accepted, so the saved state has no PENDING event.
      await app.close();
      ctx.events.flush();
      ctx.events.close();
      await notifier.close();
      await saver.close();
    },
  };
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a whole number >= 1`);
  return n;
}
