/**
 * App and book metadata (name, price, version, genre, artwork) by adamId: Apple's Apps and
 * Books API returns assets by adamId only, so MDMs look the rest up in the store.
 *
 * Format: the public, documented iTunes Search API lookup
 * (https://performance-partners.apple.com/search-api, "Lookup Examples"):
 * `GET {base}/lookup?id=1,2,3&country=us&entity=software` answers
 * `{ resultCount, results: [{ trackId, trackName, bundleId, version, ... }] }`.
 * Apple's MDM-specific `urls.contentMetadataLookup` of /service/config
 * (uclient-api.itunes.apple.com/.../wa/lookup) returns a richer "lockup" whose exact
 * request parameters and response shape are not in our sources (docs/APPLE-API.md only
 * names the URL). Guessing it would mean parsing an undocumented shape; the public format
 * is documented, stable and served by https://itunes.apple.com, so it is what we speak.
 * Pointed at a server that answers otherwise, the lookup fails loudly (AppleProtocolError)
 * rather than storing half-read data.
 */
import { z } from "zod";
import { chunk, unique } from "./batch.js";
import { AppleApiError, AppleProtocolError, AppleTransportError } from "./errors.js";
import type { AppleLogger, FetchLike } from "./http.js";
import { backoffDelayMs, defaultRetryPolicy, parseRetryAfter, type RetryPolicy } from "./retry.js";

/** The iTunes lookup accepts several ids comma-separated; 100 per call keeps URLs short. */
export const MAX_LOOKUP_IDS = 100;

/** One result, read leniently: every field but the id is optional, unknown fields are kept. */
const lookupResult = z.looseObject({
  trackId: z.union([z.number(), z.string()]).transform(String),
  trackName: z.string().optional(),
  bundleId: z.string().optional(),
  version: z.string().optional(),
  artworkUrl512: z.string().optional(),
  artworkUrl100: z.string().optional(),
  artworkUrl60: z.string().optional(),
  primaryGenreName: z.string().optional(),
  genres: z.array(z.string()).optional(),
  price: z.number().optional(),
  currency: z.string().optional(),
  kind: z.string().optional(),
  wrapperType: z.string().optional(),
  isVppDeviceBasedLicensingEnabled: z.boolean().optional(),
  supportedDevices: z.array(z.string()).optional(),
});
export type LookupResult = z.infer<typeof lookupResult>;

export const lookupResponse = z.looseObject({
  resultCount: z.number().optional(),
  results: z.array(z.unknown()),
});

/** What Orchard keeps of a public app or book. */
export interface AppMetadata {
  adamId: string;
  custom: false;
  kind: "app" | "book";
  name: string | undefined;
  bundleId: string | undefined;
  version: string | undefined;
  artworkUrl: string | undefined;
  /** `primaryGenreName`, e.g. "Productivity" (DB5). */
  genre: string | undefined;
  genres: string[];
  price: number | undefined;
  currency: string | undefined;
  deviceBasedLicensing: boolean | undefined;
  supportedDevices: string[] | undefined;
}

/** An id the store does not return: not public, i.e. a custom (B2B) app, or withdrawn. */
export interface NotInStore {
  adamId: string;
  custom: true;
}

export type LookedUp = AppMetadata | NotInStore;

export interface LookupOptions {
  /** The lookup's base: `{baseUrl}/lookup` is called. A URL already ending in /lookup is accepted. */
  baseUrl: string;
  adamIds: readonly string[];
  fetch?: FetchLike;
  /** ISO 3166 alpha-2 storefront (prices and availability differ per country); default "us". */
  country?: string;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => Date;
  timeoutMs?: number;
  logger?: AppleLogger;
}

/** Looks up every id (batched, retried); one entry per distinct id, in the order given. */
export async function lookupApps(options: LookupOptions): Promise<LookedUp[]> {
  const ids = unique(options.adamIds.filter((id) => id !== ""));
  const found = new Map<string, AppMetadata>();
  for (const batch of chunk(ids, MAX_LOOKUP_IDS)) {
    const wanted = new Set(batch);
    for (const raw of await lookupBatch(options, batch)) {
      const parsed = lookupResult.safeParse(raw);
      // Lenient: a result we cannot read, or a related item the lookup added, is skipped.
      if (!parsed.success || !wanted.has(parsed.data.trackId)) continue;
      const metadata = toMetadata(parsed.data);
      if (metadata) found.set(metadata.adamId, metadata);
    }
  }
  return ids.map((adamId) => found.get(adamId) ?? { adamId, custom: true });
}

function toMetadata(r: LookupResult): AppMetadata | undefined {
  const isBook = r.wrapperType === "ebook" || r.kind === "ebook";
  const isApp = r.wrapperType === "software" || /software/.test(r.kind ?? "");
  // With neither marker we still take it: the id matched one we asked for.
  if (!isBook && !isApp && r.wrapperType !== undefined) return undefined;
  return {
    adamId: r.trackId,
    custom: false,
    kind: isBook ? "book" : "app",
    name: r.trackName,
    bundleId: r.bundleId,
    version: r.version,
    artworkUrl: r.artworkUrl512 ?? r.artworkUrl100 ?? r.artworkUrl60,
    genre: r.primaryGenreName ?? r.genres?.[0],
    genres: r.genres ?? [],
    price: r.price,
    currency: r.currency,
    deviceBasedLicensing: r.isVppDeviceBasedLicensingEnabled,
    supportedDevices: r.supportedDevices,
  };
}

/** One GET, retried on no answer, 429 and 5xx with backoff, honouring Retry-After (as http.ts). */
async function lookupBatch(options: LookupOptions, ids: readonly string[]): Promise<unknown[]> {
  const retry = { ...defaultRetryPolicy, ...options.retry };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? (() => new Date());
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const base = options.baseUrl.replace(/\/+$/, "").replace(/\/lookup$/, "");
  const query = new URLSearchParams({
    id: ids.join(","),
    country: (options.country ?? "us").toLowerCase(),
    entity: "software",
  });
  const url = `${base}/lookup?${query.toString()}`;
  const path = "/lookup";
  for (let attempt = 1; ; attempt++) {
    let error: AppleApiError | AppleTransportError;
    let retryAfterMs: number | undefined;
    try {
      const response = await doFetch(url, {
        method: "GET",
        headers: { Accept: "application/json" },
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
      retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now());
      const text = await response.text();
      if (response.ok) return parseBody(text, path);
      error = new AppleApiError({
        errorNumber: undefined,
        httpStatus: response.status,
        retryAfterMs,
        method: "GET",
        path,
        attempts: attempt,
      });
    } catch (cause) {
      if (cause instanceof AppleProtocolError) throw cause;
      error = new AppleTransportError("GET", path, attempt, cause);
    }
    const retryable = error instanceof AppleTransportError || error.retryable;
    if (!retryable || attempt >= retry.maxAttempts) throw error;
    if (retryAfterMs !== undefined && retryAfterMs > retry.maxDelayMs) throw error;
    const delayMs = Math.max(
      backoffDelayMs(retry, attempt, options.random ?? Math.random),
      retryAfterMs ?? 0,
    );
    options.logger?.warn?.({ path, attempt, delayMs, ids: ids.length }, "metadata lookup failed; retrying");
    await sleep(delayMs);
  }
}

function parseBody(text: string, path: string): unknown[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new AppleProtocolError("GET", path, "not JSON");
  }
  const parsed = lookupResponse.safeParse(json);
  if (!parsed.success) throw new AppleProtocolError("GET", path, "no results array");
  return parsed.data.results;
}
