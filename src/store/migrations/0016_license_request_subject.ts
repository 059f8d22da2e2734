import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * DB2, LT2: a license keeps who asked for it and why. A request and its license can name
 * different subjects: a device's request (a check-in, a mandatory install) can be granted
 * a user-based license (DI2), which names the device's user. When Apple refuses the
 * assignment (9709), the subject waits again as it asked: as the device, with its
 * reason, so that the license granted later queues the device's install (LT2 installs
 * follow device requests), rather than as the user with "requested".
 *
 * `request_subject` is the queue's subject key ("u:<userId>" or "d:<deviceId>",
 * subjectKey in queue.repo.ts), `request_why` the request's reason (RequestReason). Both
 * are written by writeGrants (allocation.ts) in its one statement, both or neither.
 *
 * Nullable, no default, no backfill: adding them changes the catalogue only (no rewrite
 * of a table that can hold a million licenses, 0009, 0015). A license written before has
 * neither and is put back in the queue as before, from its own subject. The check is
 * added NOT VALID for the same reason (no scan of the existing rows, which are all null
 * anyway); every row written or updated since is checked.
 */
const statements = [
  `ALTER TABLE licenses ADD COLUMN request_subject text, ADD COLUMN request_why text`,
  `ALTER TABLE licenses ADD CONSTRAINT licenses_request CHECK (
    (request_subject IS NULL) = (request_why IS NULL)
    AND (request_subject IS NULL OR left(request_subject, 2) IN ('u:', 'd:'))
    AND (request_why IS NULL OR request_why IN ('requested', 'mandatory', 'check_in'))
  ) NOT VALID`,
];

export const licenseRequestSubject: Migration = {
  up: (db) => runStatements(db, statements),
};
