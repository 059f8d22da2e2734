/**
 * What the sync engine runs on, passed in by the composition root (`orchard worker`,
 * `orchard serve`, tests): the database, the key ring, Apple's base URL, our MDM
 * identity, the clock and sleep, and the ports it sends through (MDM commands,
 * notification channels). Nothing here reads the environment.
 */
import type { FetchLike, MdmInfo, RetryPolicy } from "../apple/index.js";
import type { MdmCommand } from "../licensing/index.js";
import type { Db, KeyRing } from "../store/index.js";
import { type AppleClients, createAppleClients } from "./apple-clients.js";
import type { NotificationChannel } from "./channels.js";
import { watchEnvelopes } from "./health.js";

/**
 * The MDM's outbound port for install/remove commands (RV3: remove at the end of grace).
 * `src/mdm/` binds the real adapters.
 */
export interface MdmCommandSink {
  send(commands: readonly MdmCommand[]): Promise<void>;
}

/** pino-compatible. */
export interface SyncLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  debug?(fields: Record<string, unknown>, message: string): void;
}

export interface SyncTuning {
  /** Between two /status polls of a pending event (Apple: at least 30 s). */
  pollIntervalMs: number;
  /** First /status look after a call: notifications usually come first (Apple: poll after 5 minutes without one). */
  firstPollMs: number;
  /** Apple: an event still PENDING after 10 minutes is sent again. */
  eventRetryAfterMs: number;
  /** How long a worker's claim on outbox rows lasts before another may take them. */
  leaseMs: number;
  /** Rows claimed per round: a multiple of Apple's 1,000 subjects per call keeps calls full. */
  claimLimit: number;
  /** Wait before retrying a call Apple refused for now (429/5xx without Retry-After). */
  retryDelayMs: number;
  appleRetry?: Partial<RetryPolicy>;
  /** Apple client timeout per request. */
  appleTimeoutMs?: number;
}

export const defaultTuning: SyncTuning = {
  pollIntervalMs: 30_000,
  firstPollMs: 30_000,
  eventRetryAfterMs: 10 * 60_000,
  leaseMs: 5 * 60_000,
  claimLimit: 10_000,
  retryDelayMs: 5_000,
};

export interface SyncDepsInput {
  db: Db;
  keys: KeyRing;
  appleBaseUrl: string;
  /** Written to each location's client config, and checked there (AC6). */
  mdmInfo: MdmInfo;
  /** Where Apple can reach `/api/v1/apple/notifications/:accountId`; unset, /status polling only. */
  publicBaseUrl?: string;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  logger?: SyncLogger;
  mdm?: MdmCommandSink;
  channels?: readonly NotificationChannel[];
  fetch?: FetchLike;
  tuning?: Partial<SyncTuning>;
}

export interface SyncDeps {
  db: Db;
  keys: KeyRing;
  mdmInfo: MdmInfo;
  publicBaseUrl: string | undefined;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  logger: SyncLogger;
  mdm: MdmCommandSink | undefined;
  channels: readonly NotificationChannel[];
  tuning: SyncTuning;
  apple: AppleClients;
}

const silent: SyncLogger = { info() {}, warn() {}, error() {} };

export function makeSyncDeps(input: SyncDepsInput): SyncDeps {
  const now = input.now ?? (() => new Date());
  const sleep = input.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const logger = input.logger ?? silent;
  const tuning = { ...defaultTuning, ...input.tuning };
  const deps: SyncDeps = {
    db: input.db,
    keys: input.keys,
    mdmInfo: input.mdmInfo,
    publicBaseUrl: input.publicBaseUrl?.replace(/\/+$/, ""),
    now,
    sleep,
    logger,
    mdm: input.mdm,
    channels: input.channels ?? [],
    tuning,
    apple: createAppleClients({
      db: input.db,
      keys: input.keys,
      baseUrl: input.appleBaseUrl,
      mdmInfo: input.mdmInfo,
      now,
      sleep,
      logger,
      fetch: input.fetch,
      retry: tuning.appleRetry,
      timeoutMs: tuning.appleTimeoutMs,
    }),
  };
  // Every Apple response tells the token's location and expiry: watched wherever the engine runs.
  watchEnvelopes(deps);
  return deps;
}

/** Orchard's own actor for work the engine does by itself (invariant 4). */
export const SYSTEM = { kind: "system" } as const;
export const APPLE = { kind: "apple" } as const;
