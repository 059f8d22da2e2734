import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "./problem.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The route evaluates If-Match against its resource's version (ifMatchOf). */
    ifMatch?: true;
  }
}

/**
 * Optimistic concurrency (RFC 9110 §8.8.3, §13.1.1): a resource read with its ETag is
 * changed with If-Match naming it, and a change made meanwhile by someone else is a 412
 * instead of being undone without a word.
 */

/** Sends the version as a strong entity tag. */
export function setEtag(reply: FastifyReply, version: string): void {
  void reply.header("etag", `"${version}"`);
}

/**
 * The versions If-Match accepts: undefined when it is absent or `*` (any current version
 * will do). Weak tags never match a strong comparison, as RFC 9110 says, so they are
 * dropped; a header that is not a list of entity tags is a 400 naming it.
 */
export function ifMatchOf(request: FastifyRequest): readonly string[] | undefined {
  const tags = headerList(request.headers["if-match"]);
  if (tags === undefined || (tags.length === 1 && tags[0] === "*")) return undefined;
  if (tags.some((t) => !ENTITY_TAG.test(t))) {
    throw new ApiError(400, "validation_failed", 'If-Match takes "*" or entity tags, as ETag gives them', [
      { field: "headers.if-match", message: 'expected "*" or a list of entity tags such as "3q2-7w"' },
    ]);
  }
  return tags.filter((t) => !t.startsWith("W/")).map((t) => t.slice(1, -1));
}

const ENTITY_TAG = /^(W\/)?"[\x21\x23-\x7e]*"$/;

/**
 * RFC 7240 `Prefer: return=representation`: the client wants the outcome in the answer
 * (a DELETE then answers 200 with a body instead of 204), and is told so by
 * `Preference-Applied`. Other preferences are ignored, as the RFC allows.
 */
export function wantsRepresentation(request: FastifyRequest, reply: FastifyReply): boolean {
  const prefs = (headerList(request.headers.prefer) ?? []).map((p) =>
    p.split(";")[0]?.replace(/\s+/g, "").toLowerCase(),
  );
  const wanted = prefs.includes("return=representation");
  if (wanted) void reply.header("preference-applied", "return=representation");
  return wanted;
}

/**
 * If-Match sent to a change whose resource has no version: no tag can match it (RFC 9110
 * §13.1.1), so it is a 412 `precondition_failed` saying which resources have versions,
 * not a change made without the protection the client asked for. `*` (the resource
 * exists) goes on. After authorization, before the route's work.
 */
export function refuseUnversionedIfMatch(app: FastifyInstance): void {
  app.addHook("preHandler", async (request) => {
    if (request.method === "GET" || request.method === "HEAD" || request.routeOptions.config.ifMatch) return;
    if (ifMatchOf(request) === undefined) return; // absent, or `*`
    throw new ApiError(
      412,
      "precondition_failed",
      "If-Match cannot match here: this resource has no version (ETag). An app's rules have one: GET …/apps/:adamId/rules",
      [{ field: "headers.if-match", message: "this resource has no ETag to match" }],
    );
  });
}

/** RFC 9110 §13.1.2: whether If-None-Match names the current version (a GET then answers 304). */
export function notModified(request: FastifyRequest, version: string): boolean {
  const tags = headerList(request.headers["if-none-match"]) ?? [];
  if (tags.length === 1 && tags[0] === "*") return true;
  // Weak comparison: W/"x" and "x" name the same version.
  return tags.some((t) => t.replace(/^W\//, "") === `"${version}"`);
}

/**
 * A list header's items, trimmed: a header sent twice is one list (RFC 9110 §5.3);
 * undefined when it is absent.
 */
function headerList(header: string | string[] | undefined): string[] | undefined {
  if (header === undefined) return undefined;
  return (Array.isArray(header) ? header.join(",") : header).split(",").map((item) => item.trim());
}
