import { z } from "zod";
import { type Api, type ApiContext, can } from "../context.js";
import { problemSchema } from "../problem.js";

/** Liveness with a database round trip, and the OpenAPI document. */
export function registerHealthRoutes(app: Api, ctx: ApiContext): void {
  app.get(
    "/healthz",
    {
      config: can.public,
      schema: {
        tags: ["health"],
        response: { 200: z.object({ status: z.literal("ok") }), 503: problemSchema },
      },
    },
    async (_request, reply) => {
      try {
        await ctx.ping();
      } catch {
        return reply.status(503).type("application/problem+json").send({
          type: "/problems/database-unreachable",
          title: "The database does not answer",
          status: 503,
          code: "database_unreachable",
        });
      }
      return { status: "ok" as const };
    },
  );
  app.get("/openapi.json", { config: can.public, schema: { hide: true } }, async () => app.swagger());
}
