import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { appNamesOfSpace } from "./app-names.js";
import type { Database } from "./database.js";
import type { ActivityTable } from "./license.table.js";
import { likePattern, type PageRequest } from "./paging.js";
import { inList } from "./sql-helpers.js";

/** The log as activityQuery reads it: `activity_log as g`. */
type Log = ExpressionBuilder<Database & { g: ActivityTable }, "g">;

/**
 * The activity log's search box: a line matches when `q` is in its English message, in its
 * device's serial number, in its user's, app's or account's name, or when its message key is
 * one of `keys` (the keys whose words in the reader's language contain `q`: the console
 * knows its words, the server only the English).
 *
 * Names are matched through the ids that carry them: each subquery runs once per search,
 * not once per line of a log of millions, and a listing without search never reads them.
 */
export function activitySearch(
  eb: Log,
  spaceId: string,
  { q, keys }: Pick<PageRequest, "q" | "keys">,
): Expression<SqlBool> {
  const any: Expression<SqlBool>[] = [];
  if (q) {
    const like = likePattern(q);
    // The ids of the space's rows whose name matches: one subquery per search.
    const named = (table: "devices" | "users" | "accounts", column: string) =>
      sql`(select t.id from ${sql.table(table)} t where t.space_id = ${spaceId} and ${sql.ref(`t.${column}`)} ilike ${like})`;
    any.push(
      eb("g.message", "ilike", like),
      sql<SqlBool>`g.device_id in ${named("devices", "serial_number")}`,
      sql<SqlBool>`g.user_id in ${named("users", "name")}`,
      sql<SqlBool>`g.account_id in ${named("accounts", "display_name")}`,
      sql<SqlBool>`g.adam_id in (select n.adam_id from (${appNamesOfSpace(spaceId)}) n where n.name ilike ${like})`,
    );
  }
  if (keys?.length) any.push(inList("g.message_key", keys));
  return eb.or(any);
}
