import { z } from "zod";
import {
  acknowledgeNotification,
  acknowledgeNotifications,
  findNotificationView,
  listNotificationsView,
} from "../../store/index.js";
import {
  listNotificationDeliveriesView,
  retryDeliveries,
  summarizeNotificationDeliveries,
} from "../../store/notification-delivery.repo.js";
import { NOTIFICATION_KINDS } from "../../sync/notification-kinds.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { ApiError, problemResponses } from "../problem.js";
import {
  channelName,
  deliveryState,
  deliverySummarySchema,
  flag,
  id,
  notificationDeliverySchema,
  notificationSchema,
  pageOf,
  pageQuery,
  resendResultSchema,
  searchKeys,
  spaceParams,
  withId,
} from "../schemas.js";

const listQuery = pageQuery(["raisedAt", "severity"] as const);
const deliveriesQuery = pageQuery(["createdAt", "updatedAt"] as const).omit({ q: true });

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
          kind: z.enum(NOTIFICATION_KINDS).optional(),
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

  app.get(
    "/spaces/:spaceId/notifications/deliveries",
    {
      config: can.read,
      schema: {
        tags: ["notifications"],
        summary: "Each notification's delivery to each channel (webhook, e-mail), newest first",
        description:
          "A delivery is `pending` (to be sent, or waiting for its next attempt after a failure the channel may recover from), `delivered`, or `failed`: refused (an HTTP 4xx other than 408 and 429, an SMTP 5xx) or given up after nearly 3 hours of retries. `lastError` names the status or the system error, never the channel's URL or credentials. Failed ones are sent again with `POST …/notifications/deliveries/retry`. A channel no longer configured still has its deliveries listed.",
        params: spaceParams,
        querystring: deliveriesQuery.extend({
          sort: deliveriesQuery.shape.sort.describe(
            "createdAt (when the notification was raised, the default) or updatedAt (the last attempt); newest first unless `order` is given with it",
          ),
          state: deliveryState.optional(),
          channel: channelName.optional().describe("webhook or email (any channel name is taken)"),
        }),
        response: { 200: pageOf(notificationDeliverySchema), ...problemResponses },
      },
    },
    async (request) => {
      const { state, channel, ...page } = request.query;
      return listNotificationDeliveriesView(
        db,
        spaceOf(request),
        { state, channel },
        { ...page, sort: page.sort ?? "createdAt", order: page.sort ? page.order : "desc" },
      );
    },
  );

  app.get(
    "/spaces/:spaceId/notifications/deliveries/summary",
    {
      config: can.read,
      schema: {
        tags: ["notifications"],
        summary: "Deliveries per channel and state, and each channel's latest failure",
        description:
          "Every channel with deliveries in the space, and every channel this server has configured (`configured`).",
        params: spaceParams,
        response: { 200: deliverySummarySchema, ...problemResponses },
      },
    },
    async (request) => {
      const counted = await summarizeNotificationDeliveries(db, spaceOf(request));
      const configured = ctx.notificationDeliveries?.channels;
      const names = [...new Set([...(configured ?? []), ...counted.map((c) => c.channel)])].sort();
      const zero = { pending: 0, retrying: 0, delivered: 0, failed: 0 };
      const channels = names.map((channel) => ({
        channel,
        ...zero,
        ...counted.find((c) => c.channel === channel),
        ...(configured ? { configured: configured.includes(channel) } : {}),
      }));
      return { failed: channels.reduce((n, c) => n + c.failed, 0), channels };
    },
  );

  app.post(
    "/spaces/:spaceId/notifications/deliveries/retry",
    {
      config: can.write,
      schema: {
        tags: ["notifications"],
        summary: "Sends failed deliveries again, after the channel's configuration was fixed",
        description:
          "The space's failed deliveries (of one channel, of some notifications, or all) go back to pending from their first attempt, and a first attempt is made at once (waiting for it up to 15 s): the answer counts those delivered, refused again, and still pending, which the worker's rounds retry as any other. Only deliveries to channels this server has configured are sent again; naming another is a 409 `channel_not_configured`. Idempotent: with nothing failed, `retried` is 0. Receivers may get a notification twice (at least once): they dedupe on its id.",
        params: spaceParams,
        body: z
          .strictObject({
            channel: channelName.optional().describe("only this channel's (webhook or email)"),
            notificationIds: z.array(id).min(1).max(500).optional().describe("only these notifications'"),
          })
          .default({}),
        response: { 200: resendResultSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { channel, notificationIds } = request.body;
      const port = ctx.notificationDeliveries;
      if (!port) {
        // No sending here: re-queued for the worker's rounds.
        const retried = await retryDeliveries(db, spaceId, {
          ...(channel !== undefined ? { channel } : {}),
          ...(notificationIds ? { notificationIds } : {}),
          now: now(),
        });
        return { retried: retried.length, delivered: 0, failed: 0, pending: retried.length, errors: [] };
      }
      if (channel !== undefined && !port.channels.includes(channel)) {
        const message = `the channel "${channel}" is not configured on this server (${
          port.channels.length > 0 ? `configured: ${port.channels.join(", ")}` : "no channel is configured"
        })`;
        throw new ApiError(409, "channel_not_configured", message, [{ field: "body.channel", message }]);
      }
      return port.resend({
        spaceId,
        ...(channel !== undefined ? { channel } : {}),
        ...(notificationIds ? { notificationIds } : {}),
      });
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
          "Ids of no notification of the space are left out; one already acknowledged keeps its date. Answers " +
          "how many were acknowledged by this call, their ids, and each other id with why.",
        params: spaceParams,
        body: z.strictObject({ ids: z.array(id).min(1).max(500) }),
        response: {
          200: z.object({
            acknowledged: z.number().int().describe("how many this call acknowledged"),
            ids: z.array(z.string()).describe("their ids"),
            skipped: z
              .array(z.object({ id: z.string(), reason: z.enum(["acknowledged_already", "not_found"]) }))
              .describe(
                "the others, and why: acknowledged before (its date kept), or no notification of the space",
              ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const result = await acknowledgeNotifications(db, spaceOf(request), request.body.ids, now());
      return { acknowledged: result.acknowledged.length, ids: result.acknowledged, skipped: result.skipped };
    },
  );

  app.get(
    "/spaces/:spaceId/notifications/:notificationId",
    {
      config: can.read,
      schema: {
        tags: ["notifications"],
        summary: "NT3: one notification, with its app's and account's names (an e-mail's link opens it)",
        params: withId("notificationId"),
        response: { 200: notificationSchema, ...problemResponses },
      },
    },
    async (request) => {
      const found = await findNotificationView(db, spaceOf(request), request.params.notificationId);
      if (!found) throw new ApiError(404, "not_found", "Not found");
      return found;
    },
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
