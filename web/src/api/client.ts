/**
 * The one typed client of the Orchard API (`/api/v1`). Every hook of the console goes
 * through `apiRequest`: same-origin cookies, the CSRF header on every change (the server
 * refuses a session-authenticated change without it: src/api/authz.ts `checkCsrf`), an
 * Idempotency-Key on every POST and PATCH (./idempotency.ts), and application/problem+json
 * errors parsed into `ApiProblemError`.
 */
import { HTTP_ERROR, wordedFieldError } from "./field-errors";
import {
  IDEMPOTENCY_KEY_HEADER,
  inProgressDelay,
  MAX_ATTEMPTS,
  networkRetryDelay,
  newIdempotencyKey,
  pause,
  takesIdempotencyKey,
} from "./idempotency";
import type { Problem } from "./types";

export const API_BASE = "/api/v1";
/** src/api/authz.ts CSRF_HEADER: a cross-origin page cannot set it without a preflight. */
export const CSRF_HEADER = "x-orchard-csrf";

export type QueryValue = string | number | boolean | undefined | null;

export interface RequestOptions {
  query?: Record<string, QueryValue>;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body (file uploads). */
  form?: FormData;
  signal?: AbortSignal;
  /** More request headers (If-Match). */
  headers?: Record<string, string>;
}

/** An error answer of the API, with its problem document. */
export class ApiProblemError extends Error {
  override readonly name = "ApiProblemError";
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string {
    return this.problem.code;
  }
}

/** Listeners told when the session is gone (401), so the console can go to /login. */
const unauthenticatedListeners = new Set<() => void>();
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export function buildUrl(path: string, query?: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return `${API_BASE}${path}${qs ? `?${qs}` : ""}`;
}

/**
 * One request of the console, which is one user action. A POST or PATCH carries a fresh
 * Idempotency-Key; when its answer is lost (a network error) or the server is still running
 * the first send of the key (409 with Retry-After), the same request goes again with the same
 * key, at most MAX_ATTEMPTS times in all: the server does the change once, and answers a
 * retry with the first answer. Other requests are sent once.
 */
export async function apiRequest<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/json, application/problem+json",
    ...options.headers,
  };
  if (method !== "GET" && method !== "HEAD") headers[CSRF_HEADER] = "1";
  const keyed = takesIdempotencyKey(method, path);
  if (keyed) headers[IDEMPOTENCY_KEY_HEADER] = newIdempotencyKey();
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  }
  const url = buildUrl(path, options.query);
  const signal = options.signal;
  let response: Response;
  for (let attempt = 1; ; attempt++) {
    const mayRetry = keyed && attempt < MAX_ATTEMPTS;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body ?? null,
        credentials: "same-origin",
        signal: signal ?? null,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
      if (mayRetry) {
        await pause(networkRetryDelay(attempt), signal);
        continue;
      }
      throw new ApiProblemError({
        type: "/problems/network",
        title: "Network error",
        status: 0,
        code: "network",
      });
    }
    const wait = mayRetry ? await inProgressDelay(response) : undefined;
    if (wait === undefined) break;
    await pause(wait, signal);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    // Not the API's problem document (a proxy's error page): the console words its status (States.tsx).
    const problem = isProblem(parsed)
      ? parsed
      : {
          type: "/problems/http",
          title: `HTTP ${response.status}`,
          status: response.status,
          code: HTTP_ERROR,
        };
    if (response.status === 401 && !path.startsWith("/auth/login")) {
      for (const listener of unauthenticatedListeners) listener();
    }
    throw new ApiProblemError(problem);
  }
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.status === "number" && typeof v.code === "string" && typeof v.title === "string";
}

/**
 * The problem's `errors[]` keyed by form field: `body.name` → `name`,
 * `body.reservedUserIds.2` → `reservedUserIds`, `querystring.confirm` → `confirm`; each in
 * the console's language (field-errors.ts), the words of `form` first ("group":
 * `errors.codes.duplicate_name_group`).
 */
export function fieldErrorsOf(error: unknown, form?: string): Record<string, string> {
  if (!(error instanceof ApiProblemError)) return {};
  const out: Record<string, string> = {};
  for (const e of error.problem.errors ?? []) {
    const parts = e.field.split(".");
    const field = ["body", "querystring", "query", "params"].includes(parts[0] ?? "") ? parts[1] : parts[0];
    if (field && out[field] === undefined) out[field] = wordedFieldError(e, error.code, form);
  }
  return out;
}

export const api = {
  get: <T>(path: string, query?: Record<string, QueryValue>, signal?: AbortSignal) =>
    apiRequest<T>("GET", path, { ...(query ? { query } : {}), ...(signal ? { signal } : {}) }),
  post: <T>(path: string, json?: unknown) => apiRequest<T>("POST", path, { json: json ?? {} }),
  postForm: <T>(path: string, form: FormData) => apiRequest<T>("POST", path, { form }),
  patchForm: <T>(path: string, form: FormData) => apiRequest<T>("PATCH", path, { form }),
  put: <T>(path: string, json: unknown, headers?: Record<string, string>) =>
    apiRequest<T>("PUT", path, { json, ...(headers ? { headers } : {}) }),
  patch: <T>(path: string, json: unknown) => apiRequest<T>("PATCH", path, { json }),
  delete: <T = void>(path: string, query?: Record<string, QueryValue>, headers?: Record<string, string>) =>
    apiRequest<T>("DELETE", path, { ...(query ? { query } : {}), ...(headers ? { headers } : {}) }),
};

/** The URL of a download (CSV export): the browser sends the session cookie. */
export function downloadUrl(path: string, query?: Record<string, QueryValue>): string {
  return buildUrl(path, query);
}
