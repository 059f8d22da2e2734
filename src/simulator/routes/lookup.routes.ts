/**
 * GET /lookup: the store's public metadata in the iTunes Search API's lookup format
 * (`?id=1,2,3&country=us&entity=software` -> `{resultCount, results}`), the URL GET
 * /service/config gives as `urls.contentMetadataLookup`. Custom (B2B) apps, unknown ids and
 * apps that `country`'s store does not sell are left out, as the public lookup does. No token needed; faults apply as "/lookup".
 */
import type { FastifyInstance } from "fastify";
import { lookupItem, soldIn } from "../app-metadata.js";
import type { SimContext } from "../context.js";

export const LOOKUP_PATH = "/lookup";

export function registerLookupRoutes(app: FastifyInstance, ctx: SimContext): void {
  app.get<{ Querystring: { id?: string; country?: string } }>(LOOKUP_PATH, async (request) => {
    ctx.requests.set(LOOKUP_PATH, (ctx.requests.get(LOOKUP_PATH) ?? 0) + 1);
    const fault = ctx.faults.draw(LOOKUP_PATH);
    if (fault) throw fault;
    const ids = String(request.query.id ?? "")
      .split(",")
      .map((id) => id.trim())
      .filter((id) => id !== "");
    // Each storefront lists what it sells; the public lookup's default store is the US one.
    const country = String(request.query.country ?? "us");
    const results = [];
    for (const id of new Set(ids)) {
      const held = ctx.world.metadata.get(id);
      if (held && !held.custom && soldIn(held, country)) results.push(lookupItem(held, country));
    }
    return { resultCount: results.length, results };
  });
}
