import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Lookups by a column no index led with.
 *
 * - A group's `usedBy` (the groups list and detail, a group's deletion) reads the rules that
 *   name it; `rule_groups` was keyed by rule (account, app) only, so it read the space's
 *   rules. Deleting a group (its foreign key's cascade) looked for them the same way.
 * - The waiting queue of a device or a user across apps (`devices/:id/waiting`,
 *   `users/:id/waiting`), and the queue rows a device or user leaves (retired, wiped,
 *   unenrolled, deleted: explicitly, or through the foreign key's cascade) were found by
 *   reading the space's whole queue: its unique indexes lead with the app. Partial, as the
 *   unique ones are: a queue row is either a user's or a device's, so each insert (a check-in
 *   storm writes tens of thousands) adds one entry, not two.
 */
const statements = [
  `CREATE INDEX rule_groups_by_group ON rule_groups (space_id, group_id)`,
  `CREATE INDEX license_queue_by_device ON license_queue (space_id, device_id) WHERE device_id IS NOT NULL`,
  `CREATE INDEX license_queue_by_user ON license_queue (space_id, user_id) WHERE user_id IS NOT NULL`,
];

export const lookupIndexes: Migration = {
  up: (db) => runStatements(db, statements),
};
