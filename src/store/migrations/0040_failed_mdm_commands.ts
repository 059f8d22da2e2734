import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The failed MDM commands of each space are counted at every metrics scrape (src/metrics):
 * read through an index of their own, not a read of every command kept. Failed commands
 * are few, so the index is small and costs nothing to a delivery that succeeds.
 */
const statements = [`CREATE INDEX mdm_commands_failed ON mdm_commands (space_id) WHERE state = 'failed'`];

export const failedMdmCommands: Migration = {
  up: (db) => runStatements(db, statements),
};
