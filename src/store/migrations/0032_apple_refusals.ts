import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * DB2, UB3: a request whose assignment Apple refused for good (not 9709, not a refusal to
 * try later) waits with Apple's reason, `reason = 'apple_refused'`, and is not served again
 * until an administrator sends it again: the queue keeps Apple's error number and message,
 * the account that asked Apple and when (store/apple-refusals.repo.ts). Nullable, no
 * default: adding them changes the catalogue only.
 *
 * Two partial indexes, each empty while Apple refuses nothing: the held requests of an app
 * (read by every allocation, to hold their subjects), and the failed releases of licenses
 * (read per license, and by the refusals' notification each minute). A grant writes an
 * `associate` row that is pending: neither index gets an entry from it.
 */
const statements = [
  `ALTER TABLE license_queue ADD COLUMN apple_error_number integer, ADD COLUMN apple_error_message text,
    ADD COLUMN refused_account_id text, ADD COLUMN refused_at timestamptz`,
  `CREATE INDEX license_queue_apple_refused ON license_queue (space_id, adam_id)
    WHERE reason = 'apple_refused'`,
  `CREATE INDEX outbox_failed_releases ON outbox (space_id, license_id)
    WHERE state = 'failed' AND kind IN ('disassociate', 'revoke') AND license_id IS NOT NULL`,
];

export const appleRefusals: Migration = {
  up: (db) => runStatements(db, statements),
};
