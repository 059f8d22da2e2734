import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The reclaim's inactivity query (reclaim.repo.ts) read every live license of the space and
 * joined every device and user to it: for a space of 200,000 licenses, 200,000 random heap
 * reads through the primary key, a hashed scan of every space's devices, and a plan priced
 * so high that PostgreSQL compiled it (JIT) before running it: 2 s, most of it compiling.
 *
 * Idle devices are now found by the day they were last seen, through an index of their own.
 * The day is a generated column, not an index on `last_check_in_at` itself: every check-in
 * writes that timestamp, and an index naming it would make every check-in update every index
 * of the table (no HOT update, as 0009 explains for licenses); the day changes at the
 * device's first check-in of a UTC day only. The query compares the day first (the index),
 * then the instant (the rule's exact boundary).
 */
const statements = [
  `ALTER TABLE devices ADD COLUMN last_seen_on date
    GENERATED ALWAYS AS ((timezone('UTC', coalesce(last_check_in_at, created_at)))::date) STORED`,
  `CREATE INDEX devices_last_seen ON devices (space_id, last_seen_on)`,
];

export const reclaimInactivity: Migration = {
  up: (db) => runStatements(db, statements),
};
