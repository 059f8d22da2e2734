import type { KeyRing } from "../store/crypto.js";
import type { Db } from "../store/database.js";
import type { Actor } from "../store/sql-helpers.js";
import type { AccountOps } from "./accounts.js";
import type { DirectoryOps } from "./directory.js";
import type { LicenseOps } from "./licenses.js";

/**
 * What the use cases need, bound once by a composition root (main/server.ts, the CLI):
 * the database, the sToken key ring, the clock, and the operations that other modules
 * own (accounts: src/sync; license changes: src/mdm), behind narrow ports.
 */
export interface ServiceDeps {
  db: Db;
  keys: KeyRing;
  now: () => Date;
  accounts: AccountOps;
  licenses: LicenseOps;
  directory: DirectoryOps;
}

export type { Actor };
