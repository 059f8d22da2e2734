import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * A device whose MDM profile was removed is `unenrolled`, no longer `inactive` like one the
 * MDM stopped hearing from: the two events were judged repeats of each other (the second's
 * activity line was lost), and an administrator reads them differently. Both are out of
 * service (RV1) and both come back to `active` with a check-in.
 */
const statements = [
  `ALTER TABLE devices DROP CONSTRAINT devices_status_check`,
  `ALTER TABLE devices ADD CONSTRAINT devices_status_check
    CHECK (status IN ('active', 'retired', 'wiped', 'inactive', 'unenrolled'))`,
];

export const deviceUnenrolled: Migration = {
  up: (db) => runStatements(db, statements),
};
