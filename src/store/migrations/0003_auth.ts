import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/** Administrators, sessions, API tokens and per-space roles (PM1); see store/auth.table.ts. */
const statements = [
  `CREATE TABLE admins (
    id text PRIMARY KEY,
    login text NOT NULL UNIQUE CHECK (login <> ''),
    display_name text NOT NULL,
    password_hash text NOT NULL,
    is_owner boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    disabled_at timestamptz
  )`,
  `CREATE TABLE role_grants (
    principal_kind text NOT NULL CHECK (principal_kind IN ('admin', 'api_token')),
    principal_id text NOT NULL,
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    role text NOT NULL CHECK (role IN ('manage', 'read')),
    PRIMARY KEY (principal_kind, principal_id, space_id)
  )`,
  `CREATE TABLE sessions (
    id_hash text PRIMARY KEY,
    admin_id text NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
  )`,
  `CREATE INDEX sessions_by_expiry ON sessions (expires_at)`,
  `CREATE TABLE api_tokens (
    id text PRIMARY KEY,
    name text NOT NULL CHECK (name <> ''),
    secret_hash text NOT NULL,
    created_by text REFERENCES admins (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
  )`,
];

export const auth: Migration = {
  up: (db) => runStatements(db, statements),
};
