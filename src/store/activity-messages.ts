/**
 * The catalogue of activity-log messages. A writer names a message by its key and named
 * params; the store keeps both, and the English text rendered here, so that the API, the
 * CLI, the CSV export and older clients still read a sentence, while the console renders
 * the key in its own language (web/src/i18n/*.json `activityMessages`, checked against this
 * catalogue by test/web/activity-messages-i18n.test.ts).
 *
 * A key is never renamed nor its params changed once written: old rows keep it. A new
 * wording is a new key. Params hold data only (numbers, ids, names, enum values, Apple's
 * own words), never English the console would have to show as is.
 */

/** A param's value: what a jsonb column keeps and i18next interpolates. */
export type ActivityParamValue = string | number;

/**
 * What one sync read and did (sync.ts), for an incremental sync and a full resync alike.
 * A type, not an interface: params must fit `Record<string, ActivityParamValue>`.
 */
export type SyncCounts = {
  apps: number;
  newApps: number;
  countsChanged: number;
  assignments: number;
  outside: number;
  confirmed: number;
  releasedOutside: number;
  users: number;
  enrolled: number;
  served: number;
};

const syncFigures = (p: SyncCounts) =>
  [
    `${p.apps} apps (${p.newApps} new, ${p.countsChanged} counts changed)`,
    `${p.assignments} assignments read (${p.outside} outside Orchard, ${p.confirmed} confirmed, ${p.releasedOutside} released outside)`,
    `${p.users} users read (${p.enrolled} newly enrolled)`,
    `${p.served} waiting requests served`,
  ].join("; ");

/** Each key's English text: a constant, or a function of the key's params. */
export const ACTIVITY_MESSAGES = {
  // Licenses (license-state.ts, allocation.ts, sync-licenses.repo.ts, sync/).
  "license.granted_user": "user-based license granted, assignment queued for Apple",
  "license.granted_user_reserved": "user-based reserved license granted, assignment queued for Apple",
  "license.granted_device": "device-based license granted, assignment queued for Apple",
  "license.granted_device_reserved": "device-based reserved license granted, assignment queued for Apple",
  "license.assigned": "assigned at Apple",
  "license.apple_refused": (p: { reason: string }) => `Apple refused: ${p.reason}`,
  "license.release_queued": "release queued for Apple",
  "license.released_unsent": "released before its assignment reached Apple: nothing to release there",
  // RV2, RV4: an administrator's revocation (one license, or every license of an app).
  "license.revoke_queued": "revoked: release queued for Apple",
  "license.revoked_unsent": "revoked before its assignment reached Apple: nothing to release there",
  "license.released": "released at Apple",
  "license.grace_ended": "grace ended",
  "license.released_outside": "Apple no longer holds this assignment (released outside Orchard)",
  // Refusals of Apple's an administrator acted on (apple-refusals.repo.ts); `reason` is
  // Apple's error as the operation kept it ("9706 Asset in request is not revocable…").
  "license.request_retried": (p: { reason: string }) =>
    `sent again after Apple's refusal (${p.reason}): waits for its turn`,
  "license.release_retried": (p: { reason: string }) =>
    `release sent to Apple again after its refusal (${p.reason})`,
  "license.release_abandoned": (p: { reason: string }) =>
    `released here: Apple refused the release (${p.reason}) and an administrator abandoned it`,
  "license.release_refused_gone": (p: { reason: string }) =>
    `Apple refused the release (${p.reason}) but no longer holds this assignment: released`,
  "license.cleared_other_location":
    "the account moved to another location: this license belonged to the previous one",
  "license.account_deleted_released":
    "account deleted: released at Apple; the user has 30 days to move the app to their own Apple Account",
  "license.account_deleted_token_problem": "account deleted: could not release at Apple (token problem)",
  "license.account_deleted_granted_meanwhile":
    "account deleted: granted during the deletion, could not be released at Apple",
  // Reclaim of licenses held by inactive subjects (service/reclaim.ts); `since` is a day, YYYY-MM-DD.
  "license.reclaimed_device_inactive": (p: { since: string }) =>
    `reclaimed: device inactive since ${p.since}`,
  "license.reclaimed_user_inactive": (p: { since: string }) => `reclaimed: user inactive since ${p.since}`,
  // AC7: an assignment made outside Orchard taken on as Orchard's license (sync/adopt.ts).
  "license.adopted": "adopted: Apple already held this assignment, made outside Orchard",
  "license.adopted_prohibited":
    "adopted: Apple already held this assignment, made outside Orchard; the user is prohibited for this app in this account: revoke the license to apply the rule",
  // Waits that left the queue by a decision (stale-waits.repo.ts): their reason went, or an administrator cancelled them.
  "queue.left_not_mandatory": 'left the queue: the app is no longer mandatory ("Install on device" is off)',
  "queue.left_catalog": "left the queue: the app is no longer in the catalog",
  "queue.left_check_in":
    "left the queue: the device's check-in no longer asks for the app (not mandatory, not installed)",
  "queue.cancelled": "waiting request cancelled by an administrator: left the queue",
  // Waits that left with their subject (stale-waits.repo.ts removeWaitsOfGoneSubject).
  "queue.left_device_retired": "left the queue: the device was retired",
  "queue.left_device_wiped": "left the queue: the device was wiped",
  "queue.left_device_inactive": "left the queue: the device went inactive",
  "queue.left_device_unenrolled": "left the queue: the device was unenrolled (MDM profile removed)",
  "queue.left_user_deleted": "left the queue: the user was deleted",
  // Accounts (sync/accounts.ts, account-apple.ts, account-update.ts, sync.ts, health.ts).
  "account.added": (p: { name: string }) => `account ${p.name} added`,
  "account.updated": (p: { name: string }) => `account ${p.name} updated`,
  "account.deleted": (p: { name: string }) => `account ${p.name} deleted`,
  "account.priority_changed": (p: { from: number; to: number }) =>
    `priority ${p.from} -> ${p.to}; no license moved`,
  "account.cleared": (p: { released: number }) => `${p.released} assignments released at Apple`,
  "account.synced": (p: SyncCounts) => `sync: ${syncFigures(p)}`,
  "account.resynced": (p: SyncCounts) => `full resync: ${syncFigures(p)}`,
  /**
   * NT2. `issue` is the account's health (the console words it: `health.<issue>`);
   * `title` and `remedy` are sync/health.ts TOKEN_ISSUES' English, for the stored text.
   */
  "account.token_issue": (p: { issue: string; title: string; remedy: string }) => `${p.title}: ${p.remedy}`,
  "account.token_healthy": "token healthy again; operations resumed",
  "account.adopted": (p: { adopted: number; prohibited: number }) =>
    `${p.adopted} assignments made outside Orchard adopted as licenses (${p.prohibited} of them prohibited)`,
  // Assignments made outside Orchard released at Apple by an administrator (outside-assignments.repo.ts);
  // `subject` is Apple's serial number or clientUserId.
  "outside.release_queued": (p: { subject: string }) =>
    `assignment made outside Orchard (${p.subject}): release queued for Apple`,
  // "Release all": one line for the whole list (outside-release-all.ts).
  "outside.release_all_queued": (p: { requested: number; already: number }) =>
    `release of every assignment made outside Orchard: ${p.requested} queued for Apple, ${p.already} already on their way`,
  "outside.released": (p: { subject: string }) =>
    `assignment made outside Orchard (${p.subject}): released at Apple`,
  "outside.release_failed": (p: { subject: string; reason: string }) =>
    `assignment made outside Orchard (${p.subject}): Apple refused to release it: ${p.reason}`,
  // Catalog, users, rules (mdm/, rules.repo.ts).
  "catalog.install_on_device": (p: { updateMode: string }) => `install on device, updates ${p.updateMode}`,
  "catalog.available": (p: { updateMode: string }) => `available, updates ${p.updateMode}`,
  "catalog.delegated": (p: { from: string }) => `delegated from ${p.from}`,
  "user.invited": "invited to Apps and Books",
  // UB2: Apple answered 9609 to a user's association (unknown-users.repo.ts); `reason` is Apple's error.
  "user.registered_again": (p: { reason: string }) =>
    `Apple did not know the user (${p.reason}): registered again at Apple; the assignment is sent again once`,
  "rules.set": (p: { groups: number; reservations: number; prohibited: number }) =>
    `license rules set: ${p.groups} FCFS groups, ${p.reservations} reservations, ${p.prohibited} prohibited`,
  "rules.group_deleted": (p: { group: string; groups: number }) =>
    `group ${p.group} deleted: removed from the FCFS groups (${p.groups} left)`,
  // Groups (group.repo.ts).
  "group.created": (p: { name: string }) => `group ${p.name} created`,
  "group.renamed": (p: { from: string; name: string }) => `group ${p.from} renamed ${p.name}`,
  "group.members_added": (p: { name: string; count: number }) =>
    `members added to group ${p.name}: ${p.count}`,
  "group.members_removed": (p: { name: string; count: number }) =>
    `members removed from group ${p.name}: ${p.count}`,
  "group.deleted": (p: { name: string }) => `group ${p.name} deleted`,
  "group.deleted_from_rules": (p: { name: string; rules: number }) =>
    `group ${p.name} deleted and removed from the FCFS groups of ${p.rules} license rules`,
  // MDM events (mdm-events.repo.ts): one key per event kind that is logged.
  "mdm.device_retired": "device retired",
  "mdm.device_wiped": "device wiped",
  "mdm.device_inactive": "device inactive",
  "mdm.mdm_profile_removed": "mdm profile removed",
  "mdm.user_deleted": "user deleted",
  "mdm.app_deleted": "app deleted",
  "mdm.app_undelegated": "app undelegated",
  "mdm.app_removed_from_distribution": "app removed from distribution",
  "mdm.app_added_to_distribution": "back in the user's catalog distribution",
  // A device not active set up again (device-revival.repo.ts), action `mdm.device_enrolled`.
  "mdm.device_enrolled": "device enrolled again: active",
  "device.active_at_check_in": "device active again: it checked in",
  "device.created_again": "device active again: created again with its serial number",
  // Failed MDM commands an administrator sent again (mdm-command.repo.ts).
  "command.retried": (p: { seq: number }) => `failed MDM command ${p.seq} back to pending, to be sent again`,
  "command.retry_license_not_live": (p: { seq: number }) =>
    `failed MDM command ${p.seq} cancelled instead of sent again: its license is no longer live`,
  "command.retry_superseded": (p: { seq: number; by: number }) =>
    `failed MDM command ${p.seq} cancelled instead of sent again: command ${p.by} for the same device and app is newer`,
} as const satisfies Record<string, string | ((params: never) => string)>;

type Catalogue = typeof ACTIVITY_MESSAGES;
export type ActivityMessageKey = keyof Catalogue;

/** The params a key takes: those of its function, none for a constant text. */
export type ActivityMessageParams<K extends ActivityMessageKey> = Catalogue[K] extends (
  params: infer P extends Record<string, ActivityParamValue>,
) => string
  ? P
  : Record<string, never>;

/** One message of the catalogue with its params, as a writer hands it to the store. */
export type ActivityMessage = {
  [K in ActivityMessageKey]: { key: K; params: ActivityMessageParams<K> };
}[ActivityMessageKey];

export const ACTIVITY_MESSAGE_KEYS = Object.keys(ACTIVITY_MESSAGES) as ActivityMessageKey[];

/** The message `key` with its params (none for a constant text). */
export function activityMessage<K extends ActivityMessageKey>(
  key: K,
  ...params: Catalogue[K] extends string ? [] : [ActivityMessageParams<K>]
): ActivityMessage {
  return { key, params: params[0] ?? {} } as ActivityMessage;
}

/** The English text of a message: what the `message` column keeps. */
export function renderActivityMessage(message: ActivityMessage): string {
  // The key and its params travel together (ActivityMessage), which the index cannot show the compiler.
  const text = ACTIVITY_MESSAGES[message.key] as string | ((params: ActivityMessage["params"]) => string);
  return typeof text === "string" ? text : text(message.params);
}
