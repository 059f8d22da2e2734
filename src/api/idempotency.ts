import { createHash } from "node:crypto";
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { Db } from "../store/database.js";
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  type KeyOwner,
  releaseIdempotencyKey,
  type StoredResponse,
} from "../store/idempotency.repo.js";
import { ApiError } from "./problem.js";

/** The request header (draft-ietf-httpapi-idempotency-key-header) and the one marking a replay. */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
export const REPLAYED_HEADER = "idempotent-replayed";
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Seconds a retry waits for the request that holds the key to finish. */
const IN_PROGRESS_RETRY_AFTER_MS = 1000;
/**
 * Refusals that say "not now" (a timeout, something not there yet, a conflict with the state
 * of the moment, a precondition on it that failed, too early, too many requests): a retry may get another answer, so they are
 * not kept. A 5xx never is. A check-in of a device not created yet is a 404 that the same
 * request, with the same key, must pass once the device is created.
 */
const NOT_KEPT_4XX = new Set([404, 408, 409, 412, 425, 429]);
/**
 * Sign-in, sign-out and API tokens take no key: their answers are a session cookie and a
 * token shown once, which are never kept.
 */
const UNKEYED_PREFIX = "/api/v1/auth/";

declare module "fastify" {
  interface FastifyRequest {
    /** The `Idempotency-Key` this request holds, until its answer is kept (or the key freed). */
    idempotencyClaim?: { owner: KeyOwner; key: string };
  }
}

/**
 * `Idempotency-Key` on every POST and PATCH of the API: a job queue that retries after a
 * timeout gets the first answer again (`Idempotent-Replayed: true`), not a second effect.
 * Per principal (an API token, or an administrator's session): the same key of two tokens
 * is two keys. After authorization and validation (preHandler), the key is claimed, by one
 * INSERT that only one of two requests sent at once passes; the other is a 409
 * `idempotency_key_in_progress` with Retry-After. The answer is kept (onSend): a 2xx, or a
 * 4xx but those of NOT_KEPT_4XX; a 5xx frees the key for a retry. The same key with another
 * method, URL or body is a 422 `idempotency_key_reused`. Keys live 24 hours
 * (idempotency.repo.ts). A request without the header is not affected.
 */
export const idempotency: FastifyPluginAsync<{ db: Db; now: () => Date }> = async (app, { db, now }) => {
  app.addHook("preHandler", async (request, reply) => {
    const header = request.headers[IDEMPOTENCY_KEY_HEADER];
    const principal = request.principal;
    if (header === undefined || !principal || !takesKey(request)) return;
    // Node joins a header sent twice with ", ": two keys are not one key that holds a comma.
    const sentTwice = (request.raw.headersDistinct?.[IDEMPOTENCY_KEY_HEADER]?.length ?? 1) > 1;
    const key = sentTwice ? undefined : parseIdempotencyKey(header);
    if (key === undefined) throw invalidKey(sentTwice);
    const owner: KeyOwner = { kind: principal.kind, id: principal.id };
    // A precondition is part of the request: the same key with another If-Match is another request.
    const ifMatch = request.headers["if-match"];
    const sent = {
      method: request.method,
      path: request.url,
      bodyHash: hashOfBody(ifMatch === undefined ? request.body : { body: request.body, ifMatch }),
    };
    const outcome = await claimIdempotencyKey(db, {
      owner,
      key,
      request: sent,
      claimId: request.id,
      now: now(),
    });
    if (outcome.claimed) {
      request.idempotencyClaim = { owner, key };
      return;
    }
    const held = outcome.held;
    if (held.method !== sent.method || held.path !== sent.path || held.bodyHash !== sent.bodyHash) {
      const message = `this key was first sent with ${held.method} ${held.path}${
        held.method === sent.method && held.path === sent.path ? " and another body" : ""
      }: a new request takes a new key`;
      throw new ApiError(422, "idempotency_key_reused", "The Idempotency-Key was sent with another request", [
        { field: `headers.${IDEMPOTENCY_KEY_HEADER}`, message },
      ]);
    }
    if (held.state === "in_progress")
      throw Object.assign(
        new ApiError(
          409,
          "idempotency_key_in_progress",
          "A request with this Idempotency-Key is still running: retry after Retry-After",
        ),
        { retryAfterMs: IN_PROGRESS_RETRY_AFTER_MS },
      );
    request.log.info({ status: held.response.status }, "idempotent request replayed");
    return replay(reply, held.response);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (!claim) return payload;
    request.idempotencyClaim = undefined;
    const status = reply.statusCode;
    // JSON and problem+json answers are strings here; a stream or a buffer is not kept.
    const body = typeof payload === "string" ? payload : payload == null ? undefined : null;
    const keep = body !== null && (isSuccess(status) || (isRefusal(status) && !NOT_KEPT_4XX.has(status)));
    const where = { ...claim, claimId: request.id };
    try {
      if (keep)
        await completeIdempotencyKey(db, {
          ...where,
          response: {
            status,
            ...headerOf(reply, "content-type", "contentType"),
            ...headerOf(reply, "location", "location"),
            ...headerOf(reply, "etag", "etag"),
            ...(body === undefined ? {} : { body }),
          },
        });
      else await releaseIdempotencyKey(db, where);
    } catch (error) {
      // The answer still goes; the key stays in progress until taken over as abandoned.
      request.log.warn({ err: error }, "idempotency key not recorded");
    }
    return payload;
  });
};
// Hooks for every route of the app, not an encapsulated context of their own (fastify-plugin's flag).
Object.assign(idempotency, { [Symbol.for("skip-override")]: true });

/** POST and PATCH of the API, by a principal; not the sign-in routes (UNKEYED_PREFIX). */
function takesKey(request: FastifyRequest): boolean {
  if (request.method !== "POST" && request.method !== "PATCH") return false;
  const url = request.routeOptions.url ?? "";
  return url.startsWith("/api/") && !url.startsWith(UNKEYED_PREFIX);
}

/**
 * The key of the header: an sf-string as the draft writes it (`"8e03978e-…"`, RFC 8941
 * 3.3.3), or the bare value most clients send. 1 to 255 printable ASCII characters; else
 * undefined. Two header lines arrive joined by a comma: quoted, that is not one sf-string.
 */
export function parseIdempotencyKey(header: string | string[]): string | undefined {
  if (Array.isArray(header)) return undefined;
  const value = header.trim();
  const key = value.startsWith('"') ? sfString(value) : value;
  if (key === undefined || key.length < 1 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) return undefined;
  return /^[\x20-\x7e]+$/.test(key) ? key : undefined;
}

function sfString(value: string): string | undefined {
  const match = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/.exec(value);
  return match?.[1]?.replace(/\\(["\\])/g, "$1");
}

function invalidKey(sentTwice = false): ApiError {
  const message = sentTwice
    ? "sent twice: a request has one Idempotency-Key"
    : `1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters, bare or as a quoted string (a UUID, for example)`;
  return new ApiError(400, "idempotency_key_invalid", "The Idempotency-Key header is not valid", [
    { field: `headers.${IDEMPOTENCY_KEY_HEADER}`, message },
  ]);
}

/**
 * SHA-256 of the body as the route read it (JSON or multipart fields alike), keys sorted:
 * the same request sent again hashes the same. Only the hash is kept: an sToken upload
 * is never stored by way of its key.
 */
export function hashOfBody(body: unknown): string {
  const text =
    JSON.stringify(body, (_key, value: unknown) =>
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
          )
        : value,
    ) ?? "";
  return createHash("sha256").update(text).digest("hex");
}

function replay(reply: FastifyReply, response: StoredResponse): FastifyReply {
  void reply.status(response.status).header(REPLAYED_HEADER, "true");
  if (response.contentType !== undefined) void reply.header("content-type", response.contentType);
  if (response.location !== undefined) void reply.header("location", response.location);
  if (response.etag !== undefined) void reply.header("etag", response.etag);
  return reply.send(response.body);
}

function headerOf<K extends "contentType" | "location" | "etag">(
  reply: FastifyReply,
  name: string,
  as: K,
): Partial<Record<K, string>> {
  const value = reply.getHeader(name);
  return value === undefined ? {} : ({ [as]: String(value) } as Partial<Record<K, string>>);
}

const isSuccess = (status: number) => status >= 200 && status < 300;
const isRefusal = (status: number) => status >= 400 && status < 500;
