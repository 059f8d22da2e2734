/**
 * The catalogue of notification messages (NT1, NT2), as activity-messages.ts is the
 * activity log's. A writer names a message by its key and named params; the store keeps
 * both beside the English title (and the English remedy in `details.remedy`), so the API,
 * the CLI, the webhook and the e-mail still read sentences, while the console words the
 * title and the remedy in its own language (web/src/i18n/*.json `notificationMessages`,
 * checked against this catalogue by test/web/notification-messages-i18n.test.ts).
 *
 * A key is never renamed nor its params changed once written: old rows keep it. Params
 * hold data only (numbers, names, enum values). A message whose words vary with a number
 * names that number `count`: the console picks its plural form with it (i18next `_one`,
 * `_other`), and the English here does the same.
 */
import type { AccountHealth } from "./account.table.js";

/** A param's value: what a jsonb column keeps and i18next interpolates. */
export type NotificationParamValue = string | number;

/** A token problem that pauses an account (NT2): its health, minus the states that are not problems. */
export type TokenIssue = Exclude<AccountHealth, "ok" | "paused" | "deleting">;

/** What the admin sees of a token problem, and the fix to apply (NT2), in English. */
export const TOKEN_ISSUES: Record<TokenIssue, { title: string; remedy: string }> = {
  invalid: { title: "Invalid token", remedy: "Upload a valid sToken for this account." },
  expired: {
    title: "Token expired",
    remedy:
      "Generate a new token from your organisation's Apple account (Apple Business or School Manager > Settings > Apps and Books) and upload it.",
  },
  revoked: {
    title: "Token revoked",
    remedy: "The token was revoked in Apple Business or School Manager: upload a valid token.",
  },
  login_required: {
    title: "Sign-in required",
    remedy:
      "Sign in to the Apps and Books service (Apple Business or School Manager) and accept any new terms.",
  },
  other_mdm: {
    title: "Token managed by another MDM",
    remedy:
      "Another MDM now manages this location: take the token over (explicit confirmation) or delete the account.",
  },
  location_changed: {
    title: "Token of another location",
    remedy:
      "The token now answers for another location: upload this location's token, or update the account with 'Clear all previous license data'.",
  },
  duplicate: {
    title: "Location uploaded twice",
    remedy: "This location's token is used by another account too: delete one of the two accounts.",
  },
};

/** The kind of a token problem's notification (NT2): `token_revoked`, `token_expired`… */
export const tokenIssueKind = (issue: TokenIssue): string => `token_${issue}`;

/** Every token problem's notification kind. */
export const TOKEN_ISSUE_KINDS: readonly string[] = (Object.keys(TOKEN_ISSUES) as TokenIssue[]).map(
  tokenIssueKind,
);

const plural = (count: number, one: string, other: string) => `${count} ${count === 1 ? one : other}`;

/** Each key's English title, and remedy when it has one: a constant, or a function of the key's params. */
export const NOTIFICATION_MESSAGES = {
  /** NT1: `app` is the app's name (its adamId when unknown), `account` the account's display name. */
  "usage.reached": {
    title: (p: { app: string; account: string; percent: number }) =>
      `License usage of ${p.app} (${p.account}) reached ${p.percent}%`,
    remedy: (p: { app: string; account: string }) =>
      `Buy more licenses of ${p.app} for ${p.account} in Apple Business or School Manager; or free some: reclaim the licenses of inactive devices and users, or revoke those no longer needed. Requests that find no license wait in the app's waiting list, served as licenses free up.`,
  },
  /** NT2: `count` days left, rounded up. */
  "token.expiring": {
    title: (p: { account: string; count: number }) =>
      `The token of ${p.account} expires in ${plural(p.count, "day", "days")}`,
    remedy: "Generate a new token in Apple Business or School Manager and update the account.",
  },
  /** NT2: the console words `issue` with its own words for the account's health (`health.<issue>`). */
  "token.issue": {
    title: (p: { issue: TokenIssue; account: string }) => `${TOKEN_ISSUES[p.issue].title}: ${p.account}`,
    remedy: (p: { issue: TokenIssue; account: string }) => TOKEN_ISSUES[p.issue].remedy,
  },
  /**
   * DB2, RV1-RV5: Apple refused assignments or releases of the app for good (not 9709);
   * raised once per (account, app), cleared when none is left (sync/refusals.ts).
   */
  "apple.refused": {
    title: (p: { app: string; account: string }) => `Apple refused operations for ${p.app} (${p.account})`,
    remedy:
      "Requests Apple refused wait in the app's waiting list, and releases it refused in the account's Apple work, each with Apple's reason. Fix the cause at Apple or in the MDM, then send them again; a release can also be abandoned when the license is gone at Apple.",
  },
} as const satisfies Record<
  string,
  { title: string | ((params: never) => string); remedy?: string | ((params: never) => string) }
>;

type Catalogue = typeof NOTIFICATION_MESSAGES;
export type NotificationMessageKey = keyof Catalogue;

/** The params a key takes: those of its title's function, none for a constant title. */
export type NotificationMessageParams<K extends NotificationMessageKey> = Catalogue[K]["title"] extends (
  params: infer P extends Record<string, NotificationParamValue>,
) => string
  ? P
  : Record<string, never>;

/** One message of the catalogue with its params, as a writer hands it to the store. */
export type NotificationMessage = {
  [K in NotificationMessageKey]: { key: K; params: NotificationMessageParams<K> };
}[NotificationMessageKey];

export const NOTIFICATION_MESSAGE_KEYS = Object.keys(NOTIFICATION_MESSAGES) as NotificationMessageKey[];

/** The message `key` with its params. */
export function notificationMessage<K extends NotificationMessageKey>(
  key: K,
  params: NotificationMessageParams<K>,
): NotificationMessage {
  return { key, params } as NotificationMessage;
}

type Text = string | ((params: NotificationMessage["params"]) => string) | undefined;
const render = (text: Text, params: NotificationMessage["params"]) =>
  typeof text === "function" ? text(params) : text;

/** The English title of a message: what the `title` column keeps. */
export function renderNotificationTitle(message: NotificationMessage): string {
  // The key and its params travel together (NotificationMessage), which the index cannot show the compiler.
  return render(NOTIFICATION_MESSAGES[message.key].title as Text, message.params) ?? "";
}

/** The English remedy of a message, if it has one: what `details.remedy` keeps. */
export function renderNotificationRemedy(message: NotificationMessage): string | undefined {
  const entry = NOTIFICATION_MESSAGES[message.key];
  return render(("remedy" in entry ? entry.remedy : undefined) as Text, message.params);
}
