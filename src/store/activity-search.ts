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
    any.push(
      eb("g.message", "ilike", like),
      eb(
        "g.device_id",
        "in",
        eb
          .selectFrom("devices as sd")
          .select("sd.id")
          .where("sd.space_id", "=", spaceId)
          .where("sd.serial_number", "ilike", like),
      ),
      eb(
        "g.user_id",
        "in",
        eb
          .selectFrom("users as su")
          .select("su.id")
          .where("su.space_id", "=", spaceId)
          .where("su.name", "ilike", like),
      ),
      eb(
        "g.account_id",
        "in",
        eb
          .selectFrom("accounts as sa")
          .select("sa.id")
          .where("sa.space_id", "=", spaceId)
          .where("sa.display_name", "ilike", like),
      ),
      sql<SqlBool>`g.adam_id in (select n.adam_id from (${appNamesOfSpace(spaceId)}) n where n.name ilike ${like})`,
    );
  }
  if (keys?.length) any.push(inList("g.message_key", keys));
  return eb.or(any);
}
