/**
 * The sync engine: outbox dispatcher and event follow-up, syncs with Apple, Apple's
 * notifications, account operations (AC1-AC6), usage and token notifications (NT1, NT2),
 * grace expiry (RV3) and the waiting queue (DB2, UB3, UB4), run by `startWorker`.
 */

export { type UpdateAccountInput, updateAccount } from "./account-update.js";
export {
  type AccountResult,
  type AddAccountInput,
  addAccount,
  deleteAccount,
  type ImportFailure,
  resyncAccount,
  setAccountOrder,
  setAccountPriority,
} from "./accounts.js";
export {
  type AppleNotificationRequest,
  type AppleNotificationResult,
  handleAppleNotification,
} from "./apple-notifications.js";
export {
  emailChannel,
  type NotificationChannel,
  NotificationDeliveryError,
  notificationEmail,
  webhookChannel,
} from "./channels.js";
export {
  defaultTuning,
  type MdmCommandSink,
  makeSyncDeps,
  type OnNewVersion,
  type SyncDeps,
  type SyncDepsInput,
  type SyncLogger,
  type SyncTuning,
} from "./deps.js";
export { type DispatchReport, dispatchOnce } from "./dispatch.js";
export { SyncError, type SyncErrorCode } from "./errors.js";
export { EXPIRY_KIND, warnTokenExpiry } from "./expiry.js";
export { type FollowReport, followOnce } from "./follow.js";
export { syncDepsFromConfig } from "./from-config.js";
export { expireGracePeriods } from "./grace.js";
export { TOKEN_ISSUES, type TokenIssue, tokenIssueOf } from "./health.js";
export { compareVersions, type MetadataSummary, syncMetadata } from "./metadata.js";
export {
  ChannelNotConfiguredError,
  deliverNotifications,
  MAX_DELIVERY_ATTEMPTS,
  type ResendResult,
  resendDeliveries,
} from "./notify.js";
export { redecideEnrolledUsers, serveQueue, serveWaitingQueues } from "./queue.js";
export { type SyncMode, type SyncSummary, syncAccount } from "./sync.js";
export { evaluateUsage, USAGE_KIND } from "./usage.js";
export { type RunningWorker, startWorker, type WorkerOptions, type WorkerRound } from "./worker.js";
