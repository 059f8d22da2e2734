/**
 * One request to Apple: sToken check, Bearer auth, per-token rate limit, the error body
 * decoded even on HTTP 200, and visible, bounded retries honouring Retry-After.
 * https://developer.apple.com/documentation/devicemanagement/handling-error-responses
 */
import type { z } from "zod";
import { AppleApiError, AppleProtocolError, AppleRequestAbandoned, AppleTransportError } from "./errors.js";
import type { RateLimiter } from "./rate-limit.js";
import { backoffDelayMs, parseRetryAfter, type RetryPolicy } from "./retry.js";
import { type SToken, STokenError } from "./stoken.js";
import { errorResponse } from "./wire.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** pino-compatible: `logger.warn({ fields }, "message")`. */
export interface AppleLogger {
  debug?(fields: Record<string, unknown>, message: string): void;
  warn?(fields: Record<string, unknown>, message: string): void;
}

/** `uId` and `tokenExpirationDate` of a response, for location-change and expiry checks. */
export interface ResponseEnvelope {
  method: string;
  path: string;
  uId: string | undefined;
  tokenExpirationDate: string | undefined;
}

/** One attempt at one request, as it ended: for the process's metrics (src/metrics). */
export interface AppleAttempt {
  method: string;
  /** The endpoint, without its query (`/assets`, `/status`): a bounded set. */
  path: string;
  seconds: number;
  outcome: "ok" | "api_error" | "transport_error" | "protocol_error";
  /** The HTTP status, when Apple answered. */
  httpStatus?: number | undefined;
  /** Apple's errorNumber, when its body had one. */
  errorNumber?: number | undefined;
}

export interface TransportOptions {
  baseUrl: string;
  sToken: SToken;
  fetch: FetchLike;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
  retry: RetryPolicy;
  limiter: RateLimiter;
  timeoutMs: number;
  logger?: AppleLogger | undefined;
  onEnvelope?: ((envelope: ResponseEnvelope) => void) | undefined;
  /** Called before each request, e.g. to refresh the rate from service config. */
  beforeRequest?: (() => Promise<void>) | undefined;
  /** Called with the error a request ends in, before it is thrown. */
  onError?: ((error: unknown) => void) | undefined;
  /** Called after each attempt sent to Apple, retries included. */
  onAttempt?: ((attempt: AppleAttempt) => void) | undefined;
}

export interface RequestSpec<T> {
  method: "GET" | "POST";
  path: string;
  query?: URLSearchParams | undefined;
  body?: unknown;
  schema: z.ZodType<T>;
  /** Skip `beforeRequest` (for the service config read it triggers). */
  skipBeforeRequest?: boolean;
  /** Run before each attempt, retries included; throwing stops the request there (SendOptions). */
  beforeAttempt?: (() => Promise<void>) | undefined;
  /**
   * Aborted when no one waits for the answer any more (a page read ahead whose reader
   * stopped): no retry, no log, nothing reported. An attempt already sent ends as it ends.
   */
  signal?: AbortSignal | undefined;
}

export interface Transport {
  request<T>(spec: RequestSpec<T>): Promise<T>;
}

type Outcome<T> =
  | { ok: true; value: T; httpStatus: number }
  | { ok: false; error: AppleApiError | AppleTransportError; retryAfterMs?: number | undefined };

export function createTransport(options: TransportOptions): Transport {
  const base = options.baseUrl.replace(/\/+$/, "");
  const { limiter, retry, now } = options;

  async function once<T>(spec: RequestSpec<T>, url: string, attempt: number): Promise<Outcome<T>> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${options.sToken.value()}`,
      Accept: "application/json",
    };
    const init: RequestInit = {
      method: spec.method,
      headers,
      signal: AbortSignal.timeout(options.timeoutMs),
    };
    if (spec.method === "POST") {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(spec.body ?? {});
    }
    let response: Response;
    let text: string;
    let retryAfterMs: number | undefined;
    try {
      response = await options.fetch(url, init);
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now());
      // Hold every other request of this token from the moment the answer arrives, not once its body is read.
      if (retryAfterMs !== undefined && !response.ok) limiter.blockUntil(limiter.clock() + retryAfterMs);
      text = await response.text();
    } catch (cause) {
      return { ok: false, error: new AppleTransportError(spec.method, spec.path, attempt, cause) };
    }
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    // Apple has been seen answering HTTP 200 with an error body (fleetdm/fleet vpp/api.go): check the body first.
    const apiError =
      typeof json === "object" && json !== null && "errorNumber" in json
        ? errorResponse.safeParse(json)
        : undefined;
    const hasErrorBody = apiError?.success === true && apiError.data.errorNumber !== 0;
    if (hasErrorBody || !response.ok) {
      const body = hasErrorBody ? apiError.data : undefined;
      return {
        ok: false,
        retryAfterMs,
        error: new AppleApiError({
          errorNumber: body?.errorNumber,
          errorMessage: body?.errorMessage,
          errorInfo: body?.errorInfo,
          httpStatus: response.status,
          retryAfterMs,
          method: spec.method,
          path: spec.path,
          attempts: attempt,
        }),
      };
    }
    const parsed = spec.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
        .join("; ");
      throw new AppleProtocolError(spec.method, spec.path, issues);
    }
    const envelope = json as { uId?: unknown; tokenExpirationDate?: unknown };
    if (options.onEnvelope && (envelope.uId !== undefined || envelope.tokenExpirationDate !== undefined)) {
      options.onEnvelope({
        method: spec.method,
        path: spec.path,
        uId: typeof envelope.uId === "string" ? envelope.uId : undefined,
        tokenExpirationDate:
          typeof envelope.tokenExpirationDate === "string" ? envelope.tokenExpirationDate : undefined,
      });
    }
    return { ok: true, value: parsed.data, httpStatus: response.status };
  }

  /** `once`, told to `onAttempt` with how it ended and how long it took. */
  async function observed<T>(spec: RequestSpec<T>, send: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const onAttempt = options.onAttempt;
    if (!onAttempt) return send();
    const started = performance.now();
    const told = (ended: Omit<AppleAttempt, "method" | "path" | "seconds">) =>
      onAttempt({
        method: spec.method,
        path: spec.path,
        seconds: (performance.now() - started) / 1000,
        ...ended,
      });
    let outcome: Outcome<T>;
    try {
      outcome = await send();
    } catch (error) {
      told({ outcome: "protocol_error" });
      throw error;
    }
    if (outcome.ok) told({ outcome: "ok", httpStatus: outcome.httpStatus });
    else if (outcome.error instanceof AppleApiError)
      told({
        outcome: "api_error",
        httpStatus: outcome.error.httpStatus,
        errorNumber: outcome.error.errorNumber,
      });
    else told({ outcome: "transport_error" });
    return outcome;
  }

  async function request<T>(spec: RequestSpec<T>): Promise<T> {
    try {
      return await attempts(spec);
    } catch (error) {
      if (!(error instanceof AppleRequestAbandoned)) options.onError?.(error);
      throw error;
    }
  }

  async function attempts<T>(spec: RequestSpec<T>): Promise<T> {
    const query = spec.query?.toString();
    const url = `${base}${spec.path}${query ? `?${query}` : ""}`;
    for (let attempt = 1; ; attempt++) {
      if (spec.signal?.aborted) throw new AppleRequestAbandoned(spec.method, spec.path);
      if (options.sToken.isExpired(now())) {
        throw new STokenError(
          "expired",
          `the sToken of ${options.sToken.orgName} expired on ${options.sToken.expiresAt.toISOString()}`,
          { orgName: options.sToken.orgName, expDate: options.sToken.expDate },
        );
      }
      if (spec.beforeAttempt) await spec.beforeAttempt();
      if (options.beforeRequest && !spec.skipBeforeRequest) await options.beforeRequest();
      // Never call before a Retry-After has run out; if that is longer than we wait by ourselves, say so.
      const blockedForMs = limiter.blockedForMs();
      if (blockedForMs > retry.maxDelayMs) {
        throw new AppleApiError({
          errorNumber: undefined,
          httpStatus: 429,
          retryAfterMs: blockedForMs,
          method: spec.method,
          path: spec.path,
          attempts: attempt - 1,
          local: true,
        });
      }
      await limiter.acquire();
      const started = limiter.clock();
      const outcome = await observed(spec, () => once(spec, url, attempt));
      if (outcome.ok) {
        options.logger?.debug?.(
          { method: spec.method, path: spec.path, attempt, ms: Math.round(limiter.clock() - started) },
          "apple request",
        );
        return outcome.value;
      }
      const { error } = outcome;
      // A transport failure on a POST may have reached Apple: never replay it blind. An HTTP
      // answer of 429/5xx/9644 means the request was not processed, so replaying it is safe.
      const retryable = error instanceof AppleTransportError ? spec.method === "GET" : error.retryable;
      const retryAfterMs = outcome.retryAfterMs;
      if (retryAfterMs !== undefined) limiter.blockUntil(limiter.clock() + retryAfterMs);
      if (!retryable || attempt >= retry.maxAttempts) throw error;
      if (spec.signal?.aborted) throw new AppleRequestAbandoned(spec.method, spec.path);
      if (retryAfterMs !== undefined && retryAfterMs > retry.maxDelayMs) throw error;
      const delayMs = Math.max(backoffDelayMs(retry, attempt, options.random), retryAfterMs ?? 0);
      if (retryAfterMs === undefined) limiter.blockUntil(limiter.clock() + delayMs);
      options.logger?.warn?.(
        {
          method: spec.method,
          path: spec.path,
          attempt,
          delayMs,
          retryAfterMs,
          errorNumber: error instanceof AppleApiError ? error.errorNumber : undefined,
          httpStatus: error instanceof AppleApiError ? error.httpStatus : undefined,
        },
        "apple request failed; retrying",
      );
      await options.sleep(delayMs);
    }
  }

  return { request };
}
