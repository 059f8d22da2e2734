/**
 * The limits of /service/config, cached and refreshed at least every 5 minutes: Apple says
 * the limits are dynamic and asks clients to re-read them that often.
 * https://developer.apple.com/documentation/devicemanagement/service-config
 */
import { AppleApiError } from "./errors.js";
import type { AppleLogger } from "./http.js";
import type { ServiceConfigResponse } from "./wire.js";

/** Every limit the client uses, filled with Apple's documented values where a response lacks one. */
export interface AppleLimits {
  maxAssets: number;
  maxClientUserIds: number;
  maxSerialNumbers: number;
  maxRevokeClientUserIds: number;
  maxRevokeSerialNumbers: number;
  maxUsers: number;
  /** Absent from older docs' examples; 15 when missing (the newest doc's value). */
  maxRequestPerSecond: number;
  maxNotificationLength: number;
  maxMdmIdLength: number;
  maxMdmNameLength: number;
  maxMdmMetadataLength: number;
}

/** The values of Apple's service-config example. */
export const documentedLimits: AppleLimits = {
  maxAssets: 25,
  maxClientUserIds: 1000,
  maxSerialNumbers: 1000,
  maxRevokeClientUserIds: 100,
  maxRevokeSerialNumbers: 100,
  maxUsers: 100,
  maxRequestPerSecond: 15,
  maxNotificationLength: 512,
  maxMdmIdLength: 100,
  maxMdmNameLength: 100,
  maxMdmMetadataLength: 255,
};

export function limitsOf(config: ServiceConfigResponse): AppleLimits {
  const l = config.limits;
  const d = documentedLimits;
  return {
    maxAssets: l.maxAssets ?? d.maxAssets,
    maxClientUserIds: l.maxClientUserIds ?? d.maxClientUserIds,
    maxSerialNumbers: l.maxSerialNumbers ?? d.maxSerialNumbers,
    maxRevokeClientUserIds: l.maxRevokeClientUserIds ?? d.maxRevokeClientUserIds,
    maxRevokeSerialNumbers: l.maxRevokeSerialNumbers ?? d.maxRevokeSerialNumbers,
    maxUsers: l.maxUsers ?? d.maxUsers,
    maxRequestPerSecond: l.maxRequestPerSecond ?? d.maxRequestPerSecond,
    maxNotificationLength: l.maxNotificationLength ?? d.maxNotificationLength,
    maxMdmIdLength: l.maxMdmIdLength ?? d.maxMdmIdLength,
    maxMdmNameLength: l.maxMdmNameLength ?? d.maxMdmNameLength,
    maxMdmMetadataLength: l.maxMdmMetadataLength ?? d.maxMdmMetadataLength,
  };
}

export interface ServiceConfigCache {
  /** Cached limits, fetched again when older than the TTL. */
  limits(): Promise<AppleLimits>;
  /** Fetches now and caches. */
  refresh(): Promise<ServiceConfigResponse>;
  /** Forgets the cache (e.g. after a 970x limit error, the limits may have changed). */
  invalidate(): void;
  /** The `urls` of the cached config (read with the limits, so no older than the TTL). */
  urls(): Promise<ServiceConfigResponse["urls"]>;
}

export function createServiceConfigCache(options: {
  fetchConfig: () => Promise<ServiceConfigResponse>;
  now: () => Date;
  ttlMs: number;
  onLimits: (limits: AppleLimits) => void;
  logger?: AppleLogger | undefined;
}): ServiceConfigCache {
  let cached: { limits: AppleLimits; at: number; config?: ServiceConfigResponse } | undefined;
  let inFlight: Promise<ServiceConfigResponse> | undefined;

  function refresh(): Promise<ServiceConfigResponse> {
    inFlight ??= options
      .fetchConfig()
      .then((config) => {
        const limits = limitsOf(config);
        cached = { limits, at: options.now().getTime(), config };
        options.onLimits(limits);
        return config;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  return {
    refresh,
    invalidate() {
      cached = undefined;
    },
    async urls() {
      await this.limits();
      return cached?.config?.urls;
    },
    async limits() {
      if (cached && options.now().getTime() - cached.at < options.ttlMs) return cached.limits;
      try {
        await refresh();
      } catch (error) {
        // Auth problems must surface; otherwise work on with the last known (or documented) limits.
        if (error instanceof AppleApiError && error.kind === "auth") throw error;
        options.logger?.warn?.(
          { err: String(error) },
          "apple service config unavailable; using last known limits",
        );
        return cached?.limits ?? documentedLimits;
      }
      return cached?.limits ?? documentedLimits;
    },
  };
}
