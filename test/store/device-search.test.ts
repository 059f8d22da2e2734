import { randomBytes, randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import {
  CompiledQuery,
  createQueryId,
  Kysely,
  Migrator,
  PostgresDialect,
  type RootOperationNode,
  sql,
} from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { listDevicesView } from "../../src/store/directory.repo.js";
import type { Database } from "../../src/store/index.js";
import { deviceIdentity } from "../../src/store/migrations/0050_device_identity.js";
import { PGliteDialect } from "../../src/store/pglite-dialect.js";
import { describeEachDatabase, emptyPGliteDataDir, TEST_DATABASE_URL } from "./databases.js";

/**
 * The plans of the statements `run` sends, each with its own parameters, on one connection
 * where a sequential scan is the last resort: the plan then shows whether the indexes can
 * serve the statement at all, whatever the planner's statistics of the moment prefer (PGlite
 * in a loaded CI estimated a scan cheaper).
 */
async function plansOf(
  db: Kysely<Database>,
  run: (db: Kysely<Database>) => Promise<unknown>,
): Promise<string[]> {
  const sent: RootOperationNode[] = [];
  await run(
    db.withPlugin({
      transformQuery: (args) => {
        sent.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    }),
  );
  return db.connection().execute(async (connection) => {
    const plans: string[] = [];
    await sql`set enable_seqscan = off`.execute(connection);
    try {
      for (const node of sent) {
        const query = connection.getExecutor().compileQuery(node, createQueryId());
        const { rows } = await connection.executeQuery<{ "QUERY PLAN": string }>(
          CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
        );
        plans.push(rows.map((r) => r["QUERY PLAN"]).join("\n"));
      }
    } finally {
      await sql`reset enable_seqscan`.execute(connection);
    }
    return plans;
  });
}

/**
 * 0050: the devices search (`q`) matches the serial number and the name anywhere in them, in
 * any case: pg_trgm's indexes serve it, so a search in a space of many devices reads the
 * devices it finds, not the space's every one (about 200 ms for 100,000, on each of the
 * page and its count, without them).
 */
describeEachDatabase("devices search by serial number and name (0050)", (database) => {
  it("a search reads the devices it finds by index (pg_trgm), the page and its count alike", async () => {
    const { db } = database().store;
    const space = `s-${randomUUID()}`;
    const other = `${space}-other`;
    for (const id of [space, other])
      await sql`insert into spaces (id, name) values (${id}, ${id})`.execute(db);
    // A space of 100,000 devices, two thirds of them named (the scale the indexes are for: on a
    // few thousand, reading the space is cheaper and the planner rightly does); another
    // space's devices are named alike.
    await sql`insert into devices (space_id, id, serial_number, platform, name)
      select ${space}, 'd' || i, 'C02D' || lpad(i::text, 6, '0'), 'iOS',
        case when i % 3 = 0 then null else 'Classroom iPad ' || i end
      from generate_series(1, 100000) i`.execute(db);
    await sql`insert into devices (space_id, id, serial_number, platform, name)
      select ${other}, 'd' || i, 'X' || lpad(i::text, 6, '0'), 'iOS', 'Classroom iPad ' || i
      from generate_series(1, 2000) i`.execute(db);
    await sql`analyze devices`.execute(db);

    const search = (q: string) => (d: Kysely<Database>) =>
      listDevicesView(d, space, {}, { page: 1, pageSize: 50, order: "asc", q });
    for (const q of ["classroom ipad 4241", "C02D004242"]) {
      const plans = await plansOf(db, search(q));
      expect(plans).toHaveLength(2); // the count, then the page
      for (const plan of plans) {
        expect(plan, q).toMatch(/Bitmap Index Scan on devices_name_search/);
        expect(plan, q).toMatch(/Bitmap Index Scan on devices_serial_search/);
        expect(plan, q).not.toMatch(/Seq Scan/);
      }
    }
    // And it finds them: by name (in any case), by serial number.
    const found = await search("CLASSROOM IPAD 42410")(db);
    expect(found.items.map((d) => d.name)).toEqual(["Classroom iPad 42410"]);
    expect((await search("c02d004242")(db)).items.map((d) => d.name)).toEqual([undefined]);
  });
});

/**
 * Where pg_trgm cannot be created (a server without PostgreSQL's contrib, a role not allowed
 * to), 0050 still adds the columns, leaves the search unindexed, and says so with the
 * statements to run later; the rest of the migration's transaction goes on.
 */
describe("0050 without pg_trgm", () => {
  const legacyDevices = sql`create table devices (space_id text not null, id text not null,
    serial_number text not null, primary key (space_id, id))`;
  const migrateAlone = async (db: Kysely<unknown>) => {
    const said: string[] = [];
    const migrator = new Migrator({
      db,
      provider: {
        getMigrations: async () => ({ "0050_device_identity": deviceIdentity((l) => said.push(l)) }),
      },
    });
    const { error, results } = await migrator.migrateToLatest();
    expect(error).toBeUndefined();
    expect(results?.map((r) => r.status)).toEqual(["Success"]);
    const columns = await sql<{ column_name: string }>`select column_name from information_schema.columns
      where table_name = 'devices' and table_schema = current_schema() order by column_name`.execute(db);
    expect(columns.rows.map((r) => r.column_name)).toEqual(
      expect.arrayContaining(["name", "model", "os_version"]),
    );
    const indexes = await sql<{ indexname: string }>`select indexname from pg_indexes
      where tablename = 'devices' and schemaname = current_schema()`.execute(db);
    expect(indexes.rows.map((r) => r.indexname)).not.toContain("devices_name_search");
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^0050_device_identity: the devices search by serial number and name is not indexed: /,
    );
    expect(said[0]).toContain("CREATE INDEX devices_name_search ON devices USING gin");
    return said[0] ?? "";
  };

  it("PGlite without the extension loaded: the columns, no index, and why", async () => {
    const pglite = new PGlite("memory://", { loadDataDir: await emptyPGliteDataDir() });
    const db = new Kysely<unknown>({ dialect: new PGliteDialect(pglite) });
    try {
      await legacyDevices.execute(db);
      expect(await migrateAlone(db)).toContain("this server has no pg_trgm extension");
    } finally {
      await db.destroy();
    }
  });

  it.skipIf(!TEST_DATABASE_URL)(
    "PostgreSQL, a role not allowed to create it: refused, undone to its savepoint, and the migration commits",
    async () => {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      const suffix = randomBytes(4).toString("hex");
      const name = `orchard_notrgm_${suffix}`;
      const role = `orchard_plain_${suffix}`;
      try {
        await admin.query(`create database ${name}`);
        await admin.query(`create role ${role} login password 'plain'`);
        const owner = new URL(TEST_DATABASE_URL ?? "");
        owner.pathname = `/${name}`;
        const setUp = new pg.Client({ connectionString: owner.toString() });
        await setUp.connect();
        // The role owns its schema, not the database: it may not create an extension there.
        await setUp.query(`create schema ${role} authorization ${role}`);
        await setUp.end();
        const url = new URL(owner);
        url.username = role;
        url.password = "plain";
        const db = new Kysely<unknown>({
          dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 1 }) }),
        });
        try {
          await legacyDevices.execute(db);
          expect(await migrateAlone(db)).toMatch(/creating pg_trgm was refused \(permission denied/);
        } finally {
          await db.destroy();
        }
      } finally {
        await admin.query(`drop database if exists ${name}`);
        await admin.query(`drop role if exists ${role}`);
        await admin.end();
      }
    },
  );
});
