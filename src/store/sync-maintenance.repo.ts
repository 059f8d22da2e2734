import { sql } from "kysely";
import type { Db } from "./database.js";

/**
 * Refreshes the planner's statistics of every table. PostgreSQL's autovacuum does this by
 * itself; embedded PGlite has no autovacuum, so without it the planner never learns how
 * big a table is and picks, for example, a scan of every device of a space over the
 * primary key to find a thousand devices by id. The worker runs it for PGlite
 * (housekeeping); it is cheap (a sample of each table) and safe at any time.
 */
export async function refreshPlannerStatistics(db: Db): Promise<void> {
  await sql`analyze`.execute(db);
}
