import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/** PB1: apps removed from a user's catalog distribution, until added back. */
const statements = [
  `CREATE TABLE distribution_exclusions (
    space_id text NOT NULL,
    adam_id text NOT NULL,
    user_id text NOT NULL,
    excluded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, adam_id, user_id),
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id) ON DELETE CASCADE
  )`,
];

export const distributionExclusions: Migration = {
  up: (db) => runStatements(db, statements),
};
