import { isMetricsScrape, metricsExposition } from "../../metrics/exposition.js";
import { type Api, type ApiContext, can } from "../context.js";
import { ApiError } from "../problem.js";

/**
 * `GET /metrics` for Prometheus (text exposition format): this process's figures and what
 * Orchard holds, read from the database at each scrape. Scraped with the bearer token
 * METRICS_TOKEN (Prometheus' `authorization: { credentials: … }`); without it configured
 * the endpoint is off. Outside /api/v1 and the OpenAPI document: it is not the JSON API.
 */
export function registerMetricsRoutes(app: Api, ctx: ApiContext): void {
  const token = ctx.metricsToken;
  app.get("/metrics", { config: can.ownCredential, schema: { hide: true } }, async (request, reply) => {
    if (token === undefined)
      throw new ApiError(404, "metrics_off", "Metrics are off: set METRICS_TOKEN to serve /metrics");
    if (!isMetricsScrape(request.headers.authorization, token))
      throw new ApiError(401, "unauthenticated", "send the metrics token (METRICS_TOKEN) as a Bearer token");
    const { contentType, text } = await metricsExposition(ctx.deps.db, ctx.deps.now());
    return reply.type(contentType).send(text);
  });
}
