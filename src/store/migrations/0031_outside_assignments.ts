import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * AC3, AC7: the assignments Apple holds for an account that Orchard neither holds nor
 * adopted (made outside Orchard: by a previous MDM, in Apple Business Manager), as the last
 * full sync read them, so that an administrator can list them and release them at Apple.
 *
 * A location taken over from another MDM holds up to millions of them, and a full sync
 * rewrites them all: one row per Apple page, app and kind of subject, its subjects in an
 * array (`subjects`, Apple's spelling; `size` their number), not one row per assignment
 * (a row per assignment made the resync of a million three times as long on PGlite).
 * Each full sync writes a new generation (`outside_assignment_generations`) and, once its
 * walk is complete, makes it the account's (`outside_assignment_snapshots`) and deletes the
 * older ones: a walk that stops half way never shows half a list. A release Apple confirms
 * takes its subject out of the arrays (outside-assignments.repo.ts); one it refuses stays in
 * the outbox, failed, and the list shows Apple's reason.
 */
const statements = [
  `CREATE SEQUENCE outside_assignment_generations`,
  `CREATE TABLE outside_assignments (
    space_id text NOT NULL,
    account_id text NOT NULL,
    generation bigint NOT NULL,
    adam_id text NOT NULL,
    pricing_param text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('device', 'user')),
    page integer NOT NULL,
    subjects text[] NOT NULL,
    size integer NOT NULL,
    PRIMARY KEY (space_id, account_id, generation, adam_id, pricing_param, kind, page),
    FOREIGN KEY (space_id, account_id) REFERENCES accounts (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE TABLE outside_assignment_snapshots (
    space_id text NOT NULL,
    account_id text NOT NULL,
    generation bigint NOT NULL,
    synced_at timestamptz NOT NULL,
    PRIMARY KEY (space_id, account_id),
    FOREIGN KEY (space_id, account_id) REFERENCES accounts (space_id, id) ON DELETE CASCADE
  )`,
  // Releases of them Apple refused, by subject (the list shows why): empty while Apple refuses none.
  `CREATE INDEX outbox_failed_outside_releases ON outbox (space_id, serial_number, client_user_id)
    WHERE state = 'failed' AND kind = 'disassociate' AND license_id IS NULL`,
];

export const outsideAssignments: Migration = {
  up: (db) => runStatements(db, statements),
};
