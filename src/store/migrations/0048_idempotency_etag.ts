import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * A kept answer keeps its ETag too: an app's rules answer with their version (If-Match,
 * DI1), and a retry replayed without it would leave the client nothing to name next time.
 */
const statements = [`ALTER TABLE idempotency_keys ADD COLUMN response_etag text`];

export const idempotencyEtag: Migration = {
  up: (db) => runStatements(db, statements),
};
