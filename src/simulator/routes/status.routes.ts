/**
 * GET /status?eventId= (a query parameter, not a path segment).
 * https://developer.apple.com/documentation/devicemanagement/events-status
 */
import type { FastifyInstance } from "fastify";
import type { StatusResponse } from "../../apple/wire.js";
import { envelopeOf, locationOf, type SimContext } from "../context.js";
import { AppleError } from "../errors.js";
import { queryOf, queryString } from "../request.js";

export function registerStatusRoutes(app: FastifyInstance, ctx: SimContext): void {
  app.get("/mdm/v2/status", async (request): Promise<StatusResponse> => {
    const location = locationOf(ctx, request);
    const eventId = queryString(queryOf(request), "eventId");
    // Events are per location: another location's eventId is not found either (9708).
    const event = eventId === undefined ? undefined : location.events.get(eventId);
    if (!event) throw new AppleError(9708);
    const response: StatusResponse = {
      eventStatus: event.eventStatus,
      eventType: event.eventType,
      numCompleted: event.numCompleted,
      numRequested: event.numRequested,
      ...envelopeOf(location),
    };
    if (event.failures.length > 0) response.failures = event.failures.map((f) => ({ ...f }));
    return response;
  });
}
