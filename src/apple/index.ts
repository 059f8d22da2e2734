/** Public surface of the Apple Apps and Books for Organizations client. */
export {
  chunk,
  type ManageAssetsBatch,
  planManageAssets,
  planRevoke,
  planUsers,
  type RevokeBatch,
} from "./batch.js";
export { createAppleClient } from "./client.js";
export type {
  AppleClient,
  AppleClientOptions,
  AssetFilters,
  AssignmentFilters,
  BatchEvent,
  ClientConfigResult,
  ClientConfigSettings,
  ManageAssetsInput,
  Ownership,
  SendOptions,
  UserFilters,
} from "./client.types.js";
export {
  AppleApiError,
  AppleBatchError,
  type AppleErrorKind,
  AppleErrorNumber,
  AppleProtocolError,
  AppleTransportError,
  classifyAppleError,
  TokenOwnedByOtherMdmError,
  type TokenProblem,
} from "./errors.js";
export { type EventOutcomes, eventOutcomes, type SubjectFailure, type SubjectRef } from "./event-status.js";
export type { AppleAttempt, AppleLogger, FetchLike, ResponseEnvelope } from "./http.js";
export {
  type AppMetadata,
  type LookedUp,
  type LookupOptions,
  lookupApps,
  MAX_LOOKUP_IDS,
  type NotInStore,
} from "./metadata.js";
export { isAuthenticNotification, type ParsedNotification, parseNotification } from "./notifications.js";
export type { Page } from "./paging.js";
export { platformsFromApple } from "./platforms.js";
export { createRateLimiter, type RateLimiter } from "./rate-limit.js";
export { backoffDelayMs, defaultRetryPolicy, parseRetryAfter, type RetryPolicy } from "./retry.js";
export { type AppleLimits, documentedLimits, limitsOf } from "./service-config.js";
export { parseAppleDate, parseSToken, SToken, STokenError, type STokenErrorCode } from "./stoken.js";
export type {
  Asset,
  AssetCountNotification,
  AssetManagementNotification,
  AssetRef,
  Assignment,
  ClientConfigRequest,
  ClientConfigResponse,
  ErrorInfo,
  ErrorResponse,
  EventResponse,
  EventStatus,
  EventType,
  GetAssetsResponse,
  GetAssignmentsResponse,
  GetUsersResponse,
  ManageAssetsRequest,
  ManageUserEntry,
  ManageUsersRequest,
  MdmInfo,
  Notification,
  NotificationType,
  RevokeAssetsRequest,
  ServiceConfigLimits,
  ServiceConfigResponse,
  StatusResponse,
  TestNotification,
  User,
  UserAssociatedNotification,
  UserManagementNotification,
  UserStatus,
} from "./wire.js";
export { notification as notificationSchema } from "./wire.js";
