import { sql } from "kysely";

/**
 * Every named app of a space as `(adam_id, name)`: an account's asset's name, else the
 * catalog's. The name the activity log shows beside an app (activity-view.repo.ts), read once for
 * an export and searched by the log's search box (activity-search.ts).
 */
export function appNamesOfSpace(spaceId: string) {
  return sql<{ adam_id: string; name: string | null }>`
    select coalesce(s.adam_id, c.adam_id) as adam_id, coalesce(s.name, c.name) as name
    from (select adam_id, max(name) as name from assets where space_id = ${spaceId} group by adam_id) s
    full join (select adam_id, name from catalog_apps where space_id = ${spaceId}) c on c.adam_id = s.adam_id`;
}
