import { type Kysely, type MigrationResult, Migrator } from "kysely";
import { settleFeedAfterRestore } from "./activity.repo.js";
import type { Db } from "./database.js";
import { StoreError } from "./errors.js";
import { migrations } from "./migrations/index.js";

/**
 * Brings the schema up to date (idempotent: applied migrations are skipped), then mends
 * what a restore into another cluster leaves (settleFeedAfterRestore). Called by
 * `openDatabase` and by `orchard migrate`. Kysely's migrator takes a lock, so several
 * processes starting at once apply each migration once.
 */
export async function migrate<DB>(db: Kysely<DB>): Promise<MigrationResult[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const newer = /previously executed migration (\S+) is missing/.exec(String(error));
    if (newer)
      throw new StoreError(
        "schema_newer",
        `this database was migrated by a newer Orchard (its migration ${newer[1]} is unknown to this build): run that version or a later one`,
        { migration: newer[1] },
        { cause: error },
      );
    throw new Error("migrating the database", { cause: error });
  }
  await settleFeedAfterRestore(db as unknown as Db);
  return results ?? [];
}
