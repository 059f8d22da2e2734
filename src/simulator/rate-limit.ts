/**
 * maxRequestPerSecond per location (sToken): more requests within any one-second window
 * get 429 / 9646 (APPLE-API.md "Error codes", rate limit). Uses a monotonic clock, not
 * the `now` option, which may be frozen by tests that check token expiry.
 */
import { performance } from "node:perf_hooks";

export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** Records a request; returns the seconds to wait when it is over the limit. */
  hit(key: string, maxPerSecond: number): number | undefined {
    const now = this.clock();
    const times = this.windows.get(key) ?? [];
    while (times.length > 0 && (times[0] ?? 0) <= now - 1000) times.shift();
    if (times.length >= maxPerSecond) {
      const waitMs = (times[0] ?? now) + 1000 - now;
      return Math.max(1, Math.ceil(waitMs / 1000));
    }
    times.push(now);
    this.windows.set(key, times);
    return undefined;
  }
}
