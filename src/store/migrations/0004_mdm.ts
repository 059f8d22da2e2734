import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The MDM side: an outbox of install/remove commands for the MDM (written with the
 * license change that causes them, delivered by the worker), and users kept after
 * deletion so their licenses' history still points somewhere (RV5).
 */
const statements = [
  `CREATE TABLE mdm_commands (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('install', 'remove')),
    device_id text NOT NULL,
    serial_number text NOT NULL,
    adam_id text NOT NULL,
    license_id text,
    rule_ids text[] NOT NULL DEFAULT '{}',
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'cancelled', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    not_before timestamptz,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, seq),
    UNIQUE (space_id, id),
    FOREIGN KEY (space_id, device_id) REFERENCES devices (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX mdm_commands_open ON mdm_commands (seq) WHERE state = 'pending'`,
  `ALTER TABLE users ADD COLUMN deleted_at timestamptz`,
];

export const mdm: Migration = {
  up: (db) => runStatements(db, statements),
};
