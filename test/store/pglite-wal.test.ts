import { sql } from "kysely";
import { expect, it } from "vitest";
import { openDatabase } from "../../src/store/index.js";
import { emptyPGliteDataDir, TEST_SECRET_KEY } from "./databases.js";

const MB = 1024 * 1024;

it("PGlite's WAL stays bounded: the driver checkpoints as PostgreSQL's checkpointer would (PGlite has none)", async () => {
  // A new database in memory as `openDatabase` makes one (a copy: initdb took seconds), without
  // Orchard's schema: the WAL here is the test's own table's.
  const store = await openDatabase({
    memory: true,
    secretKey: TEST_SECRET_KEY,
    pgliteTemplate: await emptyPGliteDataDir(),
    skipMigrations: true,
  });
  try {
    const { db } = store;
    const lsn = async () =>
      (
        await sql<{ at: number; since: number }>`select
          (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::float8 as at,
          (pg_current_wal_insert_lsn() - redo_lsn)::float8 as since
        from pg_control_checkpoint()`.execute(db)
      ).rows[0] ?? { at: 0, since: 0 };
    const start = await lsn();
    await sql`create table wal_fill (x text)`.execute(db);
    // Stored as written (no compression), so the WAL holds what was inserted.
    await sql`alter table wal_fill alter column x set storage external`.execute(db);
    // About 120 MB of WAL over a few seconds (the driver looks at most once a second).
    for (let round = 0; round < 30; round++) {
      await sql`insert into wal_fill select repeat(md5(g::text), 125) from generate_series(1, 1000) g`.execute(
        db,
      );
      await new Promise((r) => setTimeout(r, 120));
    }
    const end = await lsn();
    expect(end.at - start.at).toBeGreaterThan(100 * MB);
    // Without the checkpoints, everything since the start would still be in the WAL.
    expect(end.since).toBeLessThan(64 * MB);
  } finally {
    await store.close();
  }
}, 60_000);
