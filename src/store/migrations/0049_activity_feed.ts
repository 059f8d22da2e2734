import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The activity log read as a change feed (activity-feed.repo.ts): each line carries the id
 * of the transaction that wrote it, so a reader can follow the log in commit order, never
 * skipping a line whose transaction commits after a later one's (its `seq` is taken at
 * insert, not at commit). Lines written before have 0: they come first, in seq order.
 *
 * Added with a constant default first (no rewrite of a log of millions), then given the
 * transaction's id as default for new lines. The index is appended at its right edge, as
 * the primary key is.
 */
const statements = [
  `ALTER TABLE activity_log ADD COLUMN xid xid8 NOT NULL DEFAULT '0'`,
  `ALTER TABLE activity_log ALTER COLUMN xid SET DEFAULT pg_current_xact_id()`,
  `CREATE INDEX activity_feed ON activity_log (space_id, xid, seq)`,
];

export const activityFeed: Migration = {
  up: (db) => runStatements(db, statements),
};
