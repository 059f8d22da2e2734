import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * AC7: a device created or enrolled later, or a user given their clientUserId, adopts the
 * assignment made outside Orchard that the list already holds for it (adopt-listed.repo.ts),
 * so the list is searched by subject, in any case for a serial number. Folding each of a
 * million subjects to compare it took seconds on PGlite; most rows need none (Apple spells
 * serial numbers upper-case, clientUserIds are compared as they are). `subjects_are_keys`
 * marks those rows: their subjects are compared as stored (an array overlap, no per-subject
 * work); only the others are folded one by one. Set when a page is written; a subject taken
 * out keeps it true. Rows written before this migration get it here.
 */
const statements = [
  `ALTER TABLE outside_assignments ADD COLUMN subjects_are_keys boolean NOT NULL DEFAULT false`,
  // The array's text has the subjects' letters as they are: no a-z in it, no a-z in any of them.
  `UPDATE outside_assignments SET subjects_are_keys = kind = 'user'
    OR subjects::text = translate(subjects::text, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`,
];

export const outsideSubjectKeys: Migration = {
  up: (db) => runStatements(db, statements),
};
