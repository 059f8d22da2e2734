import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { Kysely, type LogConfig, PostgresDialect } from "kysely";
import pg from "pg";
import type { KeyRing } from "./crypto.js";
import { lockDataDir } from "./data-dir-lock.js";
import type { Database } from "./database.js";
import { StoreError } from "./errors.js";
import { loadKeyRing } from "./key-file.js";
import { migrate } from "./migrate.js";
import { PGliteDialect } from "./pglite-dialect.js";

export interface StoreConfig {
  /** postgres://... selects PostgreSQL; unset, embedded PGlite. */
  databaseUrl?: string;
  /** Orchard's data folder: PGlite lives in `<dataDir>/pglite`, the generated key in `<dataDir>/secret.key`. Default ./data. */
  dataDir?: string;
  /** PGlite in memory (tests, demos): nothing is written to disk, not even a key. */
  memory?: boolean;
  /** ORCHARD_SECRET_KEY (32 bytes, base64 or hex); else the key file is used or generated. */
  secretKey?: string;
  previousSecretKeys?: readonly string[];
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
  /** Skip migrations (tests that copy an already-migrated database). Default false. */
  skipMigrations?: boolean;
  /** A PGlite data tarball to start from (tests: a migrated template). */
  pgliteTemplate?: Blob;
  /** Kysely's query log hook (slow-query logging, profiling). Parameters may hold secrets: log SQL text only. */
  log?: LogConfig;
}

export interface Store {
  readonly db: Kysely<Database>;
  readonly engine: "postgres" | "pglite";
  /** Seals and opens sTokens (crypto.ts). */
  readonly keys: KeyRing;
  close(): Promise<void>;
}

const INT8 = 20;
const NUMERIC = 1700;

/**
 * Opens the database, runs pending migrations, and loads the sToken key ring.
 * Counts come back as numbers on both engines (int8 and numeric parsed to number).
 */
export async function openDatabase(config: StoreConfig): Promise<Store> {
  const dataDir = resolve(config.dataDir ?? "./data");
  const keys = loadKeyRing({
    secretKey: config.secretKey,
    previousSecretKeys: config.previousSecretKeys,
    keyFile: config.memory ? undefined : join(dataDir, "secret.key"),
  });
  // PGlite on disk is one process's: another one holding the folder is refused (data-dir-lock.ts).
  const unlock = config.databaseUrl || config.memory ? async () => {} : await lockDataDir(dataDir);
  let db: Kysely<Database>;
  let engine: Store["engine"];
  try {
    ({ db, engine } = config.databaseUrl
      ? {
          db: openPostgres(config.databaseUrl, config.poolSize ?? 10, config.log),
          engine: "postgres" as const,
        }
      : { db: await openPGlite(config, dataDir), engine: "pglite" as const });
  } catch (error) {
    await unlock();
    throw error;
  }
  const close = () => db.destroy().finally(unlock);
  try {
    if (!config.skipMigrations) await migrate(db);
  } catch (error) {
    await close();
    throw error;
  }
  return { db, engine, keys, close };
}

function openPostgres(url: string, max: number, log: LogConfig | undefined): Kysely<Database> {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    Client: ClosingClient,
    // Per pool, not pg's global registry: other code in the process keeps pg's defaults.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client can die (server restart, terminated backend): pg then drops it from the
  // pool and the next query gets a fresh one. Without a listener the 'error' event would
  // crash the process.
  pool.on("error", () => {});
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
}

/**
 * pg 8 keeps the socket of a connection that failed while authenticating (a server asking
 * for a password the URL lacks): it stays open until the server gives up on it (a minute).
 * Closed here as soon as the failure is known, as pg-pool closes one that timed out.
 */
class ClosingClient extends pg.Client {
  override connect(): Promise<pg.Client>;
  override connect(callback: (error: Error | null, client?: pg.Client) => void): void;
  override connect(
    callback?: (error: Error | null, client?: pg.Client) => void,
  ): Promise<pg.Client> | undefined {
    if (!callback) return super.connect();
    super.connect((error: Error | null) => {
      if (error) (this as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      callback(error, this);
    });
    return undefined;
  }
}

/**
 * PostgreSQL settings for PGlite, after PGlite's own (single user, no fsync, no parallel
 * workers). PGlite's WASM heap holds PostgreSQL's shared memory and touches all of it on
 * start, so shared_buffers is resident in full: PostgreSQL's default 128 MB was a third of
 * an idle Orchard. On disk (`orchard serve`) the OS page cache, outside the process, backs a
 * 16 MB pool (a write storm on disk: ~7% more CPU than with 128 MB). In memory every page is
 * also in the in-memory file system, in the same process; 32 MB there keeps the storm bench
 * and the tests as fast as 128 MB did (16 MB slowed the storm's plain INSERTs by ~15%).
 * min/max_wal_size bound the WAL a checkpoint keeps for reuse (PostgreSQL's 80 MB to 1 GB; in
 * memory, RAM); 32 MB is the least min_wal_size a database with 16 MB WAL segments accepts.
 * PGlite never checkpoints by itself: the dialect does (pglite-dialect.ts).
 */
function pgliteStartParams(memory: boolean): string[] {
  const settings = {
    shared_buffers: memory ? "32MB" : "16MB",
    min_wal_size: "32MB",
    max_wal_size: "64MB",
    // Statements are prepared once (pglite-query.ts) but planned for their parameters each
    // time, as PGlite.query did: a generic plan chosen after five runs can be far worse for
    // the parameters of the sixth (the MDM delivery poll went from tens to hundreds of ms).
    plan_cache_mode: "force_custom_plan",
  };
  return [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
}

/**
 * The extensions every PGlite of Orchard loads: pg_trgm indexes the devices search (0050). A
 * database that uses one must always be opened with it (PGlite has no extension of its own).
 */
export const PGLITE_EXTENSIONS = { pg_trgm };

async function openPGlite(config: StoreConfig, dataDir: string): Promise<Kysely<Database>> {
  const memory = config.memory ?? false;
  const folder = join(dataDir, "pglite");
  const existed = !memory && existsSync(join(folder, "PG_VERSION"));
  const pglite = new PGlite(memory ? "memory://" : folder, {
    parsers: { [NUMERIC]: (value: string) => Number(value) },
    extensions: PGLITE_EXTENSIONS,
    loadDataDir: config.pgliteTemplate,
    startParams: pgliteStartParams(memory),
    // A new database in memory gets 1 MB WAL segments: PostgreSQL's 16 MB ones sit in RAM there.
    ...(memory ? { initDbStartParams: ["--wal-segsize=1"] } : {}),
  });
  try {
    await pglite.waitReady;
  } catch (error) {
    if (!existed) throw error;
    // PGlite's own words ("Aborted()", an object) say nothing of the folder or the fix.
    const said = error instanceof Error ? error.message : JSON.stringify(error);
    const why = /^Aborted\(/.test(said ?? "") ? "" : ` (${said})`;
    throw new StoreError(
      "database_unreadable",
      `the embedded database in ${folder} cannot be opened${why}: it is damaged or was written by another PGlite; restore the data folder from a backup`,
      undefined,
      { cause: error },
    );
  }
  return new Kysely<Database>({
    dialect: new PGliteDialect(pglite),
    ...(config.log ? { log: config.log } : {}),
  });
}
