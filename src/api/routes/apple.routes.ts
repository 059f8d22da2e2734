import { z } from "zod";
import { type Api, type ApiContext, can } from "../context.js";
import { ApiError, problemResponses } from "../problem.js";
import { id } from "../schemas.js";

/**
 * Apple's notifications for an account (sync checks their authenticity: Apple signs
 * nothing we could check here). Public, as Apple calls it without our credentials.
 */
export function registerAppleRoutes(app: Api, ctx: ApiContext): void {
  const handle = ctx.appleNotifications;
  if (!handle) return;
  app.post(
    "/apple/notifications/:accountId",
    {
      config: { ...can.public, rateLimit: { max: 600, timeWindow: "1 minute" } },
      schema: {
        tags: ["apple"],
        params: z.object({ accountId: id }),
        // Read as Apple sends it: whatever the URL configured at Apple carries is not refused.
        querystring: z.object({}).catchall(z.unknown()),
        body: z.unknown(),
        response: { 200: z.object({ ok: z.literal(true) }), ...problemResponses },
      },
    },
    async (request) => {
      const result = await handle({
        accountId: request.params.accountId,
        body: request.body,
        headers: request.headers,
      });
      // Apple retries anything but 2xx; an unknown account and a wrong secret look alike.
      if (result.status === 401 || result.status === 404) throw new ApiError(404, "not_found", "Not found");
      if (result.status === 400)
        throw new ApiError(400, "malformed_notification", "Not an Apple notification");
      if (result.status >= 500) throw new ApiError(503, "notification_failed", "Try again later");
      return { ok: true as const };
    },
  );
}
