import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * AC5: an account being deleted is marked `deleting` first. Its Apple work stops (workers
 * claim and form calls only for healthy accounts), decisions stop granting from it, and the
 * deletion waits for calls already being sent before it releases the account's licenses at
 * Apple, so that no association a worker sends late outlives the deletion. A deletion that
 * fails puts the previous health back; one cut short leaves `deleting` for the console to
 * show, and deleting again finishes it.
 */
const statements = [
  `ALTER TABLE accounts DROP CONSTRAINT accounts_health_check`,
  `ALTER TABLE accounts ADD CONSTRAINT accounts_health_check CHECK (health IN
    ('ok', 'expired', 'revoked', 'invalid', 'login_required', 'other_mdm', 'paused', 'location_changed',
     'duplicate', 'deleting'))`,
];

export const accountDeleting: Migration = {
  up: (db) => runStatements(db, statements),
};
