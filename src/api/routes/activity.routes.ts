import { z } from "zod";
import { activityCsv } from "../../service/activity-export.js";
import { iterateActivity, listActivityView } from "../../store/usage.repo.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import {
  activitySchema,
  adamId,
  dateTime,
  id,
  pageOf,
  pageQuery,
  ruleId,
  searchKeys,
  spaceParams,
} from "../schemas.js";

const activityFilter = z.object({
  action: z.string().max(100).optional(),
  actor: z.enum(["admin", "api_token", "system", "apple", "mdm"]).optional(),
  app: adamId.optional(),
  user: id.optional(),
  device: id.optional(),
  account: id.optional(),
  license: id.optional(),
  rule: ruleId.optional(),
  from: dateTime.optional(),
  to: dateTime.optional(),
});
const listQuery = pageQuery(["seq"] as const);
/** The search box, as the list and the export both take it. */
const searchQuery = {
  q: listQuery.shape.q.describe(
    "a line matches when its English message, its device's serial number, or its user's, app's or account's name contains this (case-insensitive), or when its message key is one of `keys`",
  ),
  keys: searchKeys.describe(
    "comma-separated message keys (at most 100), searched with `q`: the console sends those whose words in its language contain `q`",
  ),
};
type Filter = z.infer<typeof activityFilter>;
const toFilter = (f: Filter) => ({
  action: f.action,
  actorKind: f.actor,
  adamId: f.app,
  userId: f.user,
  deviceId: f.device,
  accountId: f.account,
  licenseId: f.license,
  ruleId: f.rule,
  from: f.from,
  to: f.to,
});

/** The activity log (invariant 4), filtered, paged or streamed as CSV (notifications: notifications.routes.ts). */
export function registerActivityRoutes(app: Api, ctx: ApiContext): void {
  const { db } = ctx.deps;

  app.get(
    "/spaces/:spaceId/activity",
    {
      config: can.read,
      schema: {
        tags: ["activity"],
        summary: "Newest first",
        params: spaceParams,
        querystring: listQuery.extend({ ...activityFilter.shape, ...searchQuery }),
        response: { 200: pageOf(activitySchema), ...problemResponses },
      },
    },
    async (request) => {
      const { page, pageSize, q, keys, sort, order, ...filter } = request.query;
      return listActivityView(db, spaceOf(request), toFilter(filter), {
        page,
        pageSize,
        q,
        keys,
        sort,
        order,
      });
    },
  );

  app.get(
    "/spaces/:spaceId/activity.csv",
    {
      config: can.read,
      schema: {
        tags: ["activity"],
        summary: "The filtered and searched log as CSV, streamed (newest first)",
        params: spaceParams,
        querystring: activityFilter.extend(searchQuery),
        produces: ["text/csv"],
        response: { 200: z.unknown().describe("text/csv"), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { q, keys, ...filter } = request.query;
      const rows = iterateActivity(db, spaceOf(request), toFilter(filter), { q, keys });
      // Rows are pulled as the client reads: memory stays flat whatever the log's size.
      const csv = activityCsv(rows);
      csv.on("error", (error) => request.log.error({ err: error }, "CSV export failed"));
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="orchard-activity.csv"')
        .serializer((x: unknown) => x as string)
        .send(csv);
    },
  );
}
