/**
 * Backoff and Retry-After. Apple: "use incremental/exponential backoff" on 9646, and a
 * `Retry-After` header (seconds, e.g. `Retry-After: 120`) tells how long to wait on 5xx.
 * https://developer.apple.com/documentation/devicemanagement/handling-error-responses
 */

export interface RetryPolicy {
  /** Total attempts including the first (1 = never retry). */
  maxAttempts: number;
  /** Delay before the first retry, before jitter, in ms. */
  baseDelayMs: number;
  /**
   * Longest the client waits by itself, in ms. A Retry-After longer than this is not
   * slept through: the error is thrown with `retryAfterMs` for the caller to schedule.
   */
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000 };

/**
 * Exponential backoff with "equal jitter": half fixed, half random, so that retries of
 * many workers spread out yet never come back immediately.
 * @param attempt the attempt that just failed, 1-based
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

export { parseRetryAfter } from "../retry-after.js";
