/**
 * The wire types of the API, taken from the API's own zod schemas (src/api/schemas.ts)
 * as their JSON input side (dates are ISO strings), so a change of the API breaks the
 * console's typecheck instead of its users. Shapes the API declares inline in a route
 * are restated here, next to the route they mirror.
 */
import type { z } from "zod";
import type { problemSchema } from "../../../src/api/problem";
import type {
  accountDeletedSchema,
  accountDeletionPreviewSchema,
  accountSchema,
  activitySchema,
  addedAccountSchema,
  appleWorkSchema,
  appRowSchema,
  assetSchema,
  decisionSchema,
  deliverySummarySchema,
  deviceSchema,
  groupSchema,
  licenseRowSchema,
  notificationDeliverySchema,
  notificationSchema,
  resendResultSchema,
  spaceSchema,
  subjectRuleSchema,
  userSchema,
  waitingRowSchema,
} from "../../../src/api/schemas";

export type Problem = z.input<typeof problemSchema>;
export type Space = z.input<typeof spaceSchema>;
export type Role = "manage" | "read";
/** An API token's role: an administrator's, or "mdm" (the MDM integration's routes only). */
export type TokenRole = Role | "mdm";
export type SpaceWithRole = Space & { role: Role };
export type Account = z.input<typeof accountSchema>;
/** UB2: the users list's `registration` filter. */
export type { RegistrationFilter } from "../../../src/store/registration";
/** AC1's answer: `firstImport` says whether the import from Apple that follows finished. */
export type AddedAccount = z.input<typeof addedAccountSchema>;
/** AC5: what deleting the account takes with it. */
export type AccountDeletionPreview = z.input<typeof accountDeletionPreviewSchema>;
/** AC5: what the deletion did; `stillAtApple` licenses are left for Apple Business Manager. */
export type AccountDeleted = z.input<typeof accountDeletedSchema>;
export type Asset = z.input<typeof assetSchema>;
export type AppRow = z.input<typeof appRowSchema>;
/** DB2, UB3: a request in an app's waiting queue. */
export type WaitingRequest = z.input<typeof waitingRowSchema>;
export type License = z.input<typeof licenseRowSchema>;
export type LicenseType = License["type"];
export type LicenseState = License["state"];
export type User = z.input<typeof userSchema>;
export type Device = z.input<typeof deviceSchema>;
export type Group = z.input<typeof groupSchema>;
export type Notification = z.input<typeof notificationSchema>;
/** A notification's delivery to one channel (webhook, e-mail), with the notification it carries. */
export type NotificationDelivery = z.input<typeof notificationDeliverySchema>;
export type DeliveryState = NotificationDelivery["state"];
/** GET …/notifications/deliveries/summary. */
export type DeliverySummary = z.input<typeof deliverySummarySchema>;
export type ChannelDeliveries = DeliverySummary["channels"][number];
/** POST …/notifications/deliveries/retry. */
export type ResendResult = z.input<typeof resendResultSchema>;
export type ActivityEntry = z.input<typeof activitySchema>;
/** GET users/:id/rules, devices/:id/rules: a license rule naming the subject. */
export type SubjectRule = z.input<typeof subjectRuleSchema>;
export type Decision = z.input<typeof decisionSchema>;
export type AccountHealth = string;
/** GET .../accounts/:accountId/apple-work: what the account still owes Apple (invariant 3, NT2). */
export type AppleWork = z.input<typeof appleWorkSchema>;
export type OutboxKind = AppleWork["pending"]["byKind"][number]["kind"];

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  pageSize: number;
}
export interface Items<T> {
  items: T[];
}

/** Query of every paged list view (src/api/schemas.ts `pageQuery`). */
export interface PageQuery {
  page: number;
  pageSize: number;
  sort?: string;
  order: "asc" | "desc";
  q?: string;
}

/** GET /auth/me (src/api/routes/auth.routes.ts). */
export interface Me {
  kind: "admin" | "api_token";
  id: string;
  name: string;
  isOwner: boolean;
  grants: { spaceId: string; role: TokenRole }[];
  /** An administrator's: where notification e-mails reach them (NT3). */
  email?: string;
  /** An administrator's: they receive their spaces' notifications by e-mail (NT3). */
  notifyByEmail?: boolean;
  /** An administrator's: the language they read Orchard in, their notification e-mails' too. */
  language?: "en" | "fr";
  /** This server sends notification e-mails at all (SMTP_URL and NOTIFY_EMAIL_FROM). */
  emailNotifications: boolean;
}

/** GET/POST /auth/tokens (src/api/routes/auth.routes.ts `tokenSchema`). */
export interface ApiToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
  /** Refused from then on; absent: until revoked. */
  expiresAt?: string;
  expired: boolean;
  grants: { spaceId: string; role: TokenRole }[];
}
export type IssuedApiToken = ApiToken & { token: string };

/** A role in one space (PM1). */
export interface Grant {
  spaceId: string;
  role: Role;
}
/** GET/POST /admins, PUT /admins/:adminId/grants (src/api/routes/auth.routes.ts `adminSchema`). */
export interface Administrator {
  id: string;
  login: string;
  displayName: string;
  isOwner: boolean;
  createdAt: string;
  /** Single sign-on: linked to the provider's account of their first sign-in. */
  ssoLinked: boolean;
  /** OIDC_GROUP_ROLES: roles from the identity provider's groups, set at each sign-in. */
  ssoManaged: boolean;
  /** Cannot sign in; the API tokens they created stop (PATCH disabled). */
  disabled: boolean;
  /** When a session of theirs last opened; absent if never. */
  lastSignInAt?: string;
  /** Where notification e-mails reach them; single sign-on sets it from the provider's `email` claim. */
  email?: string;
  /** NT3: they receive the notifications of the spaces they hold a role in by e-mail (needs `email`). */
  notifyByEmail: boolean;
  grants: Grant[];
}
/** GET /admins/password-rules: what a new password must be, as the server says. */
export interface PasswordRules {
  minLength: number;
  maxLength: number;
}

/** GET/PUT .../accounts/:accountId/apps/:adamId/rules (src/api/routes/apps.routes.ts). */
export interface AppRules {
  fcfs?: { groups: Named[]; requestedType: LicenseType; mandatoryType: LicenseType };
  reservedUsers: Named[];
  reservedDevices: { id: string; serialNumber: string }[];
  prohibitedUsers: Named[];
  /** Their version (the ETag): a change naming it (If-Match) is refused once they changed. */
  version: string;
}
export interface Named {
  id: string;
  name: string;
}
export interface AppRulesInput {
  fcfs?: { groupIds: string[]; requestedType: LicenseType; mandatoryType: LicenseType };
  reservedUserIds: string[];
  reservedDeviceIds: string[];
  prohibitedUserIds: string[];
}
/** Rules an edit starts from, with their version when they were read (none: the app has no rules to read). */
export type RulesBase = AppRulesInput & { version?: string };

export interface RuleSentence {
  id: string;
  sentence: string;
}
