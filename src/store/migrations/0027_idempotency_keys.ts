import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The `Idempotency-Key` of each POST and PATCH that sent one (src/api/idempotency.ts), per
 * principal (an API token, or an administrator's console session): the primary key is what
 * lets only one of two requests sent at once with the same key run. The response is kept
 * once the request is done, so that a retry is answered it again; the body sent is kept as
 * a hash only (an sToken upload among them). Pruned by created_at (retention.repo.ts).
 */
const statements = [
  `CREATE TABLE idempotency_keys (
    principal_kind text NOT NULL CHECK (principal_kind IN ('admin', 'api_token')),
    principal_id text NOT NULL,
    key text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    body_hash text NOT NULL,
    state text NOT NULL CHECK (state IN ('in_progress', 'done')),
    request_id text NOT NULL,
    response_status integer,
    response_content_type text,
    response_location text,
    response_body text,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (principal_kind, principal_id, key)
  )`,
  `CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)`,
];

export const idempotencyKeys: Migration = {
  up: (db) => runStatements(db, statements),
};
