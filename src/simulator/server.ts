/**
 * The Fastify app: one hook chain for every /mdm/v2 request (count, latency, injected
 * faults, auth, rate limit), the routes, and one error mapping so that every failure is
 * Apple's ErrorResponse `{errorNumber, errorMessage}` with Apple's HTTP status, never a
 * framework error body.
 */
import { setTimeout as sleep } from "node:timers/promises";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { authenticate } from "./auth.js";
import type { SimContext } from "./context.js";
import { AppleError, errorBody } from "./errors.js";
import type { SimulatorOperator } from "./operator.js";
import { RateLimiter } from "./rate-limit.js";
import { registerAssetRoutes } from "./routes/assets.routes.js";
import { registerConfigRoutes } from "./routes/config.routes.js";
import { registerLookupRoutes } from "./routes/lookup.routes.js";
import { registerManageRoutes } from "./routes/manage.routes.js";
import { registerOperatorRoutes } from "./routes/operator.routes.js";
import { registerStatusRoutes } from "./routes/status.routes.js";
import { registerUserRoutes } from "./routes/users.routes.js";

const BASE = "/mdm/v2";
/** Apple's v2 paths; another method on one of them is 405 / 9726. */
const APPLE_PATHS = new Set([
  "/service/config",
  "/client/config",
  "/assets",
  "/assignments",
  "/users",
  "/assets/associate",
  "/assets/disassociate",
  "/assets/revoke",
  "/users/create",
  "/users/update",
  "/users/retire",
  "/status",
]);

export function buildApp(ctx: SimContext, operator: SimulatorOperator, rateLimit: boolean): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: 8 * 1024 * 1024,
    frameworkErrors: (_error, _request, reply) => {
      (reply as FastifyReply).status(400).send(errorBody(9602));
    },
  });
  const limiter = new RateLimiter();

  // Bodies are read as text and parsed by the routes, so that malformed JSON or a wrong
  // Content-Type becomes 9602 / 9727 rather than a framework error.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string" }, (_request, body, done) => done(null, body));

  app.addHook("onRequest", async (request) => {
    const path = (request.url.split("?")[0] ?? "").replace(/\/+$/, "");
    if (!path.startsWith(`${BASE}/`) || request.routeOptions.url === undefined) return;
    const endpoint = path.slice(BASE.length);
    ctx.requests.set(endpoint, (ctx.requests.get(endpoint) ?? 0) + 1);
    const latency = ctx.faults.latencyMs(endpoint);
    if (latency > 0) await sleep(latency);
    const fault = ctx.faults.draw(endpoint);
    if (fault) throw fault;
    // Service config is documented as not needing the token.
    if (endpoint === "/service/config") return;
    const location = authenticateAs(ctx, endpoint, request.headers.authorization);
    ctx.locations.set(request, location);
    if (rateLimit) {
      const wait = limiter.hit(location.uId, ctx.world.limits.maxRequestPerSecond);
      if (wait !== undefined) throw new AppleError(9646, undefined, { "retry-after": String(wait) });
    }
  });

  // Any request but a read may have changed the state (client config, a new event).
  app.addHook("onResponse", async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") ctx.changed?.();
  });

  registerConfigRoutes(app, ctx);
  registerAssetRoutes(app, ctx);
  registerManageRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerStatusRoutes(app, ctx);
  registerOperatorRoutes(app, operator);
  registerLookupRoutes(app, ctx);

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (path.startsWith(BASE) && APPLE_PATHS.has(path.slice(BASE.length))) {
      return sendApple(reply, new AppleError(9726));
    }
    return reply.status(404).send(path.startsWith(BASE) ? errorBody(9602) : { error: "not found" });
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof AppleError) return sendApple(reply, error);
    const status = (error as { statusCode?: number }).statusCode ?? 500;
    if (!request.url.startsWith(BASE)) {
      return reply.status(status).send({ error: status < 500 ? (error as Error).message : "internal error" });
    }
    if (status === 415) return sendApple(reply, new AppleError(9727));
    if (status < 500) return reply.status(status).send(errorBody(9602));
    ctx.logger?.warn({ err: String(error), url: request.url }, "simulator route crashed");
    return sendApple(reply, new AppleError(9603));
  });

  return app;
}

/** The token's location; a refused token is answered with HTTP 200 under that quirk's fault. */
function authenticateAs(ctx: SimContext, endpoint: string, header: string | string[] | undefined) {
  try {
    return authenticate(ctx.world, header);
  } catch (error) {
    if (!(error instanceof AppleError) || !ctx.faults.tokenErrorsAsHttp200(endpoint)) throw error;
    throw new AppleError(error.errorNumber, error.errorInfo, error.headers, 200);
  }
}

function sendApple(reply: FastifyReply, error: AppleError): FastifyReply {
  return reply.status(error.httpStatus).headers(error.headers).send(error.body());
}
