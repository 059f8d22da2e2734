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
  // Table by table: PGlite runs one statement at a time, and a single ANALYZE of every
  // table held the API back for over 100 ms.
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_class c
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    order by c.relname`.execute(db);
  for (const { name } of rows) await sql`analyze ${sql.table(name)}`.execute(db);
}
