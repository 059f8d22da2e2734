import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "./problem.js";

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
  const header = request.headers["if-match"];
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(",") : header).trim();
  if (value === "*") return undefined;
  const tags = value.split(",").map((t) => t.trim());
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
  const header = request.headers.prefer;
  const prefs = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((p) => p.split(";")[0]?.replace(/\s+/g, "").toLowerCase());
  const wanted = prefs.includes("return=representation");
  if (wanted) void reply.header("preference-applied", "return=representation");
  return wanted;
}
