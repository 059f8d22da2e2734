/**
 * Every `action` an activity-log line can have: what kind of change it records (the
 * console's Action column and filter, the licenses view's "last action"). The message
 * (activity-messages.ts) says what happened; the action is the change's kind, so one
 * action takes several messages (`license.granted` is written with four).
 *
 * The console words each action (web/src/i18n/*.json `actions`):
 * test/web/activity-actions-i18n.test.ts checks that each has English and French words,
 * and that every action the source writes is listed here. An action is never renamed once
 * written: old rows keep it.
 */
export const ACTIVITY_ACTIONS = [
  // Licenses (allocation.ts, license-state.ts, sync-licenses.repo.ts, sync/).
  "license.granted",
  "license.assigned",
  "license.assign_failed",
  "license.release_requested",
  "license.released",
  "license.grace_ended",
  "license.released_outside",
  "license.cleared",
  "license.reclaimed",
  "license.adopted",
  // An administrator's answer to Apple's refusals (apple-refusals.repo.ts).
  "license.release_abandoned",
  "license.request_retried",
  // A wait that left the queue (stale-waits.repo.ts): its reason went, or an administrator cancelled it.
  "queue.left",
  "queue.cancelled",
  // Accounts (sync/accounts.ts, account-apple.ts, account-update.ts, sync.ts, health.ts).
  "account.added",
  "account.updated",
  "account.deleted",
  "account.priority_changed",
  "account.cleared",
  "account.synced",
  "account.resynced",
  "account.health",
  "account.adopted",
  // Assignments made outside Orchard (outside-assignments.repo.ts).
  "outside.release_requested",
  "outside.released",
  "outside.release_failed",
  // Catalog, users, rules (mdm/, rules.repo.ts).
  "catalog.added",
  "catalog.updated",
  "catalog.delegated",
  "user.invited",
  "rules.updated",
  // Groups (group.repo.ts).
  "group.created",
  "group.renamed",
  "group.members_changed",
  "group.deleted",
  // MDM events (mdm-events.repo.ts: `mdm.<event kind>`).
  "mdm.device_retired",
  "mdm.device_wiped",
  "mdm.device_inactive",
  "mdm.mdm_profile_removed",
  // A device not active set up again (device-revival.repo.ts): enrolled, checked in, created again.
  "mdm.device_enrolled",
  "mdm.user_deleted",
  "mdm.app_deleted",
  "mdm.app_undelegated",
  "mdm.app_removed_from_distribution",
  "mdm.app_added_to_distribution",
  // Failed MDM commands an administrator sent again (mdm-command.repo.ts).
  "command.retried",
  "command.cancelled",
] as const;

export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];
