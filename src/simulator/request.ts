/**
 * Reading query strings and JSON bodies into values, or Apple's errors: anything
 * malformed is 9602 "Invalid argument" (400), a non-JSON Content-Type 9727 (415).
 */
import type { FastifyRequest } from "fastify";
import { AppleError } from "./errors.js";

export type Query = Record<string, unknown>;

export function queryOf(request: FastifyRequest): Query {
  const query = request.query;
  return typeof query === "object" && query !== null ? (query as Query) : {};
}

export function queryString(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new AppleError(9602); // repeated parameter
  return value;
}

export function queryBool(query: Query, name: string): boolean | undefined {
  const value = queryString(query, name);
  if (value === undefined || value === "") return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new AppleError(9602);
}

export function queryCount(query: Query, name: string): number | undefined {
  const value = queryString(query, name);
  if (value === undefined || value === "") return undefined;
  if (!/^\d{1,10}$/.test(value)) throw new AppleError(9602);
  return Number(value);
}

/** 0-based page index; anything but a non-negative integer is 9650. */
export function queryPageIndex(query: Query): number {
  const value = queryString(query, "pageIndex");
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,10}$/.test(value)) throw new AppleError(9650);
  return Number(value);
}

/**
 * The JSON object body of a POST. An empty body reads as {}; a declared Content-Type that
 * is not JSON is 9727 even then (a wrong Content-Type on a POST is 415: APPLE-API.md checklist 1).
 */
export function jsonBody(request: FastifyRequest): Record<string, unknown> {
  const raw = typeof request.body === "string" ? request.body : "";
  const contentType = request.headers["content-type"] ?? "";
  const json = /^application\/([\w.+-]+\+)?json\s*(;|$)/i.test(contentType);
  if (raw.trim() === "") {
    if (contentType.trim() !== "" && !json) throw new AppleError(9727);
    return {};
  }
  if (!json) throw new AppleError(9727);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppleError(9602);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new AppleError(9602);
  return parsed as Record<string, unknown>;
}

/** An optional array of non-empty strings; null reads as absent. */
export function stringList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string" && v.length > 0)) {
    throw new AppleError(9602);
  }
  return value as string[];
}

export function optionalString(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new AppleError(9602);
  return value;
}

/** The index of the first repeated item, or -1. */
export function firstDuplicate(items: readonly string[]): number {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    if (seen.has(item)) return i;
    seen.add(item);
  }
  return -1;
}
