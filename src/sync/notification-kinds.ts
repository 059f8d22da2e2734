import { REFUSALS_KIND } from "../store/apple-refusals.repo.js";
import { USAGE_KIND } from "../store/notification.repo.js";
import { TOKEN_ISSUE_KINDS } from "../store/notification-messages.js";
import { EXPIRY_KIND } from "./expiry.js";

/**
 * Every kind of notification Orchard raises (NT1 usage, NT2 token problems and expiry, MA2
 * Apple's refusals): the list's `kind` filter takes these, so that a misspelt one is a 400,
 * not an empty list read as "nothing to worry about".
 */
export const NOTIFICATION_KINDS: readonly [string, ...string[]] = [
  USAGE_KIND,
  EXPIRY_KIND,
  REFUSALS_KIND,
  ...TOKEN_ISSUE_KINDS,
];
