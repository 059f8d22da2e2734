import { join } from "node:path";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { publishAppVersion, requestLicensesFor } from "../mdm/index.js";
import type { ServiceDeps } from "../service/deps.js";
import type { RunningSimulator } from "../simulator/index.js";
import { onListedAdopted } from "../store/adopt-listed.repo.js";
import { type FreedSeats, onSeatsFreed, openDatabase, type Store } from "../store/index.js";
import { serveAdopted } from "../sync/adopt.js";
import { syncDepsFromConfig } from "../sync/from-config.js";
import { type SyncDeps, serveQueue } from "../sync/index.js";
import { mdmDirectoryOps, mdmLicenseOps } from "./mdm-bindings.js";
import { queueingMdmSink } from "./mdm-sink.js";
import { syncAccountOps } from "./sync-bindings.js";

/** Everything a process of Orchard runs on: server, worker and CLI open the same. */
export interface Core {
  config: Config;
  store: Store;
  deps: ServiceDeps;
  sync: SyncDeps;
  /** Apple's service: APPLE_BASE_URL, or the built-in simulator. */
  appleBaseUrl: string;
  simulator?: RunningSimulator;
  close(): Promise<void>;
}

export interface CoreOptions {
  /** PGlite in memory and a simulator without a state file (tests, benches). */
  memory?: boolean;
  /** With `memory`: a migrated PGlite data folder to start from (tests: no migrations to run). */
  pgliteTemplate?: Blob;
  now?: () => Date;
  logger?: Logger;
}

/**
 * The one composition root of the domain: the store (PGlite or PostgreSQL), Apple (the
 * configured service, else the built-in simulator, its state kept next to the data),
 * the sync engine, and the use cases' ports bound to src/sync and src/mdm.
 */
export async function openCore(config: Config, options: CoreOptions = {}): Promise<Core> {
  const store = await openDatabase({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.reveal() } : {}),
    dataDir: config.dataDir,
    ...(config.secretKey ? { secretKey: config.secretKey.reveal() } : {}),
    ...(options.memory ? { memory: true } : {}),
    ...(options.pgliteTemplate ? { pgliteTemplate: options.pgliteTemplate } : {}),
  });
  let simulator: RunningSimulator | undefined;
  try {
    // Loaded only when used: a command talking to Apple (APPLE_BASE_URL) never loads it.
    if (!config.appleBaseUrl) {
      const { startSimulator } = await import("../simulator/index.js");
      simulator = await startSimulator({
        port: 0,
        ...(options.memory ? {} : { stateFile: join(config.dataDir, "simulator-state.json") }),
      });
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  const appleBaseUrl = config.appleBaseUrl ?? simulator?.url ?? "";
  const now = options.now ?? (() => new Date());
  const sync = syncDepsFromConfig(config, store, {
    appleBaseUrl,
    mdm: queueingMdmSink(store.db, now),
    // Waiting requests granted later get their install commands too (DB2, UB4).
    allocate: (request) => requestLicensesFor({ db: store.db, now }, request),
    onNewVersion: (version) => publishAppVersion({ db: store.db, now }, version),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const stopServing = servingQueues(store.db, sync);
  const stopServingAdopted = servingAdopted(store.db, sync);
  const deps: ServiceDeps = {
    db: store.db,
    keys: store.keys,
    now,
    accounts: syncAccountOps({ ...sync, now }),
    licenses: mdmLicenseOps,
    directory: mdmDirectoryOps,
  };
  return {
    config,
    store,
    deps,
    sync: { ...sync, now },
    appleBaseUrl,
    ...(simulator ? { simulator } : {}),
    async close() {
      stopServing();
      stopServingAdopted();
      await simulator?.close();
      await store.close();
    },
  };
}

/**
 * DB2: a seat given back at once (a license released before it reached Apple, RV2: by an
 * administrator's revocation, an MDM event, a device moving) serves the app's waiting queue
 * once its transaction has committed, as Apple's confirmation of a release does
 * (sync/effects.ts); the worker's one-minute safety net would otherwise be the next chance.
 */
function servingQueues(db: Store["db"], sync: SyncDeps): () => void {
  return onSeatsFreed(
    db,
    async (freed) => {
      for (const { spaceId, adamId } of freed) {
        await serveQueue(sync, spaceId, adamId).catch((error: unknown) =>
          notServed(error, { spaceId, adamId }),
        );
      }
    },
    notServed,
  );
  function notServed(error: unknown, app?: FreedSeats) {
    sync.logger.warn(
      { ...app, err: String(error) },
      "waiting queue not served; the worker's safety net will",
    );
  }
}

/**
 * AC7, DB2: a device or user that adopted, at its creation, an assignment made outside
 * Orchard (adopt-listed.repo.ts) has its waiting requests for the app decided again: it
 * keeps the license and the MDM installs the app, as a resync's adoption does. An adoption
 * that failed is logged: the device or user stays created, and the next full resync adopts.
 */
function servingAdopted(db: Store["db"], sync: SyncDeps): () => void {
  return onListedAdopted(
    db,
    (spaceId, adopted) => serveAdopted(sync, spaceId, adopted),
    (error: unknown) =>
      sync.logger.warn({ err: String(error) }, "outside assignment not adopted; the next full resync will"),
  );
}
