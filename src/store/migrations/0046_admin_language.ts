import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * NT3: the language an administrator reads Orchard in (the console's choice, saved with
 * them), so that the notification e-mails they receive are in it too.
 */
const statements = [
  `ALTER TABLE admins ADD COLUMN language text NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'fr'))`,
];

export const adminLanguage: Migration = {
  up: (db) => runStatements(db, statements),
};
