import { z } from "zod";
import { type Api, type ApiContext, can } from "../context.js";
import { ApiError, problemSchema } from "../problem.js";

/** Liveness with a database round trip, and the OpenAPI document. */
export function registerHealthRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    "/healthz",
    {
      config: can.public,
      schema: {
        tags: ["health"],
        summary: "Liveness, with a database round trip (503 when the database does not answer)",
        // A probe's own parameters (a cache-buster) are not the API's to refuse.
        querystring: z.object({}).catchall(z.unknown()),
        response: { 200: z.object({ status: z.literal("ok") }), 503: problemSchema },
      },
    },
    async () => {
      try {
        await ctx.ping();
      } catch {
        throw new ApiError(503, "database_unreachable", "The database does not answer");
      }
      return { status: "ok" as const };
    },
  );
  app.get("/openapi.json", { config: can.public, schema: { hide: true } }, async () => app.swagger());
}
