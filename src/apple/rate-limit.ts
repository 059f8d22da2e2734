/**
 * Per-token request rate: at most `maxRequestPerSecond` requests in any one-second window
 * (Apple answers 9646 / HTTP 429 beyond it).
 * https://developer.apple.com/documentation/devicemanagement/service-config (limits.maxRequestPerSecond)
 *
 * A token bucket of capacity N where each spent token comes back exactly 1000 ms after it
 * was spent: unlike a continuously refilled bucket, it never lets 2N requests through in
 * a second, whatever the burst. It also holds the "not before" time that a Retry-After set,
 * so that no request of this token reaches Apple sooner.
 *
 * Clock and sleep are injected so that tests never wait for real. The clock is monotonic
 * milliseconds (performance.now() by default), not the wall clock: a test may freeze `now`.
 */

export interface RateLimiter {
  /** Waits until a request may be sent, then counts it. */
  acquire(): Promise<void>;
  /** Changes the rate (service config limits are dynamic). */
  setRate(maxRequestPerSecond: number): void;
  /** No request before `atMs` (on the limiter's clock), from a Retry-After. */
  blockUntil(atMs: number): void;
  /** Milliseconds from now during which nothing may be sent (<= 0 when not blocked). */
  blockedForMs(): number;
  /** The limiter's clock, in ms. */
  clock(): number;
}

export interface RateLimiterOptions {
  maxRequestPerSecond: number;
  /** Monotonic milliseconds. */
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  /**
   * Window length in ms. 1000 is "per second"; the default adds 200 ms so that network
   * jitter, or a busy event loop sending queued requests late and together, never makes
   * Apple see N+1 requests in its own one-second window (a 429 costs far more than 17 %).
   */
  windowMs?: number;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const windowMs = options.windowMs ?? 1200;
  let capacity = Math.max(1, Math.floor(options.maxRequestPerSecond));
  // Send times of the last `capacity` requests, oldest first (a ring would save little here).
  const sent: number[] = [];
  let notBefore = 0;
  // Serialises acquirers so that concurrent callers cannot both take the last token.
  let queue: Promise<void> = Promise.resolve();

  async function take(): Promise<void> {
    for (;;) {
      const now = options.clock();
      while (sent.length > capacity) sent.shift();
      let waitMs = notBefore - now;
      if (sent.length >= capacity) {
        const oldest = sent[sent.length - capacity] ?? 0;
        waitMs = Math.max(waitMs, oldest + windowMs - now);
      }
      if (waitMs <= 0) {
        sent.push(now);
        if (sent.length > capacity) sent.shift();
        return;
      }
      await options.sleep(waitMs);
    }
  }

  return {
    acquire() {
      const next = queue.then(take);
      queue = next.catch(() => undefined);
      return next;
    },
    setRate(maxRequestPerSecond) {
      capacity = Math.max(1, Math.floor(maxRequestPerSecond));
    },
    blockUntil(atMs) {
      notBefore = Math.max(notBefore, atMs);
    },
    blockedForMs() {
      return notBefore - options.clock();
    },
    clock: options.clock,
  };
}
