import { z } from "zod";
import { activityCsv, activityInLanguage } from "../../service/activity-export.js";
import { LANGUAGES } from "../../service/decision-texts.js";
import {
  FEED_CURSOR,
  FEED_START,
  FEED_SUBJECTS,
  type FeedPosition,
  formatFeedCursor,
  iterateActivity,
  listActivityView,
  parseFeedCursor,
  readActivityFeed,
} from "../../store/activity-view.repo.js";
import type { Db } from "../../store/database.js";
import { deviceIdOfRef } from "../../store/device.repo.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { deviceRefFor } from "../device-ref.js";
import { ApiError, problemResponses, problemSchema } from "../problem.js";
import {
  activitySchema,
  adamId,
  id,
  instant,
  pageOf,
  pageQuery,
  queryInt,
  ruleId,
  searchKeys,
  spaceParams,
} from "../schemas.js";

const activityFilter = z.object({
  action: z.string().max(100).optional(),
  actor: z.enum(["admin", "api_token", "system", "apple", "mdm"]).optional(),
  app: adamId.optional(),
  user: id.optional(),
  device: deviceRefFor("only this device's lines").optional(),
  account: id.optional(),
  license: id.optional(),
  rule: ruleId.optional(),
  from: instant
    .optional()
    .describe("from this moment on (inclusive): a date (its start in UTC) or a date-time"),
  to: instant.optional().describe("before this moment (exclusive): a date (its start in UTC) or a date-time"),
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
/** The export's `message` column in a language of the console; a link (the console's download) sets no Accept-Language. */
const exportLanguage = z
  .enum(LANGUAGES)
  .default("en")
  .describe(
    "the language of the `message` column: `en` (the default: the English text the log keeps) or `fr` (worded from each line's message key and params, as the console words it; a line without a key keeps its English)",
  );
type Filter = z.infer<typeof activityFilter>;

const feedCursor = z
  .string()
  .refine((s) => s === "now" || FEED_CURSOR.test(s), "a cursor the feed gave (`next`), or now")
  .transform((s): FeedPosition | "now" => (s === "now" ? "now" : parseFeedCursor(s)));
const feedSubjects = z
  .string()
  .max(100)
  .transform((s) => (s === "" ? [] : s.split(",")))
  .pipe(z.array(z.enum(FEED_SUBJECTS)).max(FEED_SUBJECTS.length));
const feedSchema = z
  .object({
    items: z.array(activitySchema).describe("in commit order"),
    next: z
      .string()
      .describe("the cursor to read on from: pass it as `after` next time, even when no item came"),
    hasMore: z.boolean().describe("more lines are there now: read again at once with `after=next`"),
  })
  .meta({ id: "ActivityFeed" });
/** A period that ends before it starts is a mistake, not an empty log. */
function checkPeriod(f: Filter): void {
  if (f.from && f.to && f.from.getTime() > f.to.getTime()) {
    const message = `from (${f.from.toISOString()}) is after to (${f.to.toISOString()})`;
    throw new ApiError(400, "validation_failed", "The request is not valid", [
      { field: "querystring.from", message, rule: "too_big" },
    ]);
  }
}
/** The store's filter; a device named by `serial:` resolved (unknown: a 404 naming `querystring.device`). */
const toFilter = async (db: Db, spaceId: string, f: Filter) => ({
  action: f.action,
  actorKind: f.actor,
  adamId: f.app,
  userId: f.user,
  deviceId:
    f.device === undefined ? undefined : await deviceIdOfRef(db, spaceId, f.device, "querystring.device"),
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
        description:
          "`from` and `to` take a date (`2026-12-01`: its start in UTC) or a date-time with its offset; " +
          "`from` is inclusive, `to` exclusive. A `from` after `to` is a 400 naming `querystring.from`.",
        params: spaceParams,
        querystring: listQuery.extend({ ...activityFilter.shape, ...searchQuery }),
        response: { 200: pageOf(activitySchema), ...problemResponses },
      },
    },
    async (request) => {
      const { page, pageSize, q, keys, sort, order, ...filter } = request.query;
      checkPeriod(filter);
      const spaceId = spaceOf(request);
      return listActivityView(db, spaceId, await toFilter(db, spaceId, filter), {
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
    "/spaces/:spaceId/activity/feed",
    {
      config: can.mdm.read,
      schema: {
        tags: ["activity"],
        summary:
          "The activity log in commit order, from a cursor: for an MDM or an audit to follow the space",
        description:
          "Read from the start (no `after`) or from now on (`after=now`), then each time with `after` = the " +
          "previous answer's `next`: every line of the log comes once, none is skipped, even one whose " +
          "transaction committed after a later one's (lines are read once every transaction before them " +
          "has ended; a long one delays them, never loses them). `hasMore`: read again at once. " +
          "`about=license,device` keeps the lines naming a license or a device; a read looks at 10,000 lines at " +
          "most, so a filtered answer may hold fewer items than `limit`, even none, with `hasMore` (a deleted device's last " +
          "line is its `mdm.mdm_profile_removed`; read the subject again to see its state). Lines past " +
          "the log's retention are gone. A cursor from another copy of the database (kept across a " +
          "restore from a dump) is a 410 `feed_cursor_unknown`: read again from the start or from now. The " +
          "records an MDM sends itself (a device or user created, renamed, given another user) are not log " +
          "lines: `GET devices` and `GET users` read them with `updatedSince`.",
        params: spaceParams,
        querystring: z.object({
          after: feedCursor
            .optional()
            .describe(
              "the previous answer's `next`; `now` for what commits from now on; none: from the start",
            ),
          about: feedSubjects
            .optional()
            .describe("comma-separated: only the lines naming a license, device, user, app or account"),
          limit: queryInt(1, 1000, 200),
        }),
        response: { 200: feedSchema, 410: problemSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { after, about, limit } = request.query;
      const page = await readActivityFeed(db, spaceOf(request), {
        after: after ?? FEED_START,
        limit,
        ...(about ? { about } : {}),
      });
      if (!page) {
        const message =
          "this cursor is past every change this database has: it comes from another copy of it (a restore); read again from the start or with after=now";
        throw new ApiError(410, "feed_cursor_unknown", message, [
          { field: "querystring.after", message, rule: "invalid_value" },
        ]);
      }
      return { items: page.items, next: formatFeedCursor(page.next), hasMore: page.hasMore };
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
        querystring: activityFilter.extend({ ...searchQuery, lang: exportLanguage }),
        produces: ["text/csv"],
        response: { 200: z.unknown().describe("text/csv"), ...problemResponses },
      },
    },
    async (request, reply) => {
      const { q, keys, lang, ...filter } = request.query;
      checkPeriod(filter);
      const spaceId = spaceOf(request);
      const rows = iterateActivity(db, spaceId, await toFilter(db, spaceId, filter), { q, keys });
      // Rows are pulled as the client reads: memory stays flat whatever the log's size.
      const csv = activityCsv(activityInLanguage(rows, lang));
      csv.on("error", (error) => request.log.error({ err: error }, "CSV export failed"));
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", 'attachment; filename="orchard-activity.csv"')
        .header("content-language", lang)
        .serializer((x: unknown) => x as string)
        .send(csv);
    },
  );
}
