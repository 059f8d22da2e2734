import { z } from "zod";
import {
  acknowledgeNotification,
  acknowledgeNotifications,
  listNotificationsView,
} from "../../store/index.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import {
  flag,
  id,
  notificationSchema,
  pageOf,
  pageQuery,
  searchKeys,
  spaceParams,
  withId,
} from "../schemas.js";

const listQuery = pageQuery(["raisedAt", "severity"] as const);

/** NT3: the notifications of a space, listed, acknowledged one by one or several at once. */
export function registerNotificationRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/notifications",
    {
      config: can.read,
      schema: {
        tags: ["notifications"],
        summary: "NT3: notifications, newest first",
        params: spaceParams,
        querystring: listQuery.extend({
          q: listQuery.shape.q.describe(
            "a notification matches when its English title, or its app's or account's name contains this (case-insensitive), or when its message key is one of `keys`",
          ),
          keys: searchKeys.describe(
            "comma-separated message keys (at most 100), searched with `q`: the console sends those whose title in its language contains `q`",
          ),
          open: flag.optional(),
          acknowledged: flag.optional(),
          severity: z.enum(["info", "warning", "alert"]).optional(),
          kind: z.string().max(100).optional(),
          group: flag
            .optional()
            .describe(
              "NT1: one row per (account, app) and episode, the highest level raised, with the lower ones that match the filter in `folded` (and out of `total`)",
            ),
        }),
        response: { 200: pageOf(notificationSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { open, acknowledged, severity, kind, group, ...page } = request.query;
      return listNotificationsView(
        db,
        spaceOf(request),
        { open, acknowledged, severity, kind, group },
        { ...page, sort: page.sort ?? "raisedAt", order: page.sort ? page.order : "desc" },
      );
    },
  );

  app.post(
    "/spaces/:spaceId/notifications/acknowledge",
    {
      config: can.write,
      schema: {
        tags: ["notifications"],
        summary: "Acknowledges several notifications at once (a folded NT1 group, a selection)",
        description:
          "Ids of no notification of the space are ignored; one already acknowledged keeps its date. Answers how many were acknowledged by this call.",
        params: spaceParams,
        body: z.object({ ids: z.array(id).min(1).max(500) }),
        response: { 200: z.object({ acknowledged: z.number().int() }), ...problemResponses },
      },
    },
    async (request) => ({
      acknowledged: await acknowledgeNotifications(db, spaceOf(request), request.body.ids, now()),
    }),
  );

  app.post(
    "/spaces/:spaceId/notifications/:notificationId/acknowledge",
    {
      config: can.write,
      schema: {
        tags: ["notifications"],
        summary: "Acknowledge one notification",
        params: withId("notificationId"),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await acknowledgeNotification(db, spaceOf(request), request.params.notificationId, now());
      return reply.status(204).send();
    },
  );
}
