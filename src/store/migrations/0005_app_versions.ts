import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * DB4: the newest version known of each app (Apple's, not a space's), and which
 * version an install command carries, so one update is pushed once per version.
 * Also CA1's optional description of a catalog app.
 */
const statements = [
  `CREATE TABLE app_versions (
    adam_id text PRIMARY KEY,
    version text NOT NULL,
    seen_at timestamptz NOT NULL DEFAULT now()
  )`,
  `ALTER TABLE mdm_commands ADD COLUMN app_version text`,
  `CREATE INDEX mdm_commands_by_device_app ON mdm_commands (space_id, device_id, adam_id)`,
  `ALTER TABLE catalog_apps ADD COLUMN description text`,
];

export const appVersions: Migration = {
  up: (db) => runStatements(db, statements),
};
