import type {
  ActivityMessage,
  ActivityMessageKey,
  ActivityMessageParams,
  UpdateMode,
} from "../../src/store/index.js";
import { TOKEN_ISSUES } from "../../src/sync/index.js";

/**
 * Params for every key of the activity-log catalogue (src/store/activity-messages.ts), for
 * the tests that word each message: the console's (activity-messages-i18n.test.ts) and the
 * exports' French (test/service/activity-messages-fr.test.ts).
 */

/** Params of every key, checked by the compiler against the catalogue: a new key must be added here. */
export const SAMPLES: { [K in ActivityMessageKey]: ActivityMessageParams<K> } = {
  "license.granted_user": {},
  "license.granted_user_reserved": {},
  "license.granted_device": {},
  "license.granted_device_reserved": {},
  "license.assigned": {},
  "license.apple_refused": { reason: "9610 License not found" },
  "license.release_queued": {},
  "license.released_unsent": {},
  "license.revoke_queued": {},
  "license.revoked_unsent": {},
  "license.released": {},
  "license.grace_ended": {},
  "license.released_outside": {},
  "license.request_retried": { reason: "9635 Unable to associate the Apple Account with the user." },
  "license.release_retried": { reason: "9706 Asset in request is not revocable" },
  "license.release_abandoned": { reason: "9706 Asset in request is not revocable" },
  "license.release_refused_gone": { reason: "9602 Invalid argument." },
  "license.cleared_other_location": {},
  "license.account_deleted_released": {},
  "license.account_deleted_token_problem": {},
  "license.account_deleted_granted_meanwhile": {},
  "license.reclaimed_device_inactive": { since: "2026-01-15" },
  "license.reclaimed_user_inactive": { since: "2025-12-01" },
  "license.adopted": {},
  "license.adopted_prohibited": {},
  "queue.left_not_mandatory": {},
  "queue.left_catalog": {},
  "queue.left_check_in": {},
  "queue.cancelled": {},
  "queue.left_device_retired": {},
  "queue.left_device_wiped": {},
  "queue.left_device_inactive": {},
  "queue.left_device_unenrolled": {},
  "queue.left_user_deleted": {},
  "account.added": { name: "Paris campus" },
  "account.updated": { name: "Paris campus" },
  "account.deleted": { name: "Paris campus" },
  "account.priority_changed": { from: 2, to: 1 },
  "account.cleared": { released: 12 },
  "account.synced": syncCounts(),
  "account.resynced": syncCounts(),
  "account.token_issue": { issue: "expired", ...TOKEN_ISSUES.expired },
  "account.token_healthy": {},
  "account.adopted": { adopted: 120, prohibited: 3 },
  "outside.release_queued": { subject: "C02XK1JVJG5H" },
  "outside.release_all_queued": { requested: 120, already: 4 },
  "outside.released": { subject: "C02XK1JVJG5H" },
  "outside.release_failed": { subject: "jamf-user-42", reason: "9610 License not found" },
  "catalog.install_on_device": { updateMode: "immediate" },
  "catalog.available": { updateMode: "automatic" },
  "catalog.delegated": { from: "Main space" },
  "user.invited": {},
  "user.registered_again": { reason: "9609 Unable to find the registered user." },
  "rules.set": { groups: 1, reservations: 2, prohibited: 3 },
  "rules.group_deleted": { group: "Teachers", groups: 2 },
  "group.created": { name: "Teachers" },
  "group.renamed": { from: "Teachers", name: "Faculty" },
  "group.members_added": { name: "Teachers", count: 12 },
  "group.members_removed": { name: "Teachers", count: 3 },
  "group.deleted": { name: "Teachers" },
  "group.deleted_from_rules": { name: "Teachers", rules: 4 },
  "mdm.device_retired": {},
  "mdm.device_wiped": {},
  "mdm.device_inactive": {},
  "mdm.mdm_profile_removed": {},
  "mdm.user_deleted": {},
  "mdm.app_deleted": {},
  "mdm.app_undelegated": {},
  "mdm.app_removed_from_distribution": {},
  "mdm.app_added_to_distribution": {},
  "mdm.device_enrolled": {},
  "device.active_at_check_in": {},
  "device.created_again": {},
  "command.retried": { seq: 41 },
  "command.retry_license_not_live": { seq: 42 },
  "command.retry_superseded": { seq: 43, by: 47 },
};

function syncCounts() {
  return {
    apps: 101,
    newApps: 102,
    countsChanged: 103,
    assignments: 104,
    outside: 105,
    confirmed: 106,
    releasedOutside: 107,
    users: 108,
    enrolled: 109,
    served: 110,
  };
}

/** Every value an enumerated param takes: the console words each through `$t(...)`; one message per value. */
const UPDATE_MODES: UpdateMode[] = ["immediate", "automatic"];
export function variants(key: ActivityMessageKey): ActivityMessage[] {
  const one = (params: object) => ({ key, params }) as ActivityMessage;
  if (key === "account.token_issue")
    return Object.entries(TOKEN_ISSUES).map(([issue, text]) => one({ issue, ...text }));
  if (key === "catalog.install_on_device" || key === "catalog.available")
    return UPDATE_MODES.map((updateMode) => one({ updateMode }));
  return [one(SAMPLES[key])];
}
