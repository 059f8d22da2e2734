import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * An MDM that polls lists a space's pending commands in order (`GET mdm/commands?state=pending`,
 * `ready=true`). The partial index on `seq` alone served every space's pending commands at
 * once, so the listing either walked other spaces' or walked this space's whole delivered
 * history by the primary key (35 ms at 100,000 delivered). Keyed by space, the listing reads
 * its own pending rows in order and stops at its limit. Nothing else reads the old index:
 * the delivery poll has its own (`mdm_commands_deliverable`, 0013).
 */
const statements = [
  `CREATE INDEX mdm_commands_pending ON mdm_commands (space_id, seq) WHERE state = 'pending'`,
  `DROP INDEX IF EXISTS mdm_commands_open`,
];

export const mdmCommandsPendingBySpace: Migration = {
  up: (db) => runStatements(db, statements),
};
