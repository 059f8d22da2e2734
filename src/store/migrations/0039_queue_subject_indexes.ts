import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * A queue row's unique index now leads with its subject: (space, device, app) and (space,
 * user, app). It still keeps one request per subject and app (the inserts' ON CONFLICT
 * names the same columns, in any order), and it now also serves what 0029's indexes by
 * device and by user were added for (a subject's queue across apps, the rows a retired or
 * deleted subject leaves), so those two are gone: each queue row written (a check-in storm
 * writes tens of thousands) updates one index fewer.
 */
const statements = [
  `DROP INDEX license_queue_by_device`,
  `DROP INDEX license_queue_by_user`,
  `DROP INDEX license_queue_one_per_device`,
  `DROP INDEX license_queue_one_per_user`,
  `CREATE UNIQUE INDEX license_queue_one_per_device ON license_queue (space_id, device_id, adam_id)
    WHERE device_id IS NOT NULL`,
  `CREATE UNIQUE INDEX license_queue_one_per_user ON license_queue (space_id, user_id, adam_id)
    WHERE user_id IS NOT NULL`,
];

export const queueSubjectIndexes: Migration = {
  up: (db) => runStatements(db, statements),
};
