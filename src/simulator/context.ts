/**
 * What the routes share: the world, the event engine, the notifier, faults, options,
 * and the location authenticated for a request.
 */
import type { FastifyRequest } from "fastify";
import type { EventEngine } from "./events.js";
import type { Faults } from "./faults.js";
import type { Location } from "./location.js";
import type { Notifier, SimulatorLogger } from "./notifier.js";
import { formatAppleDate } from "./stoken.js";
import type { World } from "./world.js";

export interface SimContext {
  world: World;
  events: EventEngine;
  notifier: Notifier;
  faults: Faults;
  logger?: SimulatorLogger;
  pageSize: number;
  assetPageSize: number;
  /** Which plain-HTTP notification URLs are accepted besides HTTPS (see SimulatorOptions). */
  insecureNotificationUrls: "loopback" | "any" | "none";
  /** e.g. http://127.0.0.1:8181, known once listening. */
  origin: () => string;
  requests: Map<string, number>;
  /** The authenticated location of a request (set by the auth hook). */
  locations: WeakMap<FastifyRequest, Location>;
  /** Called after something that may have changed the state (schedules a save of the state file). */
  changed?: () => void;
}

export function locationOf(ctx: SimContext, request: FastifyRequest): Location {
  const location = ctx.locations.get(request);
  if (!location) throw new Error("route reached without authentication");
  return location;
}

/** `uId` and `tokenExpirationDate`, on every authenticated response. */
export function envelopeOf(location: Location): { uId: string; tokenExpirationDate: string } {
  return { uId: location.uId, tokenExpirationDate: formatAppleDate(location.tokenExpiresAt) };
}
