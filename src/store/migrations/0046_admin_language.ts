import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * NT3: the language an administrator reads Orchard in (the console's choice, saved with
 * them), so that the notification e-mails they receive are in it too. Null until they
 * first use the console: their e-mails are in English until then.
 */
const statements = [`ALTER TABLE admins ADD COLUMN language text CHECK (language IN ('en', 'fr'))`];

export const adminLanguage: Migration = {
  up: (db) => runStatements(db, statements),
};
