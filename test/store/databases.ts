import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type Database, migrate, openDatabase, type Store } from "../../src/store/index.js";
import { PGLITE_EXTENSIONS } from "../../src/store/open.js";
import { PGliteDialect } from "../../src/store/pglite-dialect.js";

/**
 * The same store tests on both engines: each test file gets a fresh database per
 * engine. PGlite starts from a migrated template tarball (seconds saved per file);
 * PostgreSQL (when TEST_DATABASE_URL is set) gets `CREATE DATABASE ... TEMPLATE` of a
 * migrated template database, dropped after the file.
 */
export type Engine = "pglite" | "postgres";

export interface TestDatabase {
  engine: Engine;
  store: Store;
  /** PostgreSQL only: the URL of this file's database (for extra pools). */
  url?: string;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
/** A fixed test key: tests compare ciphertexts and reopen databases. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString("base64");

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), "../../src/store/migrations");

function schemaHash(): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(migrationsDir).sort())
    hash.update(name).update(readFileSync(join(migrationsDir, name)));
  return hash.digest("hex").slice(0, 12);
}

/**
 * Runs `body` once per engine; the PostgreSQL run is skipped, visibly, without TEST_DATABASE_URL.
 * Each run has a database of its own, unless `shared` (a file's `sharedDatabases()`) gives it
 * the one its other suites use.
 */
export function describeEachDatabase(title: string, body: (db: () => TestDatabase) => void): void;
export function describeEachDatabase(
  title: string,
  shared: SharedDatabases,
  body: (db: () => TestDatabase) => void,
): void;
export function describeEachDatabase(
  title: string,
  sharedOrBody: SharedDatabases | ((db: () => TestDatabase) => void),
  bodyAfterShared?: (db: () => TestDatabase) => void,
): void {
  const shared = typeof sharedOrBody === "function" ? undefined : sharedOrBody;
  const body = typeof sharedOrBody === "function" ? sharedOrBody : bodyAfterShared;
  if (!body) throw new Error("describeEachDatabase needs a body");
  for (const engine of ["pglite", "postgres"] as const) {
    const skip = engine === "postgres" && !TEST_DATABASE_URL;
    describe(`${title} [${engine}]`, () => {
      if (skip) {
        it.skip("PostgreSQL variant skipped: TEST_DATABASE_URL is unset (CI always sets it)", () => {});
        return;
      }
      let current: TestDatabase | undefined;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (shared) {
          current = await shared.open(engine);
          return;
        }
        const opened = await openTest(engine);
        current = opened.db;
        drop = opened.drop;
      });
      afterAll(async () => {
        if (shared) return; // closed after the file
        await current?.store.close();
        await drop?.();
      });
      body(() => {
        if (!current) throw new Error("the test database is not open yet");
        return current;
      });
    });
  }
}

export interface SharedDatabases {
  open(engine: Engine): Promise<TestDatabase>;
}

/**
 * One database per engine for the suites of a file that pass it to `describeEachDatabase`:
 * for suites whose tests make fixtures of their own (a space each, as test/api/harness.ts's
 * `buildFixture` does) and read nothing outside them. Opened by the first suite, closed
 * after the file (call this at the top of the file). A database a suite opened took ~1 s.
 */
export function sharedDatabases(): SharedDatabases {
  const opened = new Map<Engine, Promise<{ db: TestDatabase; drop?: () => Promise<void> }>>();
  afterAll(async () => {
    for (const database of opened.values()) {
      const { db, drop } = await database.catch(() => ({ db: undefined, drop: undefined }));
      await db?.store.close();
      await drop?.();
    }
  });
  return {
    async open(engine) {
      let database = opened.get(engine);
      if (!database) {
        database = openTest(engine);
        opened.set(engine, database);
      }
      return (await database).db;
    },
  };
}

function openTest(engine: Engine): Promise<{ db: TestDatabase; drop?: () => Promise<void> }> {
  return engine === "pglite" ? openPGliteTest() : openPostgresTest();
}

/**
 * A migrated PGlite data folder, built once per schema and kept in the temporary folder, and
 * read from there once per process: a worker runs many files (vitest.config.ts, isolate: false)
 * and reading the 40 MB tarball into a new Blob cost half a second each time. A Blob never
 * changes: every PGlite copies what it loads from it.
 */
export function pgliteTemplate(): Promise<Blob> {
  return keptDataDir(
    `orchard-pglite-template-${schemaHash()}.tar`,
    /^orchard-pglite-template-[0-9a-f]+\.tar$/,
    async () => {
      const pglite = new PGlite("memory://", { extensions: PGLITE_EXTENSIONS });
      const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
      await migrate(db);
      const dump = await pglite.dumpDataDir("none");
      await db.destroy();
      return dump;
    },
  );
}

/**
 * A new, empty (never migrated) PGlite data folder, as `openDatabase({ memory: true })` makes
 * one (initdb, 1 MB WAL segments), built once per PGlite version and kept as the template is:
 * initdb took 5 to 9 s a database. For suites about PGlite's database itself or about
 * migrating an empty one; load it with `loadDataDir` (or `openDatabase`'s `pgliteTemplate`).
 */
export function emptyPGliteDataDir(): Promise<Blob> {
  return keptDataDir(
    `orchard-pglite-empty-${pgliteVersion()}.tar`,
    /^orchard-pglite-empty-.+\.tar$/,
    async () => {
      const pglite = new PGlite("memory://", { initDbStartParams: ["--wal-segsize=1"] });
      try {
        await pglite.waitReady; // a dump asked for before hangs
        return await pglite.dumpDataDir("none");
      } finally {
        await pglite.close();
      }
    },
  );
}

const keptDataDirs = new Map<string, Promise<Blob>>();

/**
 * The data folder tarball `name` in the temporary folder, made by `build` when missing (then
 * the older ones, whose names `stale` matches, are removed: tens of MB each), read once per
 * process.
 */
function keptDataDir(name: string, stale: RegExp, build: () => Promise<Blob>): Promise<Blob> {
  const path = join(tmpdir(), name);
  let kept = keptDataDirs.get(path);
  if (!kept) {
    kept = (async () => {
      if (!existsSync(path)) {
        const dump = await build();
        // Write then rename: a parallel test file never reads half a tarball.
        const partial = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`;
        writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
        renameSync(partial, path);
        for (const other of readdirSync(tmpdir())) {
          if (stale.test(other) && join(tmpdir(), other) !== path)
            rmSync(join(tmpdir(), other), { force: true });
        }
      }
      return new TarballBlob(readFileSync(path));
    })();
    keptDataDirs.set(path, kept);
    kept.catch(() => keptDataDirs.delete(path));
  }
  return kept;
}

/**
 * A Blob of a tarball that hands out its bytes as they are: PGlite reads a data folder with
 * `arrayBuffer()`, which Node 20's Blob answers by reading itself in small chunks and joining
 * them (~0.4 s for 40 MB, each time a database is opened; a copy of the bytes, ~0.2 s). PGlite
 * only reads them: it untars them into its file system, which copies each file.
 */
class TarballBlob extends Blob {
  readonly #bytes: ArrayBuffer;
  constructor(bytes: Uint8Array) {
    super([bytes], { type: "application/x-tar" });
    this.#bytes = new Uint8Array(bytes).buffer; // a Buffer's may hold more than its bytes
  }
  override async arrayBuffer(): Promise<ArrayBuffer> {
    return this.#bytes;
  }
}

function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  const pkg = JSON.parse(readFileSync(join(dirname(entry), "..", "package.json"), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

async function openPGliteTest(): Promise<{ db: TestDatabase; drop?: () => Promise<void> }> {
  const store = await openDatabase({
    memory: true,
    secretKey: TEST_SECRET_KEY,
    pgliteTemplate: await pgliteTemplate(),
  });
  return { db: { engine: "pglite", store } };
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function openPostgresTest(): Promise<{ db: TestDatabase; drop: () => Promise<void> }> {
  const { url, drop } = await freshPostgresDatabase();
  const store = await openDatabase({
    databaseUrl: url,
    memory: true,
    secretKey: TEST_SECRET_KEY,
    poolSize: 20,
  });
  return { db: { engine: "postgres", store, url }, drop };
}

/**
 * A new database on TEST_DATABASE_URL's server, migrated (a copy of the migrated template),
 * and how to drop it: for store suites, and for CLI suites whose `orchard` runs over it.
 */
export async function freshPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = TEST_DATABASE_URL ?? "";
  const template = `orchard_tpl_${schemaHash()}`;
  const name = `orchard_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    // One file builds the template; the others wait for it rather than copy half a schema.
    await admin.query("SELECT pg_advisory_lock(727274)");
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${template}`);
      const store = await openDatabase({
        databaseUrl: withDatabase(adminUrl, template),
        memory: true,
        poolSize: 1,
      });
      await store.close();
      // Templates of older schemas: nobody copies them while we hold the lock.
      const old = await admin.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname LIKE 'orchard_tpl_%' AND datname <> $1",
        [template],
      );
      for (const { datname } of old.rows)
        await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    }
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    // A commit does not wait for its WAL to reach the disk (3-4 ms each here): what the tests
    // see is the same (visibility, locks, order); only a crash of the server could lose the
    // last commits, and these databases are dropped after their file.
    await admin.query(`ALTER DATABASE ${name} SET synchronous_commit = off`);
  } finally {
    await admin.query("SELECT pg_advisory_unlock(727274)").catch(() => {});
    await admin.end();
  }
  const drop = async () => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  };
  return { url: withDatabase(adminUrl, name), drop };
}
