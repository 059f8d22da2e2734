import { z } from "zod";
import { RULE_IDS } from "../licensing/index.js";
import type { AccountHealth } from "../store/account.table.js";
import { CALL_STATES } from "../store/apple-work.repo.js";
import { deviceModelInput, deviceNameInput, osVersionInput } from "../store/device-identity-input.js";
import { OUTBOX_KINDS } from "../store/license.table.js";
import { REGISTRATIONS } from "../store/registration.js";
import { serialNumberInput } from "../store/serial-number-input.js";

/**
 * Shared zod schemas of the API. Response schemas double as an allow-list: the
 * serializer keeps only the fields they name, so a secret can never ride along on a
 * domain object (invariant 5). Named ones (`.meta({ id })`) are OpenAPI components.
 */
export const dateTime = z.codec(z.iso.datetime({ offset: true }), z.date(), {
  decode: (s) => new Date(s),
  encode: (d) => d.toISOString(),
});

/**
 * A moment in a query: a date-time with its offset, or a date (YYYY-MM-DD) meaning its start
 * in UTC, as `orchard export activity --since` takes it (the activity log's `from` and `to`,
 * the lists' `updatedSince`).
 */
export const instant = z.codec(
  z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: "a date (2026-12-01, its start in UTC) or a date-time with its offset (2026-12-01T08:00:00Z)",
  }),
  z.date(),
  {
    decode: (s) => new Date(s.length === 10 ? `${s}T00:00:00Z` : s),
    encode: (d) => d.toISOString(),
  },
);

/** `text` refusing a control character (a tab, a line break, an escape, NUL): text typed on one line. */
export const withoutControlCharacters = (text: z.ZodString) =>
  text.regex(/^\P{Cc}*$/u, "no control characters");
/** An id in a path, query or body: PostgreSQL text cannot hold NUL, and no id has a control character. */
export const id = withoutControlCharacters(z.string().min(1).max(200));
/** A name a person types (a space, an account, a login): trimmed, 1-200 characters, no control characters. */
export const label = withoutControlCharacters(z.string().trim().min(1).max(200));
/** Text of a directory record (an external id, a Managed Apple ID): one line, no control characters. */
export const plainText = (max: number) => withoutControlCharacters(z.string().max(max));
/**
 * A user's or a group's id in the MDM's directory, exactly as sent; "" (what many MDMs send
 * for none) is none: never a key two users would share.
 */
export const externalIdInput = plainText(300)
  .transform((v) => (v === "" ? undefined : v))
  .describe('the id in the MDM\'s directory, exactly; "" is none');
/** As PATCH takes it: null or "" clears it. */
export const externalIdChange = plainText(300)
  .nullable()
  .transform((v) => (v === "" ? null : v))
  .describe('the id in the MDM\'s directory, exactly; null or "" clears it');
/** A user's or a group's name: trimmed, 1-300 characters (identity providers' names are long), one line. */
export const entityName = withoutControlCharacters(z.string().trim().min(1).max(300));
export const adamId = z.string().regex(/^[0-9]{1,20}$/, "an App Store id (digits)");
export const ruleId = z.enum(RULE_IDS);
export const licenseType = z.enum(["user", "device"]);
export const licenseState = z.enum(["pending_assign", "assigned", "pending_release", "in_grace", "released"]);
export const platform = z.enum(["iOS", "macOS", "tvOS", "visionOS", "watchOS"]);
/** A device's platform as MDMs report it: iPadOS is Orchard's iOS (Apple's assets say iOS for both). */
export const platformInput = z
  .union([platform, z.literal("iPadOS").transform((): "iOS" => "iOS")])
  .describe("iOS (iPadOS is taken as iOS), macOS, tvOS, visionOS or watchOS");
/**
 * A device's serial number as received (create, bulk, check-in, lookups): no control
 * characters, trimmed and upper-cased (`normalizeSerial`), as Apple's are: c02d0000 and
 * C02D0000 are one device. The same piece as `orchard import` (serial-number-input.ts).
 */
export const serialNumber = serialNumberInput;
/**
 * A device's name, model and OS version as received (create, bulk, PATCH, check-in): one line
 * each, trimmed, no control characters, not empty; the same pieces as `orchard import`
 * (device-identity-input.ts). A bad one is a 400 naming its field (`body.osVersion`).
 */
export const deviceName = deviceNameInput.describe(
  'as the MDM or the device\'s user named it ("Classroom iPad 12"): trimmed, 1-200 characters, one line',
);
export const deviceModel = deviceModelInput.describe(
  'the model, by its name ("iPad (10th generation)") or Apple\'s product name ("iPad13,18"): trimmed, 1-100 characters, one line',
);
export const osVersion = osVersionInput.describe(
  'the OS version as Apple numbers it (ProductVersion: "17.5.1", "14.5"; a Rapid Security Response\'s letter after it: "16.5.1 (a)"), without the OS\'s name: the platform says it',
);
export const requestReason = z.enum(["requested", "mandatory", "check_in"]);
/** Why a request waits (DB2, UB3); `apple_refused`: Apple refused its assignment for good, see `refusal`. */
export const waitReason = z.enum(["not_enrolled", "no_license", "token_problem", "apple_refused"]);
/**
 * DB2: Apple's refusal a request waits with (`reason: apple_refused`): not served again
 * until an administrator sends it again (POST …/apps/:adamId/waiting/retry).
 */
export const appleRefusalSchema = z
  .object({
    errorNumber: z
      .number()
      .int()
      .describe(
        "Apple's error number (docs/APPLE-API.md); 0: Orchard had no serial number or Apple user to send",
      ),
    message: z.string().optional().describe("Apple's message"),
    accountId: z.string().optional().describe("the account whose association Apple refused"),
    accountName: z.string().optional(),
    refusedAt: dateTime,
  })
  .meta({ id: "AppleRefusal" });

/** UB2: where a user's registration at Apple stands. */
export const registrationState = z
  .enum(REGISTRATIONS)
  .describe(
    "UB2: `not_registered` (never invited), `registering` (Orchard asked Apple, which has not answered yet), " +
      "`invited` (Apple registered them, the invitation is not accepted yet: see `invitationUrl`), " +
      "`enrolled` (accepted: Apple's Associated), `retired` (Apple retired them; inviting them again registers anew)",
  );
export const invitationUrl = z
  .string()
  .describe(
    "`invited`: Apple's invitation link (its service config's invitationEmail with the user's inviteCode), " +
      "for the MDM to open on the user's device or the administrator to send; absent until an account's sync read Apple's service config",
  );
/** A `not_enrolled` wait: the user who must accept Apple's invitation, and where they stand. */
export const invitationSchema = z
  .object({
    userId: z.string().describe("the requesting user, or the waiting device's user"),
    registration: registrationState,
    invitationUrl: invitationUrl.optional(),
  })
  .meta({ id: "WaitingInvitation" });

/** DB2, UB3: an app a device or a user waits for, with its place in the app's queue. */
/** A license rule naming a user or a device (`GET users/:id/rules`, `GET devices/:id/rules`). */
export const subjectRuleSchema = z
  .object({
    accountId: z.string(),
    accountName: z.string(),
    adamId: z.string(),
    appName: z.string().optional(),
    role: z.enum(["reserved", "prohibited"]).describe("DI3/DB3: reserved for them; DI4: prohibited"),
    inUse: z
      .boolean()
      .describe(
        "a reservation they use: they hold that account's license for the app (else it holds a seat, DI6)",
      ),
  })
  .meta({ id: "SubjectRule" });

export const subjectWaitingSchema = z
  .object({
    adamId: z.string(),
    name: z.string().optional(),
    position: z.number().int().describe("1 = served next, in the app's whole queue"),
    of: z.number().int().describe("requests waiting for the app"),
    why: requestReason,
    reason: waitReason,
    refusal: appleRefusalSchema.optional(),
    invitation: invitationSchema
      .optional()
      .describe("`reason` not_enrolled: the invitation the request waits on"),
    ruleIds: z.array(z.string()),
    waitingSince: dateTime.describe("when the device or user first asked: the queue's order"),
  })
  .meta({ id: "SubjectWaiting" });
export const deviceStatus = z.enum(["active", "retired", "wiped", "inactive", "unenrolled"]);
/** An account's state (CA2, NT2): `ok` works; the others name what stops its Apple work. */
export const accountHealth = z
  .enum([
    "ok",
    "expired",
    "revoked",
    "invalid",
    "login_required",
    "other_mdm",
    "paused",
    "location_changed",
    "duplicate",
    "deleting",
  ] satisfies AccountHealth[])
  .describe("ok, or what stops the account's Apple work (NT2); deleting: AC5 under way");

/** A path's space: its id, or `default` for the default space (authz.ts resolves it). */
export const spaceIdParam = id.describe("the space's id, or `default` for the default space");
export const spaceParams = z.object({ spaceId: spaceIdParam });
export const withId = <K extends string>(key: K) =>
  z.object({ spaceId: spaceIdParam, [key]: id } as { spaceId: typeof id } & Record<K, typeof id>);

/** A search box's text: PostgreSQL text cannot hold NUL, so a control character is a 400 here, not a 500 there. */
export const searchText = plainText(200);

/**
 * A whole number in a query string: decimal digits only, given once. `z.coerce` would take
 * 0x10 and 1e3 as numbers, and `page=1&page=2` as NaN ("expected number, received NaN").
 */
export function queryInt(min: number, max: number, byDefault: number) {
  return z.preprocess(digitsToNumber, wholeNumber(min, max).default(byDefault));
}

/** `queryInt` without a default: absent stays absent. */
export function optionalQueryInt(min: number, max: number) {
  return z.preprocess(digitsToNumber, wholeNumber(min, max).optional());
}

// Digits of any length: past `max`, the refusal says it is too big.
const digitsToNumber = (value: unknown) =>
  typeof value === "string" && /^[0-9]+$/.test(value) ? Number(value) : value;

const wholeNumber = (min: number, max: number) =>
  z
    .number({
      error: (issue) =>
        issue.code === "invalid_type" ? "a whole number in decimal digits, given once" : undefined,
    })
    .int()
    .min(min)
    .max(max);

/** Query of a list view: page (1-based), pageSize, sort key, order, free-text `q`. */
export function pageQuery<S extends readonly [string, ...string[]]>(sorts: S) {
  return z.object({
    page: queryInt(1, 100_000, 1),
    pageSize: queryInt(1, 500, 50),
    sort: z.enum(sorts).optional(),
    order: z.enum(["asc", "desc"]).default("asc"),
    q: searchText.optional(),
  });
}

/** More than either catalogue of messages holds (src/store/activity-messages.ts, notification-messages.ts). */
export const MAX_SEARCH_KEYS = 100;
const messageKey = z
  .string()
  .max(100)
  .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, "a message key (a-z, 0-9, _, dots)");

/**
 * `keys` of a list of catalogue messages: comma-separated message keys, searched with `q`.
 * Keys are checked for shape, not against the catalogue: a console a release ahead of the
 * server it calls still searches (an unknown key matches nothing).
 */
export const searchKeys = z
  .string()
  .max(MAX_SEARCH_KEYS * 101)
  .transform((s) => (s === "" ? [] : s.split(",")))
  .pipe(z.array(messageKey).max(MAX_SEARCH_KEYS))
  .optional();

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    page: z.number().int(),
    pageSize: z.number().int(),
  });
}

/** "true"/"false" in query strings and multipart fields; real booleans in JSON. */
export const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")], {
  error: "true or false",
});

export const spaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    isDefault: z.boolean(),
    appsAndBooksEnabled: z.boolean(),
    registerWaitingUsers: z
      .boolean()
      .describe(
        "UB2: users a user-based request waits for (`not_enrolled`) whom Orchard never registered are registered " +
          "at Apple within a minute, so the MDM has only to deliver their invitation link (off by default)",
      ),
    sendInvitationsToDevices: z
      .boolean()
      .describe(
        "UB2: invited users' devices (iOS, iPadOS, macOS) get an `invite` MDM command with Apple's invitation " +
          "link, for the MDM to send as InviteToProgram (off by default)",
      ),
    createdAt: dateTime,
  })
  .meta({ id: "Space" });

export const mdmInfoSchema = z.object({ id: z.string(), name: z.string(), metadata: z.string().optional() });

/** CA2: the token's details, never the token. */
export const accountSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    displayName: z.string(),
    priority: z.number().int(),
    autoDistribute: z.boolean(),
    health: accountHealth,
    usable: z.boolean(),
    orgName: z.string().optional(),
    locationUid: z.string().optional(),
    locationName: z.string().optional(),
    countryCode: z
      .string()
      .optional()
      .describe("Apple's storefront of the location (`countryISO2ACode`): app names and prices come from it"),
    tokenExpiresAt: dateTime.optional(),
    ownerMdmInfo: mdmInfoSchema.optional(),
    lastSyncedAt: dateTime.optional(),
    createdAt: dateTime,
  })
  .meta({ id: "Account" });

/** AC1's answer: the account, and whether its first import from Apple finished. */
export const addedAccountSchema = accountSchema
  .extend({
    firstImport: z.discriminatedUnion("state", [
      z.object({ state: z.literal("done") }),
      z.object({ state: z.literal("failed"), code: z.string(), message: z.string(), retry: z.string() }),
    ]),
  })
  .meta({ id: "AddedAccount" });

/** AC5, before the confirmation. */
export const accountDeletionPreviewSchema = z
  .object({
    licenses: z
      .object({ user: z.number().int(), device: z.number().int() })
      .describe("licenses holding a seat: each is released at Apple (device-based too)"),
    apps: z.number().int().describe("the account's apps: they stay in the catalog"),
    appsWithRules: z
      .number()
      .int()
      .describe("of those, the apps with a license rule (FCFS, Reserved or Prohibited): deleted"),
    reservedUsers: z.number().int(),
    reservedDevices: z.number().int(),
    prohibitedUsers: z.number().int(),
  })
  .meta({ id: "AccountDeletionPreview" });

/** AC5: what a deletion did (DELETE …/accounts/:id with `Prefer: return=representation`). */
export const accountDeletedSchema = z
  .object({
    released: z.number().int().describe("licenses the account held, now released"),
    releasedAtApple: z.boolean().describe("every one of them released at Apple too"),
    stillAtApple: z
      .number()
      .int()
      .describe("still assigned at Apple (the token failed): release them in Apple Business Manager"),
  })
  .meta({ id: "AccountDeleted" });

export const assetSchema = z
  .object({
    accountId: z.string(),
    adamId: z.string(),
    name: z.string().optional(),
    pricingParam: z.string(),
    productType: z.enum(["App", "Book"]),
    price: z.number().optional(),
    currency: z.string().optional().describe("the price's currency (ISO 4217), from the store's lookup"),
    total: z.number().int(),
    used: z.number().int(),
    available: z.number().int().describe("free for anyone: neither used nor held for a reservation (DI6)"),
    reserved: z.number().int().describe("DI6: held for reservations whose holder has no license yet"),
    appleAssignedCount: z.number().int(),
    appleAvailableCount: z.number().int(),
    deviceAssignable: z.boolean(),
    revocable: z.boolean(),
    platforms: z.array(z.string()),
  })
  .meta({ id: "Asset" });

export const appRowSchema = z
  .object({
    adamId: z.string(),
    name: z.string().optional(),
    productType: z.enum(["App", "Book"]),
    price: z.number().optional(),
    currency: z.string().optional().describe("the price's currency (ISO 4217), from the store's lookup"),
    total: z.number().int(),
    used: z.number().int(),
    available: z.number().int().describe("free for anyone: neither used nor held for a reservation (DI6)"),
    reserved: z.number().int().describe("DI6: held for reservations whose holder has no license yet"),
    accounts: z.number().int(),
    inCatalog: z.boolean(),
    genre: z.string().optional().describe("primary genre, from the store's metadata lookup"),
    bundleId: z.string().optional(),
    artworkUrl: z
      .string()
      .optional()
      .describe("the store's artwork; the console shows it only if same-origin"),
    custom: z.boolean().describe("not in the public store: a custom (B2B) app"),
    latestVersion: z.string().optional(),
    deviceLicenseReminder: z
      .boolean()
      .describe("DB5: custom or Productivity app: check device-license support with the developer"),
    waiting: z.number().int().describe("DB2, UB3: requests waiting for a license of the app"),
    delegatedFrom: z
      .string()
      .optional()
      .describe(
        "CA1: the default space's id, when it delegated the app to this space (listed even when no account " +
          "here bought it: its counts are then 0). This space's admins set its catalog options (Install on " +
          "device, updates, description) and the rules of their own accounts, whose licenses it uses; only " +
          "the default space delegates it and takes it back (PB1)",
      ),
  })
  .meta({ id: "AppUsage" });

/** DB2, UB3: a request in an app's waiting queue. */
export const waitingRowSchema = z
  .object({
    position: z.number().int().describe("1 = served first; over the whole queue, whatever the search"),
    userId: z.string().optional(),
    userName: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    deviceName: z.string().optional().describe("the waiting device's name, when its MDM gave one"),
    deviceUserName: z.string().optional().describe("the user of a waiting device"),
    deviceUserId: z.string().optional().describe("the id of the user of a waiting device"),
    why: requestReason,
    reason: waitReason,
    refusal: appleRefusalSchema.optional(),
    invitation: invitationSchema
      .optional()
      .describe("`reason` not_enrolled: the invitation the request waits on"),
    ruleIds: z.array(z.string()),
    waitingSince: dateTime.describe("when the subject first asked: the queue's order"),
    decidedAt: dateTime.describe("when the request was last decided, and waited again"),
  })
  .meta({ id: "WaitingRequest" });

export const licenseRowSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    accountName: z.string(),
    adamId: z.string(),
    appName: z.string().optional(),
    type: licenseType,
    userId: z.string().optional(),
    userName: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    deviceName: z.string().optional().describe("a device license: the device's name, when its MDM gave one"),
    deviceUserId: z.string().optional().describe("a device license: the user the device belongs to"),
    deviceUserName: z.string().optional(),
    state: licenseState,
    reserved: z.boolean(),
    revocable: z
      .boolean()
      .describe(
        "false for a book: Apple never takes its license back, and a revoke is a 409 `not_revocable`",
      ),
    ruleIds: z.array(z.string()),
    createdAt: dateTime,
    assignedAt: dateTime.optional(),
    releasedAt: dateTime.optional(),
    graceUntil: dateTime.optional(),
    lastAction: z.string().optional(),
    lastActionAt: dateTime.optional(),
  })
  .meta({ id: "License" });

/** When Orchard first recorded a device or a user, and last changed it (`updatedSince` reads it). */
const recordTimes = {
  createdAt: dateTime.optional(),
  updatedAt: dateTime.optional().describe("its last change in Orchard (a device's check-in too)"),
};

/** A list's `updatedSince`: what changed since an MDM's previous read, with `sort=updatedAt`. */
export const updatedSince = instant
  .optional()
  .describe("only those Orchard changed at or after this moment (a date, or a date-time with its offset)");

export const userSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    name: z.string(),
    externalId: z.string().optional(),
    email: z.string().optional(),
    managedAppleId: z.string().optional(),
    clientUserId: z.string().optional().describe("Apple's id of the user (AC7), when known"),
    appleStatus: z.string().optional(),
    enrolled: z.boolean(),
    registration: registrationState,
    invitationUrl: invitationUrl.optional(),
    ...recordTimes,
  })
  .meta({ id: "User" });

export const deviceSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    serialNumber: z.string(),
    platform,
    sharedIpad: z.boolean(),
    supervised: z.boolean(),
    userId: z.string().optional(),
    userName: z.string().optional().describe("the user's name, beside userId (lists)"),
    name: z
      .string()
      .optional()
      .describe('as the MDM named the device ("Classroom iPad 12"); absent until told'),
    model: z.string().optional().describe('"iPad (10th generation)", "iPad13,18"; absent until told'),
    osVersion: z
      .string()
      .optional()
      .describe('"17.5.1"; absent until told (a check-in that reports it updates it)'),
    status: deviceStatus,
    lastCheckInAt: dateTime.optional(),
    ...recordTimes,
  })
  .meta({ id: "Device" });

export const groupSchema = z
  .object({
    id: z.string(),
    spaceId: z.string(),
    name: z.string(),
    externalId: z.string().optional(),
    builtIn: z
      .boolean()
      .optional()
      .describe(
        "true for All Users (`all-users`): every user of the space; it cannot be deleted nor its members changed",
      ),
    members: z
      .number()
      .int()
      .optional()
      .describe("users of the space (not deleted) in the group; for All Users, every one of them"),
  })
  .meta({ id: "Group" });

export const notificationSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    severity: z.enum(["info", "warning", "alert"]),
    component: z.string().describe("in English, e.g. Apps and Books"),
    title: z.string().describe("in English"),
    messageKey: z
      .string()
      .optional()
      .describe(
        "the title's stable key in Orchard's catalogue (e.g. usage.reached, token.expiring, token.issue), for a client to word the title and the remedy in its language; absent on notifications raised before keys",
      ),
    messageParams: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .describe(
        "the named values the message's words take (e.g. app, account, percent; count, the number its plural follows); set with messageKey",
      ),
    details: z
      .record(z.string(), z.unknown())
      .describe("what was measured (used, total, percent, expiresAt...) and the remedy, in English"),
    accountId: z.string().optional(),
    accountName: z.string().optional().describe("the account's display name now"),
    adamId: z.string().optional(),
    appName: z.string().optional().describe("the app's name, when known"),
    threshold: z.number().optional(),
    raisedAt: dateTime,
    clearedAt: dateTime.optional(),
    acknowledgedAt: dateTime.optional(),
    folded: z
      .array(
        z.object({
          id: z.string(),
          severity: z.enum(["info", "warning", "alert"]),
          threshold: z.number().optional(),
          raisedAt: dateTime,
          acknowledgedAt: dateTime.optional(),
        }),
      )
      .optional()
      .describe(
        "with group=true, on the highest NT1 level of an (account, app): the lower levels of the same episode that match the filter, folded into it",
      ),
  })
  .meta({ id: "Notification" });

export const deliveryState = z
  .enum(["pending", "delivered", "failed"])
  .describe(
    "pending: to be sent, or waiting for a retry after a failure the channel may recover from; delivered; failed: refused (a 4xx, an SMTP 5xx) or given up after nearly 3 hours of retries",
  );

/** A notification channel's name (notification_deliveries.channel): `webhook`, `email`. */
export const channelName = z
  .string()
  .min(1)
  .max(50)
  .regex(/^[a-z][a-z0-9_-]*$/, "a channel's name (a-z, 0-9, _ and -), e.g. webhook or email");

/** A notification's delivery to one channel (signed webhook, e-mail): never the channel's URL or credentials. */
export const notificationDeliverySchema = z
  .object({
    notificationId: z.string(),
    channel: z.string().describe("webhook or email"),
    state: deliveryState,
    attempts: z.number().int().describe("since it was queued, or last sent again"),
    lastError: z
      .string()
      .optional()
      .describe(
        "in English, why the last attempt failed (the HTTP status, the SMTP reply code, a system error code): never the URL or its credentials; kept after sending again until the next attempt settles",
      ),
    nextAttemptAt: dateTime
      .optional()
      .describe("a pending delivery waiting after a failure: its next attempt"),
    createdAt: dateTime.describe("queued, with the notification"),
    updatedAt: dateTime.describe("its last change: an attempt settled, or sent again"),
    notification: z.object({
      title: z.string().describe("in English"),
      messageKey: z.string().optional().describe("as the notification's, for a client to word the title"),
      messageParams: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      kind: z.string(),
      severity: z.enum(["info", "warning", "alert"]),
      raisedAt: dateTime,
    }),
  })
  .meta({ id: "NotificationDelivery" });

/** Per channel, a space's deliveries by state and the latest failure. */
export const deliverySummarySchema = z
  .object({
    failed: z.number().int().describe("deliveries failed for good, over every channel"),
    channels: z.array(
      z.object({
        channel: z.string(),
        configured: z
          .boolean()
          .optional()
          .describe(
            "whether this server has the channel configured (only those are sent again); absent when it cannot tell",
          ),
        pending: z.number().int(),
        retrying: z
          .number()
          .int()
          .describe("of the pending: those whose last attempt failed, waiting for the next"),
        delivered: z.number().int(),
        failed: z.number().int(),
        lastFailure: z
          .object({
            notificationId: z.string(),
            error: z.string().optional().describe("in English, as lastError"),
            at: dateTime,
          })
          .optional()
          .describe("the delivery that failed last"),
      }),
    ),
  })
  .meta({ id: "NotificationDeliverySummary" });

/** What sending failed deliveries again came to. */
export const resendResultSchema = z
  .object({
    retried: z.number().int().describe("failed deliveries put back to pending (0 when none had failed)"),
    delivered: z.number().int().describe("of those, delivered by the attempt made at once"),
    failed: z
      .number()
      .int()
      .describe("of those, refused again for good: the channel's configuration still needs fixing"),
    pending: z
      .number()
      .int()
      .describe(
        "of those, still pending: the worker's rounds retry them (the channel was unreachable, or no attempt was made here)",
      ),
    errors: z
      .array(z.object({ channel: z.string(), error: z.string().describe("in English") }))
      .describe("why the attempt failed, per channel"),
  })
  .meta({ id: "NotificationResendResult" });

export const activitySchema = z
  .object({
    seq: z.number().int(),
    at: dateTime,
    actor: z.object({ kind: z.string(), id: z.string().optional() }),
    action: z.string(),
    userId: z.string().optional(),
    deviceId: z.string().optional(),
    adamId: z.string().optional(),
    accountId: z.string().optional(),
    licenseId: z.string().optional(),
    ruleIds: z.array(z.string()),
    message: z.string().optional().describe("what happened, in English"),
    messageKey: z
      .string()
      .optional()
      .describe(
        "the message's stable key in Orchard's catalogue (e.g. license.apple_refused), for a client to word it in its language; absent on entries written before keys",
      ),
    messageParams: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .describe("the named values the message's words take (e.g. reason); set with messageKey"),
    deviceSerialNumber: z.string().optional().describe("the device's serial number, beside deviceId"),
    userName: z.string().optional().describe("the user's name, beside userId"),
    actorName: z
      .string()
      .optional()
      .describe("who acted, beside actor.id: the administrator's display name or the API token's name"),
    appName: z.string().optional().describe("the app's name, beside adamId, when known"),
    accountName: z.string().optional().describe("the account's display name, beside accountId"),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "the line's facts, by action: `rules.updated` has `changes` (per list changed: `groups`, `reservedUsers`, `reservedDevices`, `prohibitedUsers`, each `{added, removed, addedCount, removedCount}` with the first 50 entries `{id, name}`, a device named by its serial number; and `fcfs` `{before, after}`, each null when off or `{requestedType, mandatoryType}`)",
      ),
  })
  .meta({ id: "ActivityEntry" });

export const decisionSchema = z
  .object({
    outcome: z.enum(["grant", "keep", "wait", "refuse"]),
    accountId: z.string().optional(),
    licenseId: z.string().optional(),
    type: licenseType.optional(),
    reserved: z.boolean().optional(),
    reason: z.string().optional(),
    userMay: z.literal("self_purchase").optional(),
    because: z.array(z.string()),
  })
  .meta({ id: "Decision" });

export const ruleTextSchema = z.object({ id: z.string(), sentence: z.string() }).meta({ id: "RuleSentence" });

export const outboxKind = z.enum(OUTBOX_KINDS);

/** What an account still owes Apple (invariant 3: an operation shows here until Apple confirms it; NT2: paused). */
export const appleWorkSchema = z
  .object({
    accountId: z.string(),
    displayName: z.string(),
    health: accountHealth,
    paused: z.boolean().describe("NT2: a token problem pauses the account's Apple work until it is fixed"),
    asOf: dateTime.describe("the server's clock when this was read: ages are counted from it"),
    pending: z.object({
      total: z.number().int(),
      byKind: z.array(
        z.object({
          kind: outboxKind,
          count: z.number().int(),
          waitingRetry: z.number().int(),
          oldestCreatedAt: dateTime,
        }),
      ),
      oldestCreatedAt: dateTime.optional(),
      waitingRetry: z.number().int().describe("operations put off until a later retry"),
      nextRetryAt: dateTime.optional(),
      lastRetryReason: z.string().optional(),
      lastRetryAt: dateTime.optional(),
    }),
    inFlight: z.object({
      calls: z.number().int(),
      operations: z.number().int(),
      items: z.array(
        z.object({
          id: z.string(),
          kind: outboxKind,
          operations: z.number().int(),
          state: z.enum(CALL_STATES),
          eventId: z.string().optional(),
          sentAt: dateTime.optional(),
          attempts: z.number().int(),
          lastError: z.string().optional(),
          notBefore: dateTime.optional(),
          createdAt: dateTime,
        }),
      ),
    }),
    failures: z.object({
      total: z.number().int(),
      items: z.array(
        z.object({
          seq: z.number().int(),
          kind: outboxKind,
          adamId: z.string().optional(),
          appName: z.string().optional(),
          serialNumber: z.string().optional(),
          deviceId: z.string().optional(),
          clientUserId: z.string().optional(),
          userId: z.string().optional(),
          userName: z.string().optional(),
          lastError: z.string().optional(),
          eventId: z.string().optional(),
          failedAt: dateTime,
          licenseId: z.string().optional().describe("the license a release was for"),
          releaseRefused: z
            .boolean()
            .describe(
              "a release Apple refused whose license still holds its seat (pending_release): send it again " +
                "(POST …/licenses/:licenseId/release/retry) or abandon it (…/release/abandon)",
            ),
        }),
      ),
    }),
    refusals: z
      .object({
        requests: z
          .number()
          .int()
          .describe(
            "requests Apple refused from this account that no other account can serve (MA2, DB2): each waits " +
              "with `reason: apple_refused` until sent again (POST …/apps/:adamId/waiting/retry)",
          ),
        releases: z
          .number()
          .int()
          .describe("releases Apple refused whose license still holds its seat: sent again or abandoned"),
      })
      .describe(
        "what Apple refused for good and waits for an administrator (GET …/refusals?account= lists it)",
      ),
  })
  .meta({ id: "AppleWork" });
