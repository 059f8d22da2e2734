import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * What the sync engine needs: when an operation reached Apple (Apple's 10-minute rule),
 * the secret Apple sends back with its notifications (sealed like the sToken), the two
 * token-health states found only by comparing locations, and notification dedupe.
 */
const statements = [
  `ALTER TABLE outbox ADD COLUMN sent_at timestamptz`,
  // Notifications name an eventId: find its open rows without scanning the outbox.
  `CREATE INDEX outbox_sent_by_event ON outbox (event_id) WHERE state = 'sent'`,
  `ALTER TABLE accounts ADD COLUMN notification_secret_ciphertext text`,
  `ALTER TABLE accounts DROP CONSTRAINT accounts_health_check`,
  `ALTER TABLE accounts ADD CONSTRAINT accounts_health_check CHECK (health IN
    ('ok', 'expired', 'revoked', 'invalid', 'login_required', 'other_mdm', 'paused', 'location_changed', 'duplicate'))`,
  // Apple delivers at least once (up to 3 attempts): a notification is acted on once.
  `CREATE TABLE apple_notifications (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    account_id text NOT NULL,
    dedupe_key text NOT NULL,
    notification_type text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, account_id, dedupe_key)
  )`,
];

export const sync: Migration = {
  up: (db) => runStatements(db, statements),
};
