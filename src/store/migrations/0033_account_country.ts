import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The storefront of an account's location (Apple's `countryISO2ACode`, from /client/config):
 * the app store lookup (names, prices, versions: VU4, DB4, DB5) asks that country's store,
 * not the United States', where an app sold only in France is unknown. Accounts added
 * before this are filled in by their next sync.
 */
const statements = [`ALTER TABLE accounts ADD COLUMN country_code text`];

export const accountCountry: Migration = {
  up: (db) => runStatements(db, statements),
};
