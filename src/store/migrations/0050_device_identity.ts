import { type Kysely, type Migration, sql } from "kysely";
import type { MigrationReport } from "./0026_device_serials.js";
import { runStatements } from "./run-statements.js";

/**
 * Devices as their administrators know them: a name ("Classroom iPad 12"), a model ("iPad
 * (10th generation)", or Apple's product name "iPad13,18") and an OS version ("17.5.1"), each
 * null until the MDM says (device create, bulk, PATCH, check-in; `orchard import`).
 *
 * The devices list's search (`q`) matches the serial number and the name anywhere in them, in
 * any case (`ilike '%…%'`), which no B-tree serves: without an index, each search reads the
 * space's every device, twice (the page and its count: about 200 ms for 100,000 devices on
 * either engine). pg_trgm's GIN indexes serve it (a few ms). pg_trgm ships with PostgreSQL
 * (contrib) and is trusted since PostgreSQL 13, so the database's owner may create it; PGlite
 * has it as an extension Orchard loads (open.ts). Where it cannot be created (an older
 * server, a hosted one that does not allow it), the columns are still added and the search
 * still works, unindexed: the migration says so and how to add the indexes later.
 */
const columns = [
  `ALTER TABLE devices ADD COLUMN name text`,
  `ALTER TABLE devices ADD COLUMN model text`,
  `ALTER TABLE devices ADD COLUMN os_version text`,
];

/** The search's indexes, with pg_trgm's operator class in the schema the extension is in. */
const searchIndexes = (schema: string) => {
  const ops = `"${schema.replaceAll('"', '""')}".gin_trgm_ops`;
  return [
    `CREATE INDEX devices_serial_search ON devices USING gin (serial_number ${ops})`,
    // Devices without a name (most, until their MDM says) take no room: `name ilike` implies a name.
    `CREATE INDEX devices_name_search ON devices USING gin (name ${ops}) WHERE name IS NOT NULL`,
  ];
};

/** Where the migration says what it could not do: the process's standard error. */
const toStderr: MigrationReport = (line) => process.stderr.write(`${line}\n`);

export function deviceIdentity(report: MigrationReport = toStderr): Migration {
  return {
    up: async (db) => {
      await runStatements(db, columns);
      const trgm = await trigramSchema(db);
      if ("schema" in trgm) {
        await runStatements(db, searchIndexes(trgm.schema));
        return;
      }
      report(
        `0050_device_identity: the devices search by serial number and name is not indexed: ${trgm.why}. ` +
          `It works, reading every device of the space; to index it, once pg_trgm can be created: ` +
          `CREATE EXTENSION pg_trgm; ${searchIndexes("public").join("; ")}`,
      );
    },
  };
}

/**
 * The schema pg_trgm is in, created here when the server has it and the role may; else why
 * not. Migrations run in one transaction: a refused CREATE EXTENSION is undone to its
 * savepoint, so the rest of the migration goes on.
 */
async function trigramSchema(db: Kysely<unknown>): Promise<{ schema: string } | { why: string }> {
  const installed = async () =>
    (
      await sql<{ schema: string }>`
        select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname = 'pg_trgm'`.execute(db)
    ).rows[0];
  const found = await installed();
  if (found) return found;
  const available = await sql`select 1 from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (available.rows.length === 0)
    return { why: "this server has no pg_trgm extension (PostgreSQL's contrib)" };
  await sql`savepoint orchard_pg_trgm`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`release savepoint orchard_pg_trgm`.execute(db);
  } catch (error) {
    await sql`rollback to savepoint orchard_pg_trgm`.execute(db);
    return {
      why: `creating pg_trgm was refused (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  return (await installed()) ?? { why: "pg_trgm was created, then not found" };
}
