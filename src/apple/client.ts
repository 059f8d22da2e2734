/**
 * The typed client of Apple's Apps and Books for Organizations API v2.
 * https://developer.apple.com/documentation/devicemanagement/app-and-book-management
 *
 * Everything it depends on is passed in (base URL, sToken, fetch, clock, sleep, logger,
 * retry policy): no env reads, no global state. Retries are bounded and logged.
 */
import { performance } from "node:perf_hooks";
import { type ManageAssetsBatch, planManageAssets, planRevoke, planUsers } from "./batch.js";
import type {
  AppleClient,
  AppleClientOptions,
  BatchEvent,
  ClientConfigResult,
  ClientConfigSettings,
  Ownership,
  SendOptions,
} from "./client.types.js";
import { AppleApiError, AppleBatchError, TokenOwnedByOtherMdmError } from "./errors.js";
import { createTransport } from "./http.js";
import { walkPages } from "./paging.js";
import { createRateLimiter } from "./rate-limit.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry.js";
import { createServiceConfigCache, documentedLimits } from "./service-config.js";
import { parseSToken, SToken } from "./stoken.js";
import {
  type ClientConfigResponse,
  clientConfigResponse,
  type EventResponse,
  eventResponse,
  getAssetsResponse,
  getAssignmentsResponse,
  getUsersResponse,
  type ManageAssetsRequest,
  type MdmInfo,
  type RevokeAssetsRequest,
  serviceConfigResponse,
  statusResponse,
} from "./wire.js";

const FIVE_MINUTES_MS = 5 * 60_000;

/** Builds a client. Throws STokenError (malformed | expired) before any call. */
export function createAppleClient(options: AppleClientOptions): AppleClient {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const sToken =
    options.sToken instanceof SToken ? options.sToken : parseSToken(options.sToken, { now: now() });
  const retry: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const limiter =
    options.rateLimiter ??
    createRateLimiter({
      maxRequestPerSecond: documentedLimits.maxRequestPerSecond,
      clock: options.clock ?? (() => performance.now()),
      sleep,
    });
  const transport = createTransport({
    baseUrl: options.baseUrl,
    sToken,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    now,
    sleep,
    random: options.random ?? Math.random,
    retry,
    limiter,
    timeoutMs: options.timeoutMs ?? 30_000,
    logger: options.logger,
    onEnvelope: options.onEnvelope,
    onError: options.onError,
    onAttempt: options.onAttempt,
    // Keeps the limits (and so the request rate) no older than 5 minutes before every call.
    beforeRequest: async () => {
      await serviceConfig.limits();
    },
  });
  const serviceConfig = createServiceConfigCache({
    fetchConfig: () =>
      transport.request({
        method: "GET",
        path: "/service/config",
        schema: serviceConfigResponse,
        skipBeforeRequest: true,
      }),
    now,
    ttlMs: Math.min(options.serviceConfigTtlMs ?? FIVE_MINUTES_MS, FIVE_MINUTES_MS),
    onLimits: (limits) => limiter.setRate(limits.maxRequestPerSecond),
    logger: options.logger,
  });

  const post = (path: string, body: unknown, send?: SendOptions): Promise<EventResponse> =>
    transport.request({
      method: "POST",
      path,
      body,
      schema: eventResponse,
      beforeAttempt: send?.beforeAttempt,
    });

  function ownershipOf(config: ClientConfigResponse): Ownership {
    const owner = config.mdmInfo;
    if (owner === undefined || owner.id === "") return { state: "unclaimed", owner: undefined };
    if (options.mdmInfo !== undefined && owner.id === options.mdmInfo.id) return { state: "ours", owner };
    return { state: "other", owner };
  }

  function requireMdmInfo(): MdmInfo {
    if (options.mdmInfo === undefined)
      throw new Error("createAppleClient needs mdmInfo to write the client config");
    return options.mdmInfo;
  }

  async function writeClientConfig(settings: ClientConfigSettings): Promise<ClientConfigResult> {
    const config = await transport.request({
      method: "POST",
      path: "/client/config",
      body: { mdmInfo: requireMdmInfo(), ...settings },
      schema: clientConfigResponse,
    });
    const ownership = ownershipOf(config);
    // Another MDM wrote between our read and our write: report it rather than fight over it.
    if (ownership.state === "other") throw new TokenOwnedByOtherMdmError(ownership.owner, config.uId);
    return { config, ownership };
  }

  /** Sends the calls one after another; on a failure, reports what was sent and what was not. */
  async function runBatches<B, R extends { eventId: string; uId?: string | undefined }>(
    batches: B[],
    send: (batch: B) => Promise<R>,
  ): Promise<Array<BatchEvent<B>>> {
    const done: Array<BatchEvent<B>> = [];
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i] as B;
      try {
        const response = await send(batch);
        done.push({ ...batch, eventId: response.eventId, uId: response.uId });
      } catch (error) {
        if (error instanceof AppleApiError && error.kind === "invalid_request") serviceConfig.invalidate();
        throw new AppleBatchError(done, batch, batches.slice(i + 1), error);
      }
    }
    return done;
  }

  const client: AppleClient = {
    getServiceConfig: () => serviceConfig.refresh(),
    limits: () => serviceConfig.limits(),
    serviceUrls: () => serviceConfig.urls(),

    async getClientConfig() {
      const config = await transport.request({
        method: "GET",
        path: "/client/config",
        schema: clientConfigResponse,
      });
      return { config, ownership: ownershipOf(config) };
    },

    async setClientConfig(settings = {}) {
      requireMdmInfo();
      const current = await client.getClientConfig();
      if (current.ownership.state === "other") {
        throw new TokenOwnedByOtherMdmError(current.ownership.owner, current.config.uId);
      }
      return writeClientConfig(settings);
    },

    async takeOverToken(settings = {}) {
      const current = await client.getClientConfig();
      if (current.ownership.state === "other") {
        options.logger?.warn?.(
          {
            previousOwner: current.ownership.owner.name ?? current.ownership.owner.id,
            uId: current.config.uId,
          },
          "taking over an Apple location managed by another MDM",
        );
      }
      return writeClientConfig(settings);
    },

    assets(filters = {}) {
      const { startPageIndex, ...query } = filters;
      return walkPages(transport, "/assets", query, getAssetsResponse, (r) => r.assets, startPageIndex);
    },
    assignments(filters = {}) {
      const { startPageIndex, ...query } = filters;
      return walkPages(
        transport,
        "/assignments",
        query,
        getAssignmentsResponse,
        (r) => r.assignments,
        startPageIndex,
      );
    },
    users(filters = {}) {
      const { startPageIndex, ...query } = filters;
      return walkPages(transport, "/users", query, getUsersResponse, (r) => r.users, startPageIndex);
    },

    associate: (request, send) => post("/assets/associate", request, send),
    disassociate: (request, send) => post("/assets/disassociate", request, send),
    revoke: (request, send) => post("/assets/revoke", request, send),
    createUsers: (users, send) => post("/users/create", { users }, send),
    updateUsers: (users, send) => post("/users/update", { users }, send),
    retireUsers: (users, send) => post("/users/retire", { users }, send),

    eventStatus: (eventId) =>
      transport.request({
        method: "GET",
        path: "/status",
        query: new URLSearchParams({ eventId }),
        schema: statusResponse,
      }),

    async waitForEvent(eventId, waitOptions = {}) {
      const pollIntervalMs = waitOptions.pollIntervalMs ?? 30_000;
      const timeoutMs = waitOptions.timeoutMs ?? 10 * 60_000;
      const started = now().getTime();
      for (;;) {
        const status = await client.eventStatus(eventId);
        if (status.eventStatus !== "PENDING") return status;
        if (now().getTime() - started + pollIntervalMs > timeoutMs) {
          // Apple: still PENDING after 10 minutes -> the caller should retry the request.
          throw new Error(`Apple event ${eventId} still PENDING after ${now().getTime() - started} ms`);
        }
        await sleep(pollIntervalMs);
      }
    },

    async associateBatched(input) {
      const batches = planManageAssets(input, await serviceConfig.limits());
      return runBatches(batches, (b) => client.associate(toManageAssets(b)));
    },
    async disassociateBatched(input) {
      const batches = planManageAssets(input, await serviceConfig.limits());
      return runBatches(batches, (b) => client.disassociate(toManageAssets(b)));
    },
    async revokeBatched(input) {
      const batches = planRevoke(input, await serviceConfig.limits());
      return runBatches(batches, (b) => client.revoke(omitEmpty(b)));
    },
    async createUsersBatched(users) {
      const batches = planUsers(users, await serviceConfig.limits()).map((u) => ({ users: u }));
      return runBatches(batches, (b) => client.createUsers(b.users));
    },
    async updateUsersBatched(users) {
      const batches = planUsers(users, await serviceConfig.limits()).map((u) => ({ users: u }));
      return runBatches(batches, (b) => client.updateUsers(b.users));
    },
    async retireUsersBatched(users) {
      const batches = planUsers(users, await serviceConfig.limits()).map((u) => ({ users: u }));
      return runBatches(batches, (b) =>
        client.retireUsers(b.users.map((x) => ({ clientUserId: x.clientUserId }))),
      );
    },
  };
  return client;
}

/** Empty subject lists are left out of the body, as in Apple's tutorial example. */
function omitEmpty(b: { clientUserIds: string[]; serialNumbers: string[] }): RevokeAssetsRequest {
  return {
    ...(b.clientUserIds.length > 0 ? { clientUserIds: b.clientUserIds } : {}),
    ...(b.serialNumbers.length > 0 ? { serialNumbers: b.serialNumbers } : {}),
  };
}

function toManageAssets(b: ManageAssetsBatch): ManageAssetsRequest {
  return { assets: b.assets, ...omitEmpty(b) };
}
