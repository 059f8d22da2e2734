import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * MA2, DB2: Apple's refusals for good are kept per (subject, app, account): an account
 * Apple refused is passed over for that subject, and another eligible account may still
 * serve it; only when none can does the request wait for an administrator (0032's
 * `apple_refused`, whose columns on the queue row say which refusal it waits with). The
 * subject is the one that asked, as the queue and `licenses.request_subject` key it
 * ("u:<userId>" / "d:<deviceId>"). An account deleted takes its refusals with it. The
 * requests held by 0032 are copied in, so each keeps its account's refusal.
 *
 * `licenses.user_registered_again_at`: Apple answered 9609 (no such user) to the license's
 * association, and Orchard registered the user again at Apple and sent the association
 * once more (sync/outcomes.ts): a second 9609 is a refusal for good.
 */
const statements = [
  `CREATE TABLE association_refusals (
    space_id text NOT NULL,
    adam_id text NOT NULL,
    subject text NOT NULL,
    account_id text NOT NULL,
    error_number integer NOT NULL,
    error_message text,
    refused_at timestamptz NOT NULL,
    PRIMARY KEY (space_id, adam_id, subject, account_id),
    FOREIGN KEY (space_id, account_id) REFERENCES accounts (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX association_refusals_by_account ON association_refusals (space_id, account_id)`,
  `INSERT INTO association_refusals
      (space_id, adam_id, subject, account_id, error_number, error_message, refused_at)
    SELECT q.space_id, q.adam_id,
      CASE WHEN q.user_id IS NOT NULL THEN 'u:' || q.user_id ELSE 'd:' || q.device_id END,
      q.refused_account_id, coalesce(q.apple_error_number, 0), q.apple_error_message,
      coalesce(q.refused_at, q.decided_at)
    FROM license_queue q
    JOIN accounts a ON a.space_id = q.space_id AND a.id = q.refused_account_id
    WHERE q.reason = 'apple_refused'
    ON CONFLICT DO NOTHING`,
  `ALTER TABLE licenses ADD COLUMN user_registered_again_at timestamptz`,
];

export const associationRefusals: Migration = {
  up: (db) => runStatements(db, statements),
};
