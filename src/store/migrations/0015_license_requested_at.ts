import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * DB2, UB3: the queue is served in order of request, and a subject keeps its place when
 * it comes back. A license now remembers when its subject first asked (`requested_at`:
 * the waiting queue row's, or the grant's own time when nobody waited), so a subject
 * whose assignment Apple refuses (9709) waits again from that time, not from the grant.
 *
 * The column is nullable with no default: adding it is a change of the catalogue only
 * (no rewrite of a table that can hold a million licenses, no lock held while every row
 * is updated, no dead row versions on pages kept half empty for HOT updates, 0009). A
 * backfill from `created_at` would say nothing more than reading `coalesce(requested_at,
 * created_at)`, which the store does (toLicense): for a license granted before this
 * migration, the grant is the earliest time known. Every license written since has it.
 *
 * The queue is read by (requested_at, seq): a subject put back at its first request's
 * time goes ahead of those who asked after it, whatever its new `seq`; `seq` breaks ties
 * (one batch's requests share a time). That index replaces (space_id, adam_id, seq),
 * which nothing reads any longer, so a check-in storm's queue rows pay for one index only.
 */
const statements = [
  `ALTER TABLE licenses ADD COLUMN requested_at timestamptz`,
  `CREATE INDEX license_queue_in_order ON license_queue (space_id, adam_id, requested_at, seq)`,
  `DROP INDEX license_queue_by_app`,
];

export const licenseRequestedAt: Migration = {
  up: (db) => runStatements(db, statements),
};
