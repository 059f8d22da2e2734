import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Released licenses are pruned after their retention (retention.repo.ts) by the time of
 * their release. They are the bulk of a long-lived space, mixed on every page with the live
 * ones, so without an index each hourly prune read the whole table. The index names only
 * `released_at`, set once when a license stops holding its seat (an update that was never
 * HOT): confirmations (pending_assign -> assigned) stay HOT (0009), and a grant writes no
 * entry in it (a live license has no `released_at`).
 */
const statements = [`CREATE INDEX licenses_released ON licenses (released_at) WHERE released_at IS NOT NULL`];

export const retentionIndexes: Migration = {
  up: (db) => runStatements(db, statements),
};
