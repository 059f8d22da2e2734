import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * When each administrator last signed in (a session opened: password or single sign-on), so
 * that owners see dormant accounts: one a group still names but who never comes, one that
 * should have been removed. Written with the session, in the same statement.
 */
const statements = [`ALTER TABLE admins ADD COLUMN last_sign_in_at timestamptz`];

export const adminLastSignIn: Migration = {
  up: (db) => runStatements(db, statements),
};
