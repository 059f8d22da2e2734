import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * Pending releases by subject: the dispatcher holds a new association back while an
 * older release of the same subject is open (`openReleasesOf`). Releases are few next to
 * associations, and an association is not in this index, so grants do not pay for it.
 */
const statements = [
  `CREATE INDEX outbox_pending_releases ON outbox (space_id, serial_number, client_user_id)
    WHERE state = 'pending' AND kind IN ('disassociate', 'revoke')`,
];

export const outboxOpenReleases: Migration = {
  up: (db) => runStatements(db, statements),
};
