import { z } from "zod";
import { type Api, type ApiContext, can } from "../context.js";
import { problemResponses } from "../problem.js";
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
        body: z.unknown(),
        response: { 200: z.object({ ok: z.literal(true) }), ...problemResponses },
      },
    },
    async (request) => {
      await handle({ accountId: request.params.accountId, body: request.body, headers: request.headers });
      return { ok: true as const };
    },
  );
}
