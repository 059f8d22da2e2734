/**
 * The store: schema, migrations, repositories and the allocation that cannot
 * overcommit, over PostgreSQL (`pg`) or embedded PGlite with one SQL dialect.
 * Every function takes the database handle (or an open transaction) first.
 */

export {
  type Account,
  checkAccountOrder,
  createAccount,
  findAccount,
  getAccount,
  listAccounts,
  type NewAccount,
  recordSync,
  replaceSToken,
  revealSToken,
  setAccountHealth,
  setAccountOrder,
  setAccountPriority,
} from "./account.repo.js";
export type { AccountHealth, MdmInfo, UpdateMode } from "./account.table.js";
export { type ActivityEntry, type ActivityRecord, appendActivity, listActivity } from "./activity.repo.js";
export { ACTIVITY_ACTIONS, type ActivityAction } from "./activity-actions.js";
export {
  ACTIVITY_MESSAGE_KEYS,
  type ActivityMessage,
  type ActivityMessageKey,
  type ActivityMessageParams,
  type ActivityParamValue,
  activityMessage,
  renderActivityMessage,
  type SyncCounts,
} from "./activity-messages.js";
export {
  type AllocationInput,
  type AllocationResult,
  DIRECT_CALL_SUBJECTS,
  requestLicenses,
} from "./allocation.js";
export { type AccountAppleWork, appleWorkOfAccount, appleWorkOfSpace } from "./apple-work.repo.js";
export {
  type AssetInput,
  type AssetRecord,
  type CatalogApp,
  findAsset,
  findCatalogApp,
  getAppOfSpace,
  getAsset,
  listAssetsForApp,
  listAssetsOfAccount,
  setCatalogApp,
  upsertAsset,
} from "./asset.repo.js";
export {
  decryptSecret,
  encryptSecret,
  type KeyRing,
  makeKeyRing,
  needsReseal,
  parseSecretKey,
  type SecretKey,
} from "./crypto.js";
export { type Database, type Db, type Trx, withTransaction } from "./database.js";
export {
  createDevice,
  createDevices,
  type DeviceRecord,
  findDevice,
  findDeviceBySerial,
  getDevice,
  type InstalledApp,
  listInstalledApps,
  type NewDevice,
  recordCheckIn,
  replaceInstalledApps,
  setDeviceStatus,
} from "./device.repo.js";
export { type Entity, NotFoundError, StoreError, type StoreErrorCode } from "./errors.js";
export {
  ALL_USERS_NAME,
  addGroupMembers,
  createGroup,
  type DeleteGroupResult,
  deleteGroup,
  ensureAllUsersGroup,
  findGroup,
  type Group,
  getGroup,
  isBuiltInGroup,
  logGroupChange,
  removeGroupMembers,
  rulesUsingGroup,
} from "./group.repo.js";
export { loadKeyRing } from "./key-file.js";
export {
  countSeatsHeld,
  findLicense,
  getLicense,
  insertLicenses,
  type LicenseRecord,
  listLicensesForApp,
  type NewLicense,
} from "./license.repo.js";
export type { ActorKind, OutboxKind, OutboxState, Severity } from "./license.table.js";
export { OUTBOX_KINDS } from "./license.table.js";
export {
  expireGrace,
  failAssignment,
  markAssigned,
  markReleased,
  releaseLicenses,
} from "./license-state.js";
export { migrate } from "./migrate.js";
export {
  acknowledgeNotification,
  acknowledgeNotifications,
  clearNotifications,
  type FoldedNotification,
  findNotificationView,
  listNotifications,
  listNotificationsView,
  type NewNotification,
  type Notification,
  type NotificationFilter,
  type NotificationView,
  raiseNotification,
  USAGE_KIND,
} from "./notification.repo.js";
export {
  NOTIFICATION_MESSAGE_KEYS,
  type NotificationMessage,
  type NotificationMessageKey,
  type NotificationMessageParams,
  type NotificationParamValue,
  notificationMessage,
  renderNotificationRemedy,
  renderNotificationTitle,
  TOKEN_ISSUE_KINDS,
  TOKEN_ISSUES,
  type TokenIssue,
  tokenIssueKind,
} from "./notification-messages.js";
export { openDatabase, type Store, type StoreConfig } from "./open.js";
export {
  appendOutbox,
  listOutbox,
  type OutboxEntry,
  type OutboxRecord,
} from "./outbox.repo.js";
export { listWaitingRequests } from "./queue.repo.js";
export {
  type GroupRuleUse,
  getAppRules,
  loadRulesForApp,
  type RulesInput,
  rulesVersion,
  setAppRules,
} from "./rules.repo.js";
export { type FreedSeats, onSeatsFreed } from "./seats.js";
export {
  createSpace,
  DEFAULT_SPACE_ALIAS,
  findDefaultSpace,
  findSpace,
  getSpace,
  listSpaces,
  type NewSpace,
  renameSpace,
  type Space,
  setAppsAndBooksEnabled,
  setRegisterWaitingUsers,
  setSendInvitationsToDevices,
} from "./space.repo.js";
export type { AppleUserStatus, DeviceStatus } from "./space.table.js";
export type { Actor } from "./sql-helpers.js";
export {
  createUser,
  createUsers,
  findUser,
  getUser,
  getUsers,
  type NewUser,
  setAppleStatus,
  type UserRecord,
} from "./user.repo.js";
export { loadDecisionWorld, loadDecisionWorlds, loadWorldSnapshot, worldFor } from "./world.js";
