import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * UB2, invitations:
 * - `accounts.invitation_url_template`: Apple's `urls.invitationEmail` of /service/config as
 *   the account's last users sync read it; a user's invitation link is it with their
 *   `inviteCode` for `%25inviteCode%25` (APPLE-API.md). Filled in by each account's next sync.
 * - `spaces.register_waiting_users`: register at Apple, on their own, the users a user-based
 *   request waits for (`not_enrolled`) and who were never registered; off by default.
 * - `users.registration_requested_at`: when Orchard last asked Apple to register the user,
 *   cleared once Apple tells their status: until then (and unless Apple refused) the user is
 *   `registering`, not offered to invite again. Apple's answer can reach Orchard minutes after
 *   its event completed (no notification: the next users sync).
 * - The waits for enrolment, found by that job without reading whole queues; a user's
 *   registrations in the outbox (pending, or refused), found without reading the outbox.
 */
const statements = [
  `ALTER TABLE users ADD COLUMN registration_requested_at timestamptz`,
  `CREATE INDEX outbox_user_registrations ON outbox (space_id, client_user_id) WHERE kind = 'create_user'`,
  `ALTER TABLE accounts ADD COLUMN invitation_url_template text`,
  `ALTER TABLE spaces ADD COLUMN register_waiting_users boolean NOT NULL DEFAULT false`,
  `CREATE INDEX license_queue_not_enrolled ON license_queue (space_id) WHERE reason = 'not_enrolled'`,
];

export const invitations: Migration = {
  up: (db) => runStatements(db, statements),
};
