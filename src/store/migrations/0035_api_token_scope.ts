import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * API tokens of least privilege:
 * - `role_grants.role` takes `mdm` (only the routes an MDM integration calls), for API tokens
 *   only: an administrator's role stays `manage` or `read`.
 * - `api_tokens.expires_at`: a token is refused from then on; null keeps it until revoked.
 */
const statements = [
  `ALTER TABLE role_grants DROP CONSTRAINT role_grants_role_check`,
  `ALTER TABLE role_grants ADD CONSTRAINT role_grants_role_check
    CHECK (role IN ('manage', 'read') OR (role = 'mdm' AND principal_kind = 'api_token'))`,
  `ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz`,
];

export const apiTokenScope: Migration = {
  up: (db) => runStatements(db, statements),
};
