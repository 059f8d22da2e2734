/**
 * What the sync engine runs on, passed in by the composition root (`orchard worker`,
 * `orchard serve`, tests): the database, the key ring, Apple's base URL, our MDM
 * identity, the clock and sleep, and the ports it sends through (MDM commands,
 * notification channels). Nothing here reads the environment.
 */
import type { AppleAttempt, FetchLike, MdmInfo, RetryPolicy } from "../apple/index.js";
import type { Decision, LicenseRequest, MdmCommand } from "../licensing/index.js";
import { type Actor, type Db, type KeyRing, requestLicenses } from "../store/index.js";
import { type AppleClients, createAppleClients } from "./apple-clients.js";
import type { NotificationChannel } from "./channels.js";
import { watchEnvelopes } from "./health.js";

/**
 * The MDM's outbound port for install/remove commands (RV3: remove at the end of grace).
 * `src/mdm/` binds the real adapters.
 */
export interface MdmCommandSink {
  /** Commands for devices of `spaceId` (device ids are unique per space only). */
  send(commands: readonly MdmCommand[], spaceId: string): Promise<void>;
}

/** Grants a batch of requests for one app (the waiting queue, UB4). */
export type Allocate = (input: {
  spaceId: string;
  adamId: string;
  requests: readonly LicenseRequest[];
  actor: Actor;
  /** The queue's requests being served: those no longer waiting or applying are not decided (no result). */
  served?: boolean;
}) => Promise<
  Array<{
    decision: Decision;
    licenseId?: string;
    /** MA2, DB2: accounts passed over because Apple refused the subject there. */
    appleRefusedAccountIds?: readonly string[];
  }>
>;

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
  /** How waiting requests are granted; default the store's allocation. main binds src/mdm's (which also installs). */
  allocate?: Allocate;
  channels?: readonly NotificationChannel[];
  fetch?: FetchLike;
  tuning?: Partial<SyncTuning>;
  /** The store's metadata lookup (APPLE_METADATA_URL); unset, /service/config's contentMetadataLookup. */
  metadataUrl?: string;
  /** DB4: a newer version of an app was looked up. `src/mdm` binds publishAppVersion. */
  onNewVersion?: OnNewVersion;
  /** Several worker processes over one PostgreSQL: pace each token across all of them. */
  shareRateLimit?: boolean;
  /** Told of each attempt sent to Apple: the composition root binds the process's metrics. */
  onAppleAttempt?: (attempt: AppleAttempt) => void;
}

/** DB4's port: src/sync must not import src/mdm, the composition root binds it. */
export type OnNewVersion = (input: { adamId: string; version: string }) => Promise<unknown>;

export interface SyncDeps {
  db: Db;
  keys: KeyRing;
  mdmInfo: MdmInfo;
  publicBaseUrl: string | undefined;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  logger: SyncLogger;
  mdm: MdmCommandSink | undefined;
  allocate: Allocate;
  channels: readonly NotificationChannel[];
  tuning: SyncTuning;
  apple: AppleClients;
  metadataUrl?: string | undefined;
  onNewVersion?: OnNewVersion | undefined;
  fetch?: FetchLike | undefined;
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
    allocate: input.allocate ?? ((request) => requestLicenses(input.db, { ...request, now: now() })),
    channels: input.channels ?? [],
    tuning,
    metadataUrl: input.metadataUrl,
    onNewVersion: input.onNewVersion,
    fetch: input.fetch,
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
      shareRateLimit: input.shareRateLimit,
      onAttempt: input.onAppleAttempt,
    }),
  };
  // Every Apple response tells the token's location and expiry: watched wherever the engine runs.
  watchEnvelopes(deps);
  return deps;
}

/** Orchard's own actor for work the engine does by itself (invariant 4). */
export const SYSTEM = { kind: "system" } as const;
export const APPLE = { kind: "apple" } as const;
