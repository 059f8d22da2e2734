import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * OIDC_GROUP_ROLES: an administrator whose roles come from the identity provider's groups,
 * created at their first single sign-on and given their owner flag and grants anew at every
 * one (src/auth/sso-roles.ts). Administrators created in Orchard keep the roles given there.
 */
const statements = [`ALTER TABLE admins ADD COLUMN sso_managed boolean NOT NULL DEFAULT false`];

export const adminSsoManaged: Migration = {
  up: (db) => runStatements(db, statements),
};
