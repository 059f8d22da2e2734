import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Each notification's delivery to each channel (webhook, e-mail), kept until done: a
 * channel down for a while gets it later, a worker killed mid-delivery leaves it to
 * another once its lease runs out. Notifications raised before have none (they were
 * sent, or not, when raised).
 */
const statements = [
  `CREATE TABLE notification_deliveries (
    space_id text NOT NULL,
    notification_id text NOT NULL,
    channel text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    not_before timestamptz,
    claimed_until timestamptz,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (space_id, notification_id, channel),
    FOREIGN KEY (space_id, notification_id) REFERENCES notifications (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX notification_deliveries_pending ON notification_deliveries (created_at) WHERE state = 'pending'`,
];

export const notificationDeliveries: Migration = {
  up: (db) => runStatements(db, statements),
};
