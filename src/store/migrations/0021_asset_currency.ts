import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The currency of an asset's price, as the store's lookup gives it (ISO 4217: USD, EUR…):
 * a price shown without it says nothing to an administrator of another storefront. Nullable,
 * no default: adding it rewrites no row; the next metadata lookup fills it.
 */
const statements = [`ALTER TABLE assets ADD COLUMN currency text`];

export const assetCurrency: Migration = {
  up: (db) => runStatements(db, statements),
};
