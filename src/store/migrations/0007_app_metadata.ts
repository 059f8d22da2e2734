import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * What the store's metadata lookup says of an asset (Apple's asset list has only the
 * adamId): genre and custom flag for DB5's reminder, bundle id and artwork for VU3/VU4,
 * the latest version for DB4, and when it was looked up (incremental syncs refresh
 * entries older than a day). Name and price already have columns (0001).
 */
const statements = [
  `ALTER TABLE assets ADD COLUMN genre text`,
  `ALTER TABLE assets ADD COLUMN bundle_id text`,
  `ALTER TABLE assets ADD COLUMN artwork_url text`,
  `ALTER TABLE assets ADD COLUMN custom boolean NOT NULL DEFAULT false`,
  `ALTER TABLE assets ADD COLUMN latest_version text`,
  `ALTER TABLE assets ADD COLUMN metadata_at timestamptz`,
];

export const appMetadata: Migration = {
  up: (db) => runStatements(db, statements),
};
