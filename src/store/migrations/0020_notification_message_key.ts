import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Each notification keeps the key of its message in the catalogue
 * (src/store/notification-messages.ts) and the message's params, beside the English title:
 * the console words the title and the remedy in its own language from them. Notifications
 * raised before have none and keep showing their stored text. Nullable columns without a
 * default: adding them rewrites no row.
 */
const statements = [
  `ALTER TABLE notifications ADD COLUMN message_key text`,
  `ALTER TABLE notifications ADD COLUMN message_params jsonb`,
];

export const notificationMessageKey: Migration = {
  up: (db) => runStatements(db, statements),
};
