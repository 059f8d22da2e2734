import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * What the outbox's hot path needs (a check-in storm writes, claims, sends and closes
 * every row): workers claim due rows oldest first (`state = … ORDER BY seq LIMIT n`),
 * which `outbox_open` (per account and app) cannot serve without reading and sorting
 * every open row, on every round of every worker.
 *
 * Room on each page (fillfactor) lets a claim, which only touches unindexed columns
 * (`claimed_by`, `claimed_until`, `updated_at`), be a HOT update: no new index entries.
 */
const statements = [
  `CREATE INDEX outbox_due ON outbox (state, seq) WHERE state IN ('pending', 'sent')`,
  `ALTER TABLE outbox SET (fillfactor = 50)`,
];

export const outboxClaims: Migration = {
  up: (db) => runStatements(db, statements),
};
