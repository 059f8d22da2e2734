import type { Migration } from "kysely";
import { initial } from "./0001_initial.js";
import { sync } from "./0002_sync.js";
import { auth } from "./0003_auth.js";
import { mdm } from "./0004_mdm.js";
import { appVersions } from "./0005_app_versions.js";
import { outboxClaims } from "./0006_outbox_claims.js";
import { appMetadata } from "./0007_app_metadata.js";
import { distributionExclusions } from "./0008_distribution_exclusions.js";
import { licenseHotUpdates } from "./0009_license_hot_updates.js";
import { appleCalls } from "./0010_apple_calls.js";
import { outboxOpenReleases } from "./0011_outbox_open_releases.js";
import { appleRequestWindows } from "./0012_apple_request_windows.js";
import { mdmCommandsAwaitingLicense } from "./0013_mdm_commands_awaiting_license.js";
import { outboxPendingByAccount } from "./0014_outbox_pending_by_account.js";
import { licenseRequestedAt } from "./0015_license_requested_at.js";
import { licenseRequestSubject } from "./0016_license_request_subject.js";
import { mdmCommandsPendingBySpace } from "./0017_mdm_commands_pending_by_space.js";
import { accountDeleting } from "./0018_account_deleting.js";
import { activityMessageKey } from "./0019_activity_message_key.js";
import { notificationMessageKey } from "./0020_notification_message_key.js";
import { assetCurrency } from "./0021_asset_currency.js";
import { notificationDeliveries } from "./0022_notification_deliveries.js";
import { notificationDeliveryFailures } from "./0023_notification_delivery_failures.js";
import { deviceUnenrolled } from "./0024_device_unenrolled.js";
import { allUsersRestored } from "./0025_all_users_restored.js";
import { deviceSerials } from "./0026_device_serials.js";
import { idempotencyKeys } from "./0027_idempotency_keys.js";
import { reclaimInactivity } from "./0028_reclaim_inactivity.js";
import { lookupIndexes } from "./0029_lookup_indexes.js";
import { retentionIndexes } from "./0030_retention_indexes.js";
import { outsideAssignments } from "./0031_outside_assignments.js";
import { appleRefusals } from "./0032_apple_refusals.js";
import { accountCountry } from "./0033_account_country.js";
import { invitations } from "./0034_invitations.js";
import { apiTokenScope } from "./0035_api_token_scope.js";
import { inviteCommands } from "./0036_invite_commands.js";
import { outsideSubjectKeys } from "./0037_outside_subject_keys.js";
import { associationRefusals } from "./0038_association_refusals.js";
import { queueSubjectIndexes } from "./0039_queue_subject_indexes.js";
import { failedMdmCommands } from "./0040_failed_mdm_commands.js";
import { adminSsoSubject } from "./0041_admin_sso_subject.js";
import { adminSsoManaged } from "./0042_admin_sso_managed.js";
import { sessionIdToken } from "./0043_session_id_token.js";
import { adminLastSignIn } from "./0044_admin_last_sign_in.js";
import { adminNotificationEmail } from "./0045_admin_notification_email.js";
import { adminLanguage } from "./0046_admin_language.js";
import { mdmCommandsLicenseGone } from "./0047_mdm_commands_license_gone.js";
import { idempotencyEtag } from "./0048_idempotency_etag.js";
import { activityFeed } from "./0049_activity_feed.js";
import { deviceIdentity } from "./0050_device_identity.js";

/**
 * Every migration, in order. Forward-only: never edit one that has shipped, add the
 * next. A static list (not a folder scan) so bundling and tests see the same set.
 */
export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_sync": sync,
  "0003_auth": auth,
  "0004_mdm": mdm,
  "0005_app_versions": appVersions,
  "0006_outbox_claims": outboxClaims,
  "0007_app_metadata": appMetadata,
  "0008_distribution_exclusions": distributionExclusions,
  "0009_license_hot_updates": licenseHotUpdates,
  "0010_apple_calls": appleCalls,
  "0011_outbox_open_releases": outboxOpenReleases,
  "0012_apple_request_windows": appleRequestWindows,
  "0013_mdm_commands_awaiting_license": mdmCommandsAwaitingLicense,
  "0014_outbox_pending_by_account": outboxPendingByAccount,
  "0015_license_requested_at": licenseRequestedAt,
  "0016_license_request_subject": licenseRequestSubject,
  "0017_mdm_commands_pending_by_space": mdmCommandsPendingBySpace,
  "0018_account_deleting": accountDeleting,
  "0019_activity_message_key": activityMessageKey,
  "0020_notification_message_key": notificationMessageKey,
  "0021_asset_currency": assetCurrency,
  "0022_notification_deliveries": notificationDeliveries,
  "0023_notification_delivery_failures": notificationDeliveryFailures,
  "0024_device_unenrolled": deviceUnenrolled,
  "0025_all_users_restored": allUsersRestored,
  "0026_device_serials": deviceSerials(),
  "0027_idempotency_keys": idempotencyKeys,
  "0028_reclaim_inactivity": reclaimInactivity,
  "0029_lookup_indexes": lookupIndexes,
  "0030_retention_indexes": retentionIndexes,
  "0031_outside_assignments": outsideAssignments,
  "0032_apple_refusals": appleRefusals,
  "0033_account_country": accountCountry,
  "0034_invitations": invitations,
  "0035_api_token_scope": apiTokenScope,
  "0036_invite_commands": inviteCommands,
  "0037_outside_subject_keys": outsideSubjectKeys,
  "0038_association_refusals": associationRefusals,
  "0039_queue_subject_indexes": queueSubjectIndexes,
  "0040_failed_mdm_commands": failedMdmCommands,
  "0041_admin_sso_subject": adminSsoSubject,
  "0042_admin_sso_managed": adminSsoManaged,
  "0043_session_id_token": sessionIdToken,
  "0044_admin_last_sign_in": adminLastSignIn,
  "0045_admin_notification_email": adminNotificationEmail,
  "0046_admin_language": adminLanguage,
  "0047_mdm_commands_license_gone": mdmCommandsLicenseGone,
  "0048_idempotency_etag": idempotencyEtag,
  "0049_activity_feed": activityFeed,
  "0050_device_identity": deviceIdentity(),
};
