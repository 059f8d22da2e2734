import { randomUUID } from "node:crypto";
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import cookie from "@fastify/cookie";
import helmet from "@fastify/helmet";
import multipart from "@fastify/multipart";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance } from "fastify";
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { DestinationStream } from "pino";
import { ZodObject, z } from "zod";
import { observeHttpRequest } from "../metrics/process-metrics.js";
import { installAuthorization } from "./authz.js";
import { registerConsole } from "./console.js";
import type { Api, ApiContext } from "./context.js";
import { installErrorHandling, JSON_BODY, sendProblem, unsupportedMediaType } from "./errors.js";
import { idempotency } from "./idempotency.js";
import { BODY_LIMIT_BYTES, TOKEN_FILE_LIMIT_BYTES } from "./limits.js";
import { fastifyLogger } from "./logger.js";
import { ApiPaths } from "./methods.js";
import { describeRoute, finishDocument, openapiOptions } from "./openapi.js";
import { refuseUnversionedIfMatch } from "./preconditions.js";
import { problem } from "./problem.js";
import { registerAccountRoutes } from "./routes/accounts.routes.js";
import { registerActivityRoutes } from "./routes/activity.routes.js";
import { registerAppleRoutes } from "./routes/apple.routes.js";
import { registerAppRoutes } from "./routes/apps.routes.js";
import { registerAuthRoutes } from "./routes/auth.routes.js";
import { registerDecisionRoutes } from "./routes/decisions.routes.js";
import { registerDeviceRoutes } from "./routes/devices.routes.js";
import { registerDirectoryRoutes } from "./routes/directory.routes.js";
import { registerExportRoutes } from "./routes/exports.routes.js";
import { registerHealthRoutes } from "./routes/health.routes.js";
import { registerLicenseRoutes } from "./routes/licenses.routes.js";
import { registerMdmRoutes } from "./routes/mdm.routes.js";
import { registerMetricsRoutes } from "./routes/metrics.routes.js";
import { registerNotificationRoutes } from "./routes/notifications.routes.js";
import { registerOutsideAssignmentRoutes } from "./routes/outside-assignments.routes.js";
import { registerReclaimRoutes } from "./routes/reclaim.routes.js";
import { registerRefusalRoutes } from "./routes/refusals.routes.js";
import { registerSpaceRoutes } from "./routes/spaces.routes.js";
import { registerSsoRoutes } from "./routes/sso.routes.js";
import { registerUserBulkRoute } from "./routes/users-bulk.routes.js";
import { STORABLE_TEXT } from "./storable-text.js";

export interface BuildApiOptions {
  logLevel?: string;
  /** Where log lines go (tests capture them); default stdout. */
  logStream?: DestinationStream;
  /** Logins per minute per address. */
  loginRateLimit?: number;
  /** TRUST_PROXY: the reverse proxies whose X-Forwarded-For and -Proto are believed; default none. */
  trustProxy?: boolean | number | string[];
  /** Requests per minute per API token (429 past it); unset or 0: unlimited. */
  tokenRateLimit?: number;
  /** Serve the administrator console (web/dist) at every non-API path. Default true. */
  console?: boolean;
}

/**
 * As long as any URL Node reads (its headers, request line included, stop at 16 KiB): an id
 * of any length reaches its route, whose schema says it is longer than 200.
 */
const MAX_PARAM_LENGTH = 16 * 1024;

/**
 * The HTTP API under /api/v1: every route with a zod schema (validation, serialization
 * and the OpenAPI 3.1 document at /openapi.json, browsable at /docs), one authorization
 * hook, one error handler. Built from a context: no I/O of its own but through it.
 */
export async function buildApi(ctx: ApiContext, options: BuildApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: fastifyLogger(options.logLevel ?? "info", options.logStream),
    bodyLimit: BODY_LIMIT_BYTES,
    // Behind a reverse proxy (TRUST_PROXY): the client's address for the login rate limit and
    // the logs, and https for Secure cookies; never believed from anyone else.
    trustProxy:
      typeof options.trustProxy === "number" ? hopsOf(options.trustProxy) : (options.trustProxy ?? false),
    // The caller's own X-Request-Id when it is a plain token (a proxy's, an integration's): its
    // logs and ours then name the request alike. Else one unique across processes and restarts,
    // so that a requestId an integrator quotes finds its log line.
    genReqId: (raw) => {
      const given = raw.headers["x-request-id"];
      return typeof given === "string" && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Ids are up to 200 characters (schemas.ts `id`): a longer one gets the route's own 400.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot read (a broken %-escape, a parameter past the limit) answers
    // problem+json like every other error, not Fastify's own JSON.
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      const [code, title, detail] =
        status === 414
          ? [
              "uri_too_long",
              "A part of the URL is too long",
              `a path segment is limited to ${MAX_PARAM_LENGTH} characters`,
            ]
          : [
              "bad_url",
              "The URL cannot be read",
              "a % in the path must start an escape of two hexadecimal digits (%25 for % itself)",
            ];
      sendProblem(request, reply, problem(status, code, title, detail));
    },
  });
  app.setValidatorCompiler<z.ZodType>((route) => {
    // A query parameter a route does not take is refused, as a body's unknown field is:
    // `devices?serialNumber=` (the body's name for `serial`) must not list every device. A
    // loose object (another party's parameters: the identity provider's callback) stays so.
    const schema =
      route.httpPart === "querystring" &&
      route.schema instanceof ZodObject &&
      route.schema._zod.def.catchall === undefined
        ? route.schema.strict()
        : route.schema;
    const validate = validatorCompiler({ ...route, schema });
    const refuseUnstorable = validatorCompiler({ ...route, schema: STORABLE_TEXT });
    // Fastify hands an absent body over as null; zod's defaults apply to an absent value.
    const present = (data: unknown) => (route.httpPart === "body" && data === null ? undefined : data);
    // The route's own words first (a serial number says "no control characters").
    return (data: unknown) => {
      const checked = validate(present(data));
      if (typeof checked !== "object" || ("error" in checked && checked.error)) return checked;
      const unstorable = refuseUnstorable(data);
      return typeof unstorable === "object" && "error" in unstorable && unstorable.error
        ? unstorable
        : checked;
    };
  });
  app.setSerializerCompiler(serializerCompiler);
  const paths = new ApiPaths(app);
  installErrorHandling(app, paths);
  // Every response says which request it was, as the problem's requestId does.
  app.addHook("onSend", async (request, reply) => {
    void reply.header("x-request-id", request.id);
  });
  // Counted by the route's pattern, never the URL: one series per route, not per id.
  app.addHook("onResponse", async (request, reply) => {
    observeHttpRequest({
      method: request.method,
      route: request.is404 ? undefined : request.routeOptions.url,
      status: reply.statusCode,
      seconds: reply.elapsedTime / 1000,
    });
  });
  // A change sent without a body (`curl -X POST`, or an empty JSON body) has none: a route
  // whose body is optional takes its defaults, one that needs a body says which fields.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  // Read strictly as UTF-8 (RFC 8259): bytes that are not would be stored as U+FFFD, silently.
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(
        Object.assign(new Error("the JSON body is not valid UTF-8"), { statusCode: 400 }),
        undefined,
      );
    }
    if (text.trim() === "") return done(null, undefined);
    parseJson(request, text, done);
  });
  // JSON is the API's one body format: text/plain is a 415 as XML is (not a string that fails
  // validation with a 400), and so is multipart but on a route that takes an upload (its
  // schema's `consumes`: the sToken file). Refused before the body is read.
  app.removeContentTypeParser("text/plain");
  app.addHook("preParsing", async (request, _reply, payload) => {
    const type = request.mediaType;
    if (type === undefined || request.is404 || request.method === "GET" || request.method === "HEAD")
      return payload;
    const accepted = request.routeOptions.schema?.consumes ?? JSON_BODY;
    if (!accepted.includes(type)) throw unsupportedMediaType(type, accepted);
    return payload;
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
      },
    },
  });
  await app.register(cookie);
  await app.register(multipart, {
    attachFieldsToBody: "keyValues",
    limits: { fileSize: TOKEN_FILE_LIMIT_BYTES, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
    // The token file arrives as text, so the body schema reads it like any field.
    async onFile(part) {
      (part as unknown as { value: string }).value = (await part.toBuffer()).toString("utf8");
    },
  });
  await app.register(rateLimit, { global: false });
  // Before the document collects the routes: an operationId each, no credentials on public ones.
  app.addHook("onRoute", describeRoute);
  // A route that takes no query parameter takes none: one sent (a filter it does not have,
  // `accounts?name=`) is a 400 naming it, as on the routes that take some, not ignored.
  app.addHook("onRoute", (route) => {
    if (route.schema && !route.schema.hide && route.schema.querystring === undefined)
      route.schema = { ...route.schema, querystring: z.object({}) };
  });
  await app.register(swagger, {
    openapi: openapiOptions as unknown as Record<string, unknown>,
    transform: jsonSchemaTransform,
    transformObject: (input) => finishDocument(jsonSchemaTransformObject(input)),
  });
  // /docs and its assets are public, like /openapi.json.
  app.addHook("onRoute", (route) => {
    if (route.url.startsWith("/docs"))
      route.config = { ...(route.config ?? {}), permission: { kind: "public" } };
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  installAuthorization(app, { db: ctx.deps.db, now: ctx.deps.now });
  // Each API token its own budget per minute, whatever it calls and however it is answered
  // (a loop of 400s too): an integration caught in a loop is answered 429 with Retry-After
  // before it loads the database. Right after authentication (an onRequest hook too, so it
  // runs next): a wrong token is its 401, uncounted. Console sessions are people, not counted.
  if (options.tokenRateLimit)
    app.addHook(
      "onRequest",
      app.rateLimit({
        max: options.tokenRateLimit,
        timeWindow: 60_000,
        keyGenerator: (request) => `api-token:${request.principal?.id ?? ""}`,
        allowList: (request) => request.principal?.kind !== "api_token",
      }),
    );
  // After authorization and validation: a key is claimed only by a request the route will run.
  await app.register(idempotency, { db: ctx.deps.db, now: ctx.deps.now });
  refuseUnversionedIfMatch(app);
  const api = app.withTypeProvider<ZodTypeProvider>() as unknown as Api;
  registerHealthRoutes(api, ctx);
  registerMetricsRoutes(api, ctx);
  await api.register(
    async (v1) => {
      registerAuthRoutes(v1 as Api, ctx, options.loginRateLimit ?? 10);
      registerSsoRoutes(v1 as Api, ctx);
      registerSpaceRoutes(v1 as Api, ctx);
      registerAccountRoutes(v1 as Api, ctx);
      registerAppRoutes(v1 as Api, ctx);
      registerLicenseRoutes(v1 as Api, ctx);
      registerReclaimRoutes(v1 as Api, ctx);
      registerOutsideAssignmentRoutes(v1 as Api, ctx);
      registerRefusalRoutes(v1 as Api, ctx);
      registerExportRoutes(v1 as Api, ctx);
      registerDecisionRoutes(v1 as Api, ctx);
      registerDirectoryRoutes(v1 as Api, ctx);
      registerUserBulkRoute(v1 as Api, ctx);
      registerDeviceRoutes(v1 as Api, ctx);
      registerActivityRoutes(v1 as Api, ctx);
      registerNotificationRoutes(v1 as Api, ctx);
      registerAppleRoutes(v1 as Api, ctx);
      registerMdmRoutes(v1 as Api, ctx);
    },
    { prefix: "/api/v1" },
  );
  if (options.console !== false) await registerConsole(app, undefined, paths);
  return app;
}

/** A request id a caller may choose: letters, digits and `._:-`, up to 128 (no log can be forged with it). */
const CALLER_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A number of proxies to believe, counted from this server (Fastify's hop count, as its type takes it). */
function hopsOf(hops: number): (address: string, hop: number) => boolean {
  return (_address, hop) => hop < hops;
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers too large, bytes that
 * are not HTTP, a request too slow to arrive): answered as problem+json too, then closed.
 */
function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, title, detail] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? [
          431,
          "headers_too_large",
          "The request's headers are larger than the server takes",
          `the request line and headers are limited to ${maxHeaderSize / 1024} KiB in all`,
        ]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? [
            408,
            "request_timeout",
            "The request took too long to arrive",
            "the request stopped arriving before it was whole: send it again, without pauses",
          ]
        : [
            400,
            "bad_request",
            "The request is not valid HTTP",
            `the HTTP parser refused it: ${(error as { reason?: unknown }).reason ?? error.code ?? "unreadable"}`,
          ];
  const body = JSON.stringify(problem(status, code, title, String(detail)));
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy();
}
