import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Apple's maxRequestPerSecond is per token, whatever the number of Orchard processes
 * calling with it: the send times of each token's last requests, shared by every worker
 * over PostgreSQL (`takeRequestSlot`). Keyed by a hash of the token, never the token.
 */
const statements = [
  `CREATE TABLE apple_request_windows (
    token_key text PRIMARY KEY,
    sent_at timestamptz[] NOT NULL
  )`,
];

export const appleRequestWindows: Migration = {
  up: (db) => runStatements(db, statements),
};
