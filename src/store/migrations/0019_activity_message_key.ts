import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Each activity line keeps the key of its message in the catalogue
 * (src/store/activity-messages.ts) and the message's params, beside the English text: the
 * console renders the line in its own language from them. Lines written before have none
 * and keep showing their stored text. Nullable columns without a default: adding them
 * rewrites no row of the log.
 */
const statements = [
  `ALTER TABLE activity_log ADD COLUMN message_key text`,
  `ALTER TABLE activity_log ADD COLUMN message_params jsonb`,
];

export const activityMessageKey: Migration = {
  up: (db) => runStatements(db, statements),
};
