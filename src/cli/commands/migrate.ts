import type { Command } from "commander";
import { loadConfig } from "../../config.js";
import { migrate, openDatabase } from "../../store/index.js";
import { storeConfig } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine } from "../output.js";

/** `orchard migrate`: brings the schema up to date and says which migrations it applied. */
export function registerMigrate(program: Command): void {
  withExamples(
    program
      .command("migrate")
      .description("apply pending database migrations (DATABASE_URL, or PGlite in ORCHARD_DATA_DIR)")
      .option("--json", "print one JSON document on stdout", false),
    ["DATABASE_URL=postgres://orchard@db/orchard orchard migrate"],
  ).action(async (flags: { json: boolean }) => {
    const config = loadConfig();
    // Opened without its automatic migration, so that this command reports what it applied.
    const store = await openDatabase({ ...storeConfig(config), skipMigrations: true });
    try {
      const results = await migrate(store.db);
      const failed = results.find((r) => r.status === "Error");
      if (failed) throw new CliError(`migration ${failed.migrationName} failed`, 1);
      const applied = results.filter((r) => r.status === "Success").map((r) => r.migrationName);
      if (flags.json) return printJson({ engine: store.engine, applied });
      if (applied.length === 0) return printLine("the database is up to date: no migration to apply");
      for (const name of applied) printLine(`applied ${name}`);
    } finally {
      await store.close();
    }
  });
}
