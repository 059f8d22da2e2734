/**
 * The client's public types: options, filters, results and the AppleClient interface.
 * https://developer.apple.com/documentation/devicemanagement/app-and-book-management
 */
import type { ManageAssetsBatch, RevokeBatch } from "./batch.js";
import type { AppleAttempt, AppleLogger, FetchLike, ResponseEnvelope } from "./http.js";
import type { Page } from "./paging.js";
import type { RateLimiter } from "./rate-limit.js";
import type { RetryPolicy } from "./retry.js";
import type { AppleLimits } from "./service-config.js";
import type { SToken } from "./stoken.js";
import type {
  Asset,
  Assignment,
  ClientConfigResponse,
  EventResponse,
  ManageAssetsRequest,
  ManageUserEntry,
  MdmInfo,
  NotificationType,
  RevokeAssetsRequest,
  ServiceConfigResponse,
  StatusResponse,
  User,
} from "./wire.js";

export interface AppleClientOptions {
  /** e.g. "https://vpp.itunes.apple.com/mdm/v2" (no trailing slash needed). */
  baseUrl: string;
  /** The sToken file content, or an already parsed SToken. Refused if malformed or expired. */
  sToken: string | SToken;
  /** Our MDM's identity, written to and checked against the location's client config (AC6). */
  mdmInfo?: MdmInfo;
  fetch?: FetchLike;
  /** Wall clock (token expiry, Retry-After dates, service config age). */
  now?: () => Date;
  /** Monotonic ms for the rate limit and retry waits (default performance.now()). */
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
  logger?: AppleLogger;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Service config cache lifetime in ms (default and maximum 5 minutes, as Apple asks). */
  serviceConfigTtlMs?: number;
  /**
   * Share one limiter between clients of the same token; by default each client has its own,
   * set to the service config's maxRequestPerSecond.
   */
  rateLimiter?: RateLimiter;
  /** Called with `uId` and `tokenExpirationDate` of every response that carries them. */
  onEnvelope?: (envelope: ResponseEnvelope) => void;
  /** Called with the error each failed request ends in (which token a failure came from). */
  onError?: (error: unknown) => void;
  /** Called after each attempt sent to Apple (the process's metrics). */
  onAttempt?: (attempt: AppleAttempt) => void;
}

export interface AssetFilters {
  adamId?: string;
  productType?: "App" | "Book";
  pricingParam?: string;
  deviceAssignable?: boolean;
  revocable?: boolean;
  minAssignedCount?: number;
  maxAssignedCount?: number;
  minAvailableCount?: number;
  maxAvailableCount?: number;
  unlimited?: boolean;
  startPageIndex?: number;
}

export interface AssignmentFilters {
  adamId?: string;
  pricingParam?: string;
  clientUserId?: string;
  serialNumber?: string;
  excludeInactiveUsers?: boolean;
  includeUserState?: boolean;
  sinceVersionId?: string;
  startPageIndex?: number;
}

export interface UserFilters {
  clientUserId?: string;
  activeOnly?: boolean;
  retiredOnly?: boolean;
  sinceVersionId?: string;
  startPageIndex?: number;
}

export interface ClientConfigSettings {
  notificationUrl?: string;
  notificationAuthToken?: string;
  notificationTypes?: NotificationType[];
}

/** Who manages the location, from `mdmInfo` in the client config. */
export type Ownership =
  | { state: "ours"; owner: NonNullable<ClientConfigResponse["mdmInfo"]> }
  | { state: "unclaimed"; owner: undefined }
  | { state: "other"; owner: NonNullable<ClientConfigResponse["mdmInfo"]> };

export interface ClientConfigResult {
  config: ClientConfigResponse;
  ownership: Ownership;
}

/** One call of a batched operation: the subjects it covered and Apple's eventId. */
export type BatchEvent<B> = B & { eventId: string; uId: string | undefined };

export interface AppleClient {
  /** GET /service/config (always fetched; also refreshes the cached limits). */
  getServiceConfig(): Promise<ServiceConfigResponse>;
  /** The cached limits (refreshed when older than 5 minutes). */
  limits(): Promise<AppleLimits>;
  /** The cached service config's `urls` (e.g. contentMetadataLookup), read with the limits. */
  serviceUrls(): Promise<ServiceConfigResponse["urls"]>;
  getClientConfig(): Promise<ClientConfigResult>;
  /** POST /client/config with our mdmInfo; throws TokenOwnedByOtherMdmError if another MDM manages it. */
  setClientConfig(settings?: ClientConfigSettings): Promise<ClientConfigResult>;
  /** POST /client/config with our mdmInfo whoever manages the location now: an explicit takeover. */
  takeOverToken(settings?: ClientConfigSettings): Promise<ClientConfigResult>;
  assets(filters?: AssetFilters): AsyncGenerator<Page<Asset>, void, undefined>;
  assignments(filters?: AssignmentFilters): AsyncGenerator<Page<Assignment>, void, undefined>;
  users(filters?: UserFilters): AsyncGenerator<Page<User>, void, undefined>;
  associate(request: ManageAssetsRequest, send?: SendOptions): Promise<EventResponse>;
  disassociate(request: ManageAssetsRequest, send?: SendOptions): Promise<EventResponse>;
  revoke(request: RevokeAssetsRequest, send?: SendOptions): Promise<EventResponse>;
  createUsers(users: ManageUserEntry[], send?: SendOptions): Promise<EventResponse>;
  updateUsers(users: ManageUserEntry[], send?: SendOptions): Promise<EventResponse>;
  retireUsers(users: Array<{ clientUserId: string }>, send?: SendOptions): Promise<EventResponse>;
  /** GET /status?eventId= */
  eventStatus(eventId: string): Promise<StatusResponse>;
  /** Polls /status until the event is no longer PENDING (Apple: wait >= 30 s between polls). */
  waitForEvent(
    eventId: string,
    options?: { pollIntervalMs?: number; timeoutMs?: number },
  ): Promise<StatusResponse>;
  associateBatched(input: ManageAssetsInput): Promise<Array<BatchEvent<ManageAssetsBatch>>>;
  disassociateBatched(input: ManageAssetsInput): Promise<Array<BatchEvent<ManageAssetsBatch>>>;
  revokeBatched(input: RevokeAssetsRequest): Promise<Array<BatchEvent<RevokeBatch>>>;
  createUsersBatched(users: ManageUserEntry[]): Promise<Array<BatchEvent<{ users: ManageUserEntry[] }>>>;
  updateUsersBatched(users: ManageUserEntry[]): Promise<Array<BatchEvent<{ users: ManageUserEntry[] }>>>;
  retireUsersBatched(users: ManageUserEntry[]): Promise<Array<BatchEvent<{ users: ManageUserEntry[] }>>>;
}

export type ManageAssetsInput = {
  assets: ManageAssetsRequest["assets"];
  clientUserIds?: readonly string[];
  serialNumbers?: readonly string[];
};

/** Per request, for the operations a caller may have to withdraw between attempts. */
export interface SendOptions {
  /**
   * Run before each attempt, retries included: throwing stops the request before that
   * attempt (the dispatcher checks it still holds the call, and its account is not being
   * deleted, so no attempt starts after a deletion's releases).
   */
  beforeAttempt?: () => Promise<void>;
}
