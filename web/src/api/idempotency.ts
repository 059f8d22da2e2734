/**
 * The console's side of `Idempotency-Key` (src/api/idempotency.ts): every POST and PATCH of
 * one user action carries a fresh key, and the client's own retries of that action send the
 * same key again, so that a change the server already made is answered again
 * (`Idempotent-Replayed: true`), never made twice.
 */

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** The server's refusal while the first request with the key still runs, sent with Retry-After. */
export const IN_PROGRESS_CODE = "idempotency_key_in_progress";
/** One action is sent at most this many times: the first, then two retries. */
export const MAX_ATTEMPTS = 3;
/** After a network error, the first retry waits this long, the second twice as long. */
const NETWORK_RETRY_MS = 500;
/** A longer Retry-After is not waited for: the administrator sees the refusal instead. */
const MAX_RETRY_AFTER_MS = 5000;
/** Sign-in, sign-out and API tokens take no key (the server's UNKEYED_PREFIX): never retried. */
const UNKEYED_PREFIX = "/auth/";

/** Whether a request of the API (path under /api/v1) takes a key, and so may be retried. */
export function takesIdempotencyKey(method: string, path: string): boolean {
  return (method === "POST" || method === "PATCH") && !path.startsWith(UNKEYED_PREFIX);
}

/**
 * A random UUID (v4). `crypto.randomUUID` exists only in a secure context (HTTPS or
 * localhost); a console served over plain HTTP on the local network builds one itself.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** How long to wait before retry `attempt` (1, 2) after a network error. */
export function networkRetryDelay(attempt: number): number {
  return NETWORK_RETRY_MS * attempt;
}

/**
 * The wait before sending the action again, when the answer is the server's "a request with
 * this key still runs" (409 idempotency_key_in_progress) with a Retry-After within
 * MAX_RETRY_AFTER_MS; undefined for any other answer, which is the action's answer.
 */
export async function inProgressDelay(response: Response): Promise<number | undefined> {
  if (response.status !== 409) return undefined;
  const wait = retryAfterMs(response.headers.get("retry-after"));
  if (wait === undefined || wait > MAX_RETRY_AFTER_MS) return undefined;
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined);
  const code = typeof body === "object" && body !== null ? (body as { code?: unknown }).code : undefined;
  return code === IN_PROGRESS_CODE ? wait : undefined;
}

/** Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Waits `ms`, or less when the request is aborted meanwhile (the caller then throws AbortError). */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
