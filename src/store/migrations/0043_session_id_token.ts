import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Single sign-on: the ID token the provider gave the sign-in that opened a session, kept for
 * that session's sign-out, which ends the provider's session too when
 * OIDC_POST_LOGOUT_REDIRECT_URI is set (OpenID Connect RP-Initiated Logout: `id_token_hint`,
 * which some providers require). It goes with the session; none is kept when that sign-out is
 * off. It names the person (as their admins row does) and opens nothing in Orchard.
 */
const statements = [`ALTER TABLE sessions ADD COLUMN sso_id_token text`];

export const sessionIdToken: Migration = {
  up: (db) => runStatements(db, statements),
};
