import type { Db } from "../store/index.js";

/** What MDM-side operations need: the database and the clock. */
export interface MdmDeps {
  db: Db;
  now: () => Date;
}
