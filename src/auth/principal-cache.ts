import { authVersion } from "../store/auth.repo.js";
import type { Principal } from "./principal.js";

/**
 * How long a principal read from the database answers for its token or session without
 * asking again. In this process every write that changes a principal (a token revoked, a
 * grant changed, a session closed, an administrator added) drops every entry at once (see
 * `authVersion`); a change made by another process (a second `orchard serve`, the CLI) is
 * seen by this one at most this long after it was committed.
 */
export const PRINCIPAL_TTL_MS = 2_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  principal: Principal;
  /** The stored sha256 of the secret (token) this entry answers for. */
  secretHash?: string;
  /** A session's end: the entry never outlives it. */
  expiresAt?: Date;
  /** `authVersion()` read before the principal was read from the database. */
  version: number;
  /** performance.now() after which the entry is read again. */
  until: number;
}

/**
 * A short-lived cache of authenticated principals, keyed by token id or session hash (never
 * by a secret). Negative answers are not kept: an unknown token costs a query every time,
 * as before. One per API instance.
 */
export class PrincipalCache {
  readonly #entries = new Map<string, Entry>();

  constructor(readonly ttlMs: number = PRINCIPAL_TTL_MS) {}

  /** The version to pass to `set` for what is read from the database from now on. */
  version(): number {
    return authVersion();
  }

  get(key: string, now: Date): Entry | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (
      entry.version !== authVersion() ||
      performance.now() >= entry.until ||
      (entry.expiresAt !== undefined && now.getTime() >= entry.expiresAt.getTime())
    ) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, entry: Omit<Entry, "until">): void {
    if (this.ttlMs <= 0 || entry.version !== authVersion()) return;
    if (this.#entries.size >= MAX_ENTRIES) {
      // Oldest first (a Map keeps insertion order).
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.delete(key);
    this.#entries.set(key, { ...entry, until: performance.now() + this.ttlMs });
  }

  clear(): void {
    this.#entries.clear();
  }
}
