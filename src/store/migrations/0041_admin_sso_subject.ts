import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Single sign-on: the provider's account an administrator first signed in with (its issuer
 * and `sub`, which never change nor pass to another person), kept at that first sign-in. A
 * later sign-in whose claim names the same login from another account of the provider (a
 * renamed or recreated account, a username someone else chose) is refused until an owner
 * unlinks it. One provider account links one administrator.
 */
const statements = [
  `ALTER TABLE admins ADD COLUMN sso_subject text`,
  `CREATE UNIQUE INDEX admins_sso_subject ON admins (sso_subject) WHERE sso_subject IS NOT NULL`,
];

export const adminSsoSubject: Migration = {
  up: (db) => runStatements(db, statements),
};
