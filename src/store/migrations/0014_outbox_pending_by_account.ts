import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Pending operations by account, oldest first. The dispatcher asks each healthy account
 * for its oldest due operation (one index probe an account) instead of grouping every
 * pending row, which a check-in storm makes tens of thousands, on each round; and it
 * locks an account's operations in the same order. It replaces `outbox_due` (state, seq),
 * whose 'sent' rows no longer exist since operations in flight live in `apple_calls`.
 */
const statements = [
  `CREATE INDEX outbox_pending ON outbox (space_id, account_id, seq) WHERE state = 'pending'`,
  `DROP INDEX outbox_due`,
];

export const outboxPendingByAccount: Migration = {
  up: (db) => runStatements(db, statements),
};
