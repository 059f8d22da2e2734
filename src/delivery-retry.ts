/**
 * How Orchard retries what it pushes to others (install/remove commands to the MDM,
 * notifications to their channels): a failure the receiver may recover from (unreachable,
 * timeout, HTTP 408, 429, 5xx, an SMTP 4xx) is tried again 2 s later, doubling, at most
 * 15 minutes apart, for MAX_DELIVERY_ATTEMPTS attempts: nearly 3 hours in all, longer than
 * a deployment or an outage of an hour. A refusal fails at once. A receiver that says when
 * to come back (Retry-After, on a 429 or a 503) is not called before then.
 */
export const MAX_DELIVERY_ATTEMPTS = 20;
const MAX_DELAY_MS = 15 * 60_000;
/** The longest Retry-After honoured: a receiver's mistake must not park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/**
 * The wait before the next attempt, after `attempts` (the claims so far, at least 1): the
 * backoff's, or the receiver's Retry-After when longer (up to MAX_RETRY_AFTER_MS).
 */
export function retryDelayMs(attempts: number, retryAfterMs?: number): number {
  const backoff = Math.min(2 ** Math.max(attempts, 1) * 1000, MAX_DELAY_MS);
  return Math.max(backoff, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** Whether a failed delivery is given up: refused for good, or at its last attempt. */
export function givesUp(retryable: boolean, attempts: number): boolean {
  return !retryable || attempts >= MAX_DELIVERY_ATTEMPTS;
}

/**
 * An HTTP answer the receiver may recover from: 5xx, 408, 429. Another 4xx will not get
 * better by sending the same body again, nor a 3xx (a redirect is not followed).
 */
export function retryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
