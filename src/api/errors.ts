import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { hasZodFastifySchemaValidationErrors } from "fastify-type-provider-zod";
import { STokenError } from "../apple/index.js";
import { AuthError } from "../auth/errors.js";
import { LicensingError } from "../licensing/index.js";
import {
  FOREIGN_KEY_VIOLATION,
  gaveWay,
  missingReference,
  NotFoundError,
  StoreError,
  sqlState,
  UNIQUE_VIOLATION,
} from "../store/errors.js";
import { BODY_LIMIT_BYTES, TOKEN_FILE_LIMIT_BYTES } from "./limits.js";
import type { ApiPaths } from "./methods.js";
import { ApiError, type FieldError, type Problem, problem } from "./problem.js";
import { unknownFieldHint } from "./unknown-field.js";

/**
 * The one mapping from errors to HTTP: typed errors of every module become
 * `application/problem+json` with a stable code; anything unexpected is a 500 whose
 * details go to the log only. Nothing a client sends should reach that last branch.
 */
export function installErrorHandling(app: FastifyInstance, paths?: ApiPaths): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const p = toProblem(error, request);
    if (p.status >= 500) request.log.error({ err: error }, "request failed");
    else request.log.info({ code: p.code, status: p.status }, "request refused");
    sendProblem(request, reply, p, error);
  });
  app.setNotFoundHandler((request, reply) => {
    if (paths?.answer(request, reply)) return;
    sendProblem(
      request,
      reply,
      problem(404, "route_not_found", "No such route", `${request.method} ${request.url.split("?")[0]}`),
    );
  });
}

export function sendProblem(request: FastifyRequest, reply: FastifyReply, p: Problem, error?: unknown): void {
  const retryAfter = retryAfterOf(error);
  if (retryAfter !== undefined) void reply.header("retry-after", String(retryAfter));
  // RFC 9110 and 6750: a 401 says how to authenticate.
  if (p.status === 401) void reply.header("www-authenticate", challengeOf(p, error));
  void reply
    .status(p.status)
    .type("application/problem+json")
    .serializer((body: unknown) => JSON.stringify(body))
    .send({ ...p, requestId: request.id });
}

/** A 401's WWW-Authenticate: the scheme, and what was wrong with a bearer token sent (RFC 6750 §3). */
function challengeOf(p: Problem, error: unknown): string {
  if (p.code === "api_token_expired")
    return 'Bearer realm="orchard", error="invalid_token", error_description="The API token expired"';
  const bearerError = error instanceof AuthError ? error.bearerError : undefined;
  return bearerError ? `Bearer realm="orchard", error="${bearerError}"` : 'Bearer realm="orchard"';
}

const STORE: Record<string, [number, string]> = {
  invalid_request: [400, "Invalid request"],
  reserved_and_prohibited: [422, "A user is both reserved and prohibited (DI7)"],
  reservations_exceed_licenses: [422, "More reservations than licenses (DI6)"],
  live_license_exists: [409, "The subject already holds a license for this app"],
  invalid_transition: [409, "Not possible in the license's current state"],
  not_revocable: [409, "Apple never takes back a license of a book"],
  invalid_priority: [400, "Invalid priority"],
  overcommit: [409, "No free license"],
  duplicate_name: [409, "The name is taken in this space"],
  login_taken: [409, "An administrator already has this login"],
  moved_already: [409, "The device moved to that space already, with another user"],
  serial_in_target_space: [409, "The target space has another device of this serial number"],
  // A serial number taken in another case (device.repo.ts): as the unique index's 409.
  already_exists: [409, "It already exists"],
  // Sending again or abandoning what Apple did not refuse (apple-refusals.repo.ts).
  not_refused: [409, "Apple refused nothing here to send again or abandon"],
  // If-Match named a version the rules no longer have (rules.repo.ts editAppRules).
  rules_changed: [412, "The rules changed since they were read"],
  // A whole order made from an order the accounts no longer have (account.repo.ts setAccountOrder).
  accounts_reordered: [412, "The accounts' order changed since it was read"],
};

/** The body field a store refusal is about, for the form that sent it. */
const STORE_FIELD: Partial<Record<string, string>> = {
  reserved_and_prohibited: "reservedUserIds",
  reservations_exceed_licenses: "reservedUserIds",
  duplicate_name: "name",
  login_taken: "login",
  moved_already: "userId",
  serial_in_target_space: "toSpaceId",
  invalid_priority: "position",
};

/** The refusals whose details say which body field they are about. */
const FIELD_NAMED_BY_STORE = new Set([
  "invalid_priority",
  "already_exists",
  "reserved_and_prohibited",
  "reservations_exceed_licenses",
]);

const SYNC: Record<string, number> = {
  token_malformed: 400,
  token_expired: 422,
  token_other_location: 409,
  token_owned_by_other_mdm: 409,
  duplicate_location: 409,
  deletion_in_progress: 409,
  apple_unavailable: 503,
  apple_refused: 502,
};

/** Refusals of the HTTP layer (body parser, multipart, rate limit), by status: one stable code each. */
const FRAMEWORK: Record<number, [string, string]> = {
  400: ["bad_request", "The request cannot be read (a JSON body that does not parse, a bad header)"],
  408: ["request_timeout", "The request took too long to arrive"],
  413: ["payload_too_large", `The request body is larger than the API takes (${BODY_LIMIT_BYTES} bytes)`],
  415: [
    "unsupported_media_type",
    "Send JSON (application/json), or multipart/form-data where a file is taken",
  ],
  429: ["rate_limited", "Too many requests: wait for Retry-After seconds"],
};

/** What a route's body may be when its schema lists nothing in `consumes`: JSON. */
export const JSON_BODY: readonly string[] = ["application/json"];

/**
 * A body in a media type the route does not take (text/plain, XML, multipart where no file
 * is taken): the 415 of FRAMEWORK, whose detail says what the route takes instead.
 */
export function unsupportedMediaType(sent: string, accepted: readonly string[]): Error {
  return Object.assign(new Error(`this route takes ${accepted.join(" or ")}, not ${sent}`), {
    statusCode: 415,
  });
}

/** What of the request a problem may name a field of: an id it sent that does not exist. */
export interface RequestParts {
  body?: unknown;
  params?: unknown;
  query?: unknown;
  /** The route's schemas: an unknown field's message names the fields the route takes. */
  routeOptions?: { schema?: object | undefined };
}

export function toProblem(error: unknown, request?: RequestParts): Problem {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? "body";
    const errors: FieldError[] = error.validation.flatMap((v): FieldError[] => {
      const path = [where, ...fieldPath(v.instancePath)];
      // A field the route does not take (a typo that would lose the change) is named itself.
      const unknown = v.keyword === "unrecognized_keys" ? unknownKeys(v.params) : [];
      if (unknown.length > 0) {
        const schema = (request?.routeOptions?.schema as Record<string, unknown> | undefined)?.[where];
        return unknown.map((key) => ({
          field: [...path, key].join("."),
          message: `unknown field ${key}: this route does not take it${unknownFieldHint(schema, path.slice(1), key)}`,
          rule: "unrecognized_keys",
        }));
      }
      const limits = limitsOf(v.params);
      return [
        {
          field: path.join("."),
          message: v.message ?? "invalid",
          ...(v.keyword ? { rule: v.keyword } : {}),
          ...(Object.keys(limits).length > 0 ? { limits } : {}),
        },
      ];
    });
    return problem(
      400,
      "validation_failed",
      "The request is not valid",
      errors.map((e) => `${e.field}: ${e.message}`).join("; "),
      errors,
    );
  }
  if (error instanceof ApiError)
    // The message is both: its own title, and the detail every problem carries for clients to show.
    return problem(error.status, error.code, error.message, error.message, error.errors);
  if (error instanceof NotFoundError) {
    const message = `${error.entity} ${error.id} does not exist${error.hint ? `: ${error.hint}` : ""}`;
    // An id the body or the query sent (`users/invite`'s `userIds`, a rule's `reservedUserIds`)
    // is that field's error; one of the path is the resource itself, no field.
    const field =
      error.field ??
      locate(request?.body, error.id, "body", error.entity) ??
      locate(request?.query, error.id, "querystring", error.entity);
    return problem(404, "not_found", "Not found", message, field ? [{ field, message }] : undefined);
  }
  if (error instanceof StoreError) {
    const [status, title] = STORE[error.code] ?? [500, "Internal error"];
    if (status >= 500) return internal();
    // The store or the service may say which field (`position`, `changes.0.order`,
    // `devices.3.serialNumber`); else the code's own.
    const named = FIELD_NAMED_BY_STORE.has(error.code) ? error.details?.field : undefined;
    const field = typeof named === "string" ? named : STORE_FIELD[error.code];
    const limits = limitsOf(error.details);
    return problem(
      status,
      error.code,
      title,
      error.message,
      field
        ? [
            {
              field: `body.${field}`,
              message: error.message,
              ...(Object.keys(limits).length > 0 ? { limits } : {}),
            },
          ]
        : undefined,
    );
  }
  if (error instanceof AuthError) {
    const status = {
      unauthenticated: 401,
      api_token_expired: 401,
      invalid_credentials: 401,
      weak_password: 400,
      email_needed: 400,
      grant_exceeds_own_role: 403,
      csrf: 403,
      forbidden: 403,
    }[error.code];
    const field =
      error.code === "weak_password"
        ? [{ field: "body.password", message: error.message }]
        : error.code === "email_needed"
          ? [{ field: "body.notifyByEmail", message: error.message }]
          : undefined;
    return problem(status, error.code, error.message, error.message, field);
  }
  if (error instanceof STokenError) {
    const code = error.code === "expired" ? "token_expired" : "token_malformed";
    return problem(
      error.code === "expired" ? 422 : 400,
      code,
      "The sToken file cannot be used",
      error.message,
      [{ field: "body.sToken", message: error.message }],
    );
  }
  if (error instanceof LicensingError)
    return problem(422, error.code, "The licensing engine refused the input", error.message);
  const named = error as {
    name?: string;
    code?: unknown;
    kind?: unknown;
    statusCode?: unknown;
    message?: string;
  };
  if (named.name === "SyncError" && typeof named.code === "string") {
    // What is wrong with the uploaded token file is that field's error, for the form that sent it.
    const aboutToken = named.code.startsWith("token_") || named.code === "duplicate_location";
    return problem(
      SYNC[named.code] ?? 409,
      named.code,
      "The account operation failed",
      named.message,
      aboutToken ? [{ field: "body.sToken", message: named.message ?? named.code }] : undefined,
    );
  }
  if (named.name === "AppleApiError" || named.name === "AppleTransportError") {
    const unavailable =
      named.kind === "throttled" || named.kind === "unavailable" || named.name === "AppleTransportError";
    return problem(
      unavailable ? 503 : 502,
      "apple_unavailable",
      "Apple's service did not accept the request",
      named.message,
    );
  }
  const upload = multipartProblem(error);
  if (upload) return upload;
  const state = sqlState(error);
  const missing = missingReference(error);
  if (missing) return referenceNotFound(missing, request);
  if (state === FOREIGN_KEY_VIOLATION) return problem(409, "in_use", "Other records still refer to it");
  if (state === UNIQUE_VIOLATION) return alreadyExists(error);
  if (gaveWay(error)) return problem(503, "busy", "Too many changes at once: try again");
  if (state !== undefined && INVALID_VALUE_STATES.has(state)) {
    // PostgreSQL's words name the value's fault and the value the client sent, nothing more.
    return problem(400, "invalid_value", "A value is not valid", (error as Error).message);
  }
  if (typeof named.statusCode === "number" && named.statusCode >= 400 && named.statusCode < 500) {
    const [code, title] = FRAMEWORK[named.statusCode] ?? [
      typeof named.code === "string" ? named.code.toLowerCase() : "bad_request",
      "Bad request",
    ];
    return problem(named.statusCode, code, title, named.message);
  }
  return internal();
}

/**
 * An upload (the sToken file, multipart/form-data) that cannot be read: the multipart parser's
 * errors are plain Errors (no boundary, cut short) or its plugin's codes (too many parts, a
 * file too large), each the client's 400 or 413 with what the route takes.
 */
function multipartProblem(error: unknown): Problem | undefined {
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (code === "FST_REQ_FILE_TOO_LARGE")
    return problem(
      413,
      "payload_too_large",
      `The file is larger than the API takes (${TOKEN_FILE_LIMIT_BYTES / 1024} KiB)`,
      "an sToken file is a few kilobytes: send the .vpptoken file Apple Business Manager gave",
    );
  if (code === "FST_FILES_LIMIT" || code === "FST_PARTS_LIMIT" || code === "FST_FIELDS_LIMIT")
    return problem(
      400,
      "bad_request",
      "The upload has more parts than the route takes: one sToken file and its fields",
      code === "FST_FILES_LIMIT"
        ? "send one file, the sToken"
        : "send the sToken file and only the fields the route lists",
    );
  if (typeof message === "string" && MULTIPART_FAULT.test(message))
    return problem(400, "bad_request", "The multipart body cannot be read", message);
  return undefined;
}

/** The multipart parser's (@fastify/busboy) words for a body it cannot read. */
const MULTIPART_FAULT = /^Multipart: |unexpected end of multipart data|^Malformed part header/i;

/**
 * PostgreSQL's refusals of a value itself: not a number, too long, out of range, a bad date,
 * a character the text cannot hold (a NUL in a file's text: requests are refused before, storable-text.ts).
 */
const INVALID_VALUE_STATES = new Set(["22P02", "22001", "22003", "22007", "22008", "22021", "22P05"]);

/**
 * The fields a unique constraint guards: a create sent again after a timeout (a device
 * of the same serial number) says which field holds a value already taken, and the value.
 */
const UNIQUE_FIELDS: Record<string, string> = {
  devices_space_id_serial_number_key: "serialNumber",
  users_space_id_external_id_key: "externalId",
  users_space_id_apple_client_user_id_key: "clientUserId",
};

function alreadyExists(error: unknown): Problem {
  const e = error as { constraint?: unknown; detail?: unknown };
  const field = typeof e.constraint === "string" ? UNIQUE_FIELDS[e.constraint] : undefined;
  if (!field) return problem(409, "already_exists", "It already exists");
  // PostgreSQL's detail: Key (space_id, serial_number)=(<space>, <value>) already exists.
  const value =
    typeof e.detail === "string" ? /\)=\([^,]*, (.*)\) already exists/.exec(e.detail)?.[1] : undefined;
  const message =
    value === undefined ? `${field} is taken in this space` : `${field} ${value} is taken in this space`;
  return problem(409, "already_exists", "It already exists", message, [{ field: `body.${field}`, message }]);
}

/**
 * An insert or update that refers to a row that does not exist (a user id in a device's
 * `userId`, in a group's `userIds`) is that field's 404 `not_found`, as an unknown id
 * anywhere else; not a 409 `in_use`, which is a deletion of a row still referred to. The
 * field is where the request sent the id; else the referring column's name.
 */
function referenceNotFound(
  missing: NonNullable<ReturnType<typeof missingReference>>,
  request: RequestParts | undefined,
): Problem {
  const entity = missing.entity ?? "record";
  const message =
    missing.value === undefined
      ? `a ${entity} it refers to does not exist`
      : `${entity} ${missing.value} does not exist`;
  const located =
    missing.value === undefined
      ? undefined
      : (locate(request?.body, missing.value, "body", entity) ??
        locate(request?.params, missing.value, "params", entity) ??
        locate(request?.query, missing.value, "querystring", entity));
  const field = located ?? (missing.column ? `body.${camel(missing.column)}` : undefined);
  return problem(404, "not_found", "Not found", message, field ? [{ field, message }] : undefined);
}

/**
 * Where in `value` the id `wanted` was sent (`body.devices.3.userId`, `body.userIds.0`):
 * the first place under a key naming the entity (`userId`, `reservedUserIds`), else the
 * first place at all. Bounded: a body is at most 1 MiB.
 */
function locate(value: unknown, wanted: string, root: string, entity: string): string | undefined {
  const found: Array<{ path: string[]; key: string }> = [];
  const walk = (v: unknown, path: string[], key: string, depth: number): void => {
    if (found.length >= 50 || depth > 8) return;
    if (v === wanted) found.push({ path, key });
    else if (Array.isArray(v)) {
      for (const [i, item] of v.entries()) walk(item, [...path, String(i)], key, depth + 1);
    } else if (typeof v === "object" && v !== null)
      for (const [k, item] of Object.entries(v)) walk(item, [...path, k], k, depth + 1);
  };
  walk(value, [], "", 0);
  const best = found.find((f) => f.key.toLowerCase().includes(entity)) ?? found[0];
  return best ? [root, ...best.path].join(".") : undefined;
}

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function unknownKeys(params: Record<string, unknown> | undefined): string[] {
  const keys = params?.keys;
  return Array.isArray(keys) ? keys.map(String) : [];
}

function internal(): Problem {
  return problem(500, "internal", "Internal error");
}

/** The figures of a zod issue a client words the rule with; nothing of the value sent. */
function limitsOf(params: Record<string, unknown> | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  // A rule's figures: zod's bounds, and DI6's licenses (needed, free of total) for the console's words.
  for (const key of [
    "minimum",
    "maximum",
    "expected",
    "origin",
    "format",
    "needed",
    "free",
    "total",
  ] as const) {
    const value = params?.[key];
    if (typeof value === "number" || typeof value === "string") out[key] = value;
    else if (typeof value === "bigint") out[key] = Number(value);
  }
  const values = params?.values;
  if (Array.isArray(values)) out.values = values.map(String).join(", ");
  return out;
}

function fieldPath(instancePath: string | undefined): string[] {
  return (instancePath ?? "").split("/").filter((s) => s !== "");
}

/**
 * Seconds a client should wait before trying again: Apple's own figure when Apple throttled,
 * one second when the database made this request give way (the other change is done by then).
 */
function retryAfterOf(error: unknown): number | undefined {
  const e = error as { retryAfterMs?: unknown } | undefined;
  if (typeof e?.retryAfterMs === "number") return Math.ceil(e.retryAfterMs / 1000);
  return gaveWay(error) ? 1 : undefined;
}
