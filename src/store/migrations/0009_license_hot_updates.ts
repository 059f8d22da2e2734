import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * A license changes state a few times in its life (Apple confirms, a release is asked
 * for, Apple confirms that), and a check-in storm confirms tens of thousands at once.
 * Those updates were never HOT: PostgreSQL counts the columns of an index's predicate as
 * indexed, and the invariant-2 and seat indexes named `state`, so every confirmation
 * wrote a new entry in every index of the table.
 *
 * The predicates now read generated columns that only change when a license starts or
 * stops holding a seat (`live`, `holds_seat`, `grace_ends`); pending_assign -> assigned
 * changes none of them, and room left on each page (fillfactor) lets the new row version
 * stay on its page. The outbox's first index (`outbox_open`) is gone: claims use
 * `outbox_due` (0006), and every grant and every outbox move paid for it.
 */
const statements = [
  `ALTER TABLE licenses
    ADD COLUMN live boolean GENERATED ALWAYS AS (state IN ('pending_assign', 'assigned')) STORED,
    ADD COLUMN holds_seat boolean
      GENERATED ALWAYS AS (state IN ('pending_assign', 'assigned', 'pending_release')) STORED,
    ADD COLUMN grace_ends timestamptz
      GENERATED ALWAYS AS (CASE WHEN state = 'in_grace' THEN grace_until END) STORED`,
  `DROP INDEX licenses_one_live_per_user`,
  `DROP INDEX licenses_one_live_per_device`,
  `DROP INDEX licenses_seats`,
  `DROP INDEX licenses_grace`,
  // Invariant 2, unchanged in meaning: at most one live license per (space, app, subject).
  `CREATE UNIQUE INDEX licenses_one_live_per_user ON licenses (space_id, adam_id, user_id)
    WHERE live AND user_id IS NOT NULL`,
  `CREATE UNIQUE INDEX licenses_one_live_per_device ON licenses (space_id, adam_id, device_id)
    WHERE live AND device_id IS NOT NULL`,
  `CREATE INDEX licenses_seats ON licenses (space_id, adam_id, account_id) WHERE holds_seat`,
  `CREATE INDEX licenses_grace ON licenses (grace_ends) WHERE grace_ends IS NOT NULL`,
  `ALTER TABLE licenses SET (fillfactor = 50)`,
  `DROP INDEX outbox_open`,
];

export const licenseHotUpdates: Migration = {
  up: (db) => runStatements(db, statements),
};
