import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Every space has its built-in All Users group again: before it was protected, a group
 * deletion could remove it, and AC1's FCFS rules could then not be written. The rules it
 * was taken out of stay as they are (what they held is not known any more).
 */
const statements = [
  `INSERT INTO groups (space_id, id, name, external_id)
    SELECT s.id, 'all-users', 'All Users', NULL FROM spaces s
    ON CONFLICT (space_id, id) DO NOTHING`,
];

export const allUsersRestored: Migration = {
  up: (db) => runStatements(db, statements),
};
