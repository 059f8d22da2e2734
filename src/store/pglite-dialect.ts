import type { PGlite } from "@electric-sql/pglite";
import {
  AbortedTransactionError,
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { Mutex } from "./mutex.js";
import { fastQuery } from "./pglite-query.js";

/**
 * Kysely over embedded PGlite. PGlite is a single session: the driver hands out its one
 * connection under a mutex, so a transaction owns the session from BEGIN to COMMIT and
 * nothing else interleaves (without this, a rolled-back transaction's rows could be
 * committed by another caller's COMMIT). Code inside a transaction must use `trx`, never
 * the outer handle, or it waits for itself forever.
 */
export class PGliteDialect implements Dialect {
  constructor(
    private readonly pglite: PGlite,
    private readonly options: PGliteDialectOptions = {},
  ) {}

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pglite, this.options.checkpointWalBytes ?? CHECKPOINT_WAL_BYTES);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface is declared with Kysely<any>.
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

export interface PGliteDialectOptions {
  /** WAL written since the last checkpoint beyond which the driver checkpoints (below). Default 32 MB; 0: never. */
  checkpointWalBytes?: number;
}

const CHECKPOINT_WAL_BYTES = 32 * 1024 * 1024;
/** How often, at most, the driver asks how much WAL was written since the last checkpoint. */
const WAL_CHECK_INTERVAL_MS = 1000;

class PGliteDriver implements Driver {
  readonly #mutex = new Mutex();
  readonly #connection: PGliteConnection;
  #release: (() => void) | undefined;
  #lastWalCheck = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly pglite: PGlite,
    private readonly checkpointWalBytes: number,
  ) {
    this.#connection = new PGliteConnection(pglite);
  }

  async init(): Promise<void> {
    await this.pglite.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const release = await this.#mutex.acquire();
    this.#release = release;
    return this.#connection;
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let begin = "begin";
    if (settings.isolationLevel) begin += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) begin += ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(begin));
  }

  async commitTransaction(): Promise<void> {
    // PostgreSQL answers COMMIT of an aborted transaction with a ROLLBACK tag: that is a failure.
    const result = await this.pglite.query("commit");
    if (result.command === "ROLLBACK") throw new AbortedTransactionError();
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async releaseConnection(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    try {
      await this.#checkpointIfDue();
    } finally {
      release?.();
    }
  }

  /**
   * PGlite is PostgreSQL's single-user mode: there is no checkpointer, and max_wal_size never
   * triggers a checkpoint, so the WAL grows until close (2 GB of writes, 2 GB of WAL: in
   * memory, RAM; on disk, pg_wal and the replay after a crash). Between two holders of the
   * session, at most once a second, the driver checkpoints once `checkpointWalBytes` have
   * been written since the last checkpoint, as PostgreSQL does with max_wal_size = 64MB.
   * A checkpoint writes out the dirty shared buffers (a few MB; no fsync in PGlite).
   */
  async #checkpointIfDue(): Promise<void> {
    if (this.checkpointWalBytes <= 0 || this.pglite.closed) return;
    const now = performance.now();
    if (now - this.#lastWalCheck < WAL_CHECK_INTERVAL_MS) return;
    this.#lastWalCheck = now;
    try {
      const { rows } = await this.pglite.query<{ written: number }>(
        "select (pg_current_wal_insert_lsn() - redo_lsn)::float8 as written from pg_control_checkpoint()",
      );
      if ((rows[0]?.written ?? 0) >= this.checkpointWalBytes) await this.pglite.exec("checkpoint");
    } catch {
      // Housekeeping: the next check tries again; the caller's work is done and must not fail.
    }
  }

  async destroy(): Promise<void> {
    // Wait for the current holder so we never close under a running transaction.
    const release = await this.#mutex.acquire();
    try {
      if (!this.pglite.closed) await this.pglite.close();
    } finally {
      release();
    }
  }
}

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly pglite: PGlite) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // One exchange with the backend, the statement prepared once (pglite-query.ts).
    const result = await fastQuery<R>(this.pglite, query.sql, query.parameters);
    const changed =
      result.command === "INSERT" ||
      result.command === "UPDATE" ||
      result.command === "DELETE" ||
      result.command === "MERGE";
    return { rows: result.rows, numAffectedRows: changed ? BigInt(result.rowCount) : undefined };
  }

  // biome-ignore lint/correctness/useYield: streaming is not supported over PGlite.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming queries are not supported on PGlite");
  }
}
