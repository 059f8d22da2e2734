/**
 * One Apple client per account, built from the sealed sToken and rebuilt when the token
 * changes (AC2). Clients of one token share one rate limiter, so the worker as a whole
 * stays within Apple's maxRequestPerSecond for that token; with `shareRateLimit`
 * (several processes over one PostgreSQL), every request also takes a slot of the
 * token's window in the database, so all the processes together stay within it.
 */
import { createHash } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  type AppleAttempt,
  type AppleClient,
  createAppleClient,
  createRateLimiter,
  documentedLimits,
  type FetchLike,
  type MdmInfo,
  type RateLimiter,
  type ResponseEnvelope,
  type RetryPolicy,
} from "../apple/index.js";
import { type Db, type KeyRing, revealSToken } from "../store/index.js";
import { takeRequestSlot } from "../store/rate-window.repo.js";
import { sTokenCiphertext } from "../store/sync-accounts.repo.js";

export interface AppleClients {
  /** The client of this account's current token. Throws STokenError if it is malformed or expired. */
  forAccount(account: { spaceId: string; id: string }): Promise<AppleClient>;
  /** A client for a token not stored yet (validation when adding or replacing a token). */
  forToken(sToken: string, onEnvelope?: (e: ResponseEnvelope) => void): AppleClient;
  /**
   * The sealed token (its ciphertext as stored) a failed request of `forAccount`'s clients
   * was sent with, or undefined: a token problem of a token replaced since is not the
   * account's any more (health.ts).
   */
  tokenOf(error: unknown): string | undefined;
  /** Called with each response's uId and tokenExpirationDate (token health, NT2). */
  observe(listener: (account: { spaceId: string; id: string }, envelope: ResponseEnvelope) => void): void;
}

export interface AppleClientsOptions {
  db: Db;
  keys: KeyRing;
  baseUrl: string;
  mdmInfo: MdmInfo;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  logger?: { warn(fields: Record<string, unknown>, message: string): void };
  fetch?: FetchLike | undefined;
  retry?: Partial<RetryPolicy> | undefined;
  timeoutMs?: number | undefined;
  /** Pace each token across processes too (PostgreSQL with several workers). */
  shareRateLimit?: boolean | undefined;
  /** Told of each attempt sent to Apple (the process's metrics). */
  onAttempt?: ((attempt: AppleAttempt) => void) | undefined;
}

/** The local limiter's window (rate-limit.ts), used for the shared one as well. */
const WINDOW_MS = 1200;

export function createAppleClients(options: AppleClientsOptions): AppleClients {
  const byAccount = new Map<string, { version: string; client: AppleClient }>();
  const limiters = new Map<string, RateLimiter>();
  // Errors are marked, not wrapped: callers still see Apple's own error classes.
  const sentWith = new WeakMap<object, string>();
  let listener: ((account: { spaceId: string; id: string }, e: ResponseEnvelope) => void) | undefined;

  function limiterFor(sToken: string): RateLimiter {
    const key = createHash("sha256").update(sToken).digest("hex");
    let limiter = limiters.get(key);
    if (!limiter) {
      limiter = createRateLimiter({
        maxRequestPerSecond: documentedLimits.maxRequestPerSecond,
        clock: () => performance.now(),
        sleep: options.sleep,
        windowMs: WINDOW_MS,
      });
      if (options.shareRateLimit) limiter = sharedAcrossProcesses(limiter, key);
      limiters.set(key, limiter);
    }
    return limiter;
  }

  /** This process's pacing first (and Retry-After), then a slot of the token's shared window. */
  function sharedAcrossProcesses(local: RateLimiter, tokenKey: string): RateLimiter {
    let capacity = documentedLimits.maxRequestPerSecond;
    return {
      ...local,
      async acquire() {
        await local.acquire();
        for (;;) {
          const waitMs = await takeRequestSlot(options.db, { tokenKey, capacity, windowMs: WINDOW_MS });
          if (waitMs <= 0) return;
          await options.sleep(waitMs);
        }
      },
      setRate(maxRequestPerSecond) {
        capacity = maxRequestPerSecond;
        local.setRate(maxRequestPerSecond);
      },
    };
  }

  function build(
    sToken: string,
    onEnvelope?: (e: ResponseEnvelope) => void,
    onError?: (error: unknown) => void,
  ): AppleClient {
    return createAppleClient({
      baseUrl: options.baseUrl,
      sToken,
      mdmInfo: options.mdmInfo,
      now: options.now,
      sleep: options.sleep,
      rateLimiter: limiterFor(sToken),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.logger ? { logger: { warn: (f, m) => options.logger?.warn(f, m) } } : {}),
      ...(onEnvelope ? { onEnvelope } : {}),
      ...(onError ? { onError } : {}),
      ...(options.onAttempt ? { onAttempt: options.onAttempt } : {}),
    });
  }

  return {
    async forAccount(account) {
      const version = await sTokenCiphertext(options.db, account.id);
      const cached = byAccount.get(account.id);
      if (cached && cached.version === version) return cached.client;
      const sToken = await revealSToken(options.db, account.id, options.keys);
      const client = build(
        sToken,
        (e) => listener?.(account, e),
        (error) => {
          if (typeof error === "object" && error !== null) sentWith.set(error, version);
        },
      );
      byAccount.set(account.id, { version, client });
      return client;
    },
    forToken: (sToken, onEnvelope) => build(sToken, onEnvelope),
    tokenOf: (error) => (typeof error === "object" && error !== null ? sentWith.get(error) : undefined),
    observe(fn) {
      listener = fn;
    },
  };
}
