/**
 * Wire schemas of Apple's Apps and Books for Organizations API v2, shared by the client
 * (`src/apple/`) and the simulator (`src/simulator/`).
 *
 * Responses are parsed leniently: objects are loose (unknown fields kept), and fields that
 * one of Apple's own examples omits are optional (see test/fixtures/apple/README.md).
 * Requests are the shapes Apple documents; the simulator validates the business rules
 * (limits, duplicates) itself so that it can answer with Apple's error numbers.
 *
 * Overview: https://developer.apple.com/documentation/devicemanagement/app-and-book-management
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------
// Shared vocabulary
// ---------------------------------------------------------------------------------------

/** Known pricing params; kept as a plain string on the wire so a new value never breaks a page. */
export const PRICING_PARAMS = ["STDQ", "PLUS"] as const;
export const pricingParam = z.string().min(1);

/** https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1 (productType filter) */
export const productType = z.enum(["App", "Book"]);
export type ProductType = z.infer<typeof productType>;

/** https://developer.apple.com/documentation/devicemanagement/subscribing-to-notifications */
export const NOTIFICATION_TYPES = [
  "ASSET_MANAGEMENT",
  "ASSET_COUNT",
  "USER_MANAGEMENT",
  "USER_ASSOCIATED",
  "TEST_NOTIFICATION",
  "SUBSCRIPTION_MANAGEMENT",
  "SUBSCRIPTION_COUNT",
] as const;
export const notificationType = z.enum(NOTIFICATION_TYPES);
export type NotificationType = z.infer<typeof notificationType>;

/**
 * ErrorResponse. Match on `errorNumber` only: the same number carries different messages
 * on different Apple pages.
 * https://developer.apple.com/documentation/devicemanagement/errorresponse
 * https://developer.apple.com/documentation/devicemanagement/handling-error-responses
 */
export const errorInfo = z.looseObject({
  assets: z.array(z.looseObject({ adamId: z.string(), pricingParam: pricingParam.optional() })).optional(),
  clientUserIds: z.array(z.string()).optional(),
  serialNumbers: z.array(z.string()).optional(),
});
export type ErrorInfo = z.infer<typeof errorInfo>;

export const errorResponse = z.looseObject({
  errorNumber: z.int(),
  errorMessage: z.string().optional(),
  errorInfo: errorInfo.optional(),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

/**
 * Fields every authenticated v2 response carries. `tokenExpirationDate` is optional because
 * the older doc adds it only within the 15-day warning period; `uId` is optional for leniency.
 * https://developer.apple.com/documentation/devicemanagement/getting-started-with-the-management-api
 */
export const envelope = z.looseObject({
  uId: z.string().optional(),
  tokenExpirationDate: z.string().optional(),
});
export type Envelope = z.infer<typeof envelope>;

/**
 * Paged read metadata; `nextPageIndex` is present only while more pages remain.
 * https://developer.apple.com/documentation/devicemanagement/using-paginated-endpoints
 */
export const pageMeta = envelope.extend({
  currentPageIndex: z.int(),
  nextPageIndex: z.int().optional(),
  size: z.int(),
  totalPages: z.int(),
  versionId: z.string(),
});
export type PageMeta = z.infer<typeof pageMeta>;

// ---------------------------------------------------------------------------------------
// Service config: https://developer.apple.com/documentation/devicemanagement/service-config
// ---------------------------------------------------------------------------------------

/** Limits are optional one by one: the tutorial and older examples lack some (e.g. maxRequestPerSecond). */
export const serviceConfigLimits = z.looseObject({
  maxAssets: z.int().positive().optional(),
  maxUsers: z.int().positive().optional(),
  maxNotificationLength: z.int().positive().optional(),
  maxRevokeClientUserIds: z.int().positive().optional(),
  maxClientUserIds: z.int().positive().optional(),
  maxSerialNumbers: z.int().positive().optional(),
  maxRevokeSerialNumbers: z.int().positive().optional(),
  maxRequestPerSecond: z.number().positive().optional(),
  maxSubscriptions: z.int().positive().optional(),
  maxSubscriptionClientUserIds: z.int().positive().optional(),
  maxMdmNameLength: z.int().positive().optional(),
  maxMdmMetadataLength: z.int().positive().optional(),
  maxMdmIdLength: z.int().positive().optional(),
});
export type ServiceConfigLimits = z.infer<typeof serviceConfigLimits>;

export const serviceConfigUrls = z.looseObject({
  invitationEmail: z.string().optional(),
  clientConfig: z.string().optional(),
  createUsers: z.string().optional(),
  getAssignments: z.string().optional(),
  revokeAssets: z.string().optional(),
  contentMetadataLookup: z.string().optional(),
  getUsers: z.string().optional(),
  eventStatus: z.string().optional(),
  associateAssets: z.string().optional(),
  disassociateAssets: z.string().optional(),
  updateUsers: z.string().optional(),
  getAssets: z.string().optional(),
  retireUsers: z.string().optional(),
});

export const serviceConfigResponse = z.looseObject({
  errorCodes: z.array(z.looseObject({ errorNumber: z.int(), errorMessage: z.string() })).optional(),
  limits: serviceConfigLimits,
  notificationTypes: z.array(z.string()).optional(),
  urls: serviceConfigUrls.optional(),
});
export type ServiceConfigResponse = z.infer<typeof serviceConfigResponse>;

// ---------------------------------------------------------------------------------------
// Client config: https://developer.apple.com/documentation/devicemanagement/client-config-4szk1 (POST)
// and https://developer.apple.com/documentation/devicemanagement/client-config-71glv (GET)
// ---------------------------------------------------------------------------------------

/** The MDM that manages the location (9723: id, name and metadata all required on POST). */
export const mdmInfo = z.looseObject({
  id: z.string(),
  name: z.string(),
  metadata: z.string(),
});
export type MdmInfo = z.infer<typeof mdmInfo>;

export const clientConfigRequest = z.looseObject({
  mdmInfo: mdmInfo.optional(),
  notificationUrl: z.string().optional(),
  notificationAuthToken: z.string().optional(),
  notificationTypes: z.array(z.string()).optional(),
});
export type ClientConfigRequest = z.infer<typeof clientConfigRequest>;

/** The tutorial response omits countryISO2ACode, defaultPlatform, locationName, notificationAuthToken, websiteURL. */
export const clientConfigResponse = envelope.extend({
  countryISO2ACode: z.string().optional(),
  defaultPlatform: z.string().optional(),
  locationName: z.string().optional(),
  mdmInfo: z
    .looseObject({ id: z.string(), name: z.string().optional(), metadata: z.string().optional() })
    .optional(),
  notificationAuthToken: z.string().optional(),
  notificationUrl: z.string().optional(),
  subscribedNotificationTypes: z.array(z.string()).optional(),
  websiteURL: z.string().optional(),
});
export type ClientConfigResponse = z.infer<typeof clientConfigResponse>;

// ---------------------------------------------------------------------------------------
// Assets: https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1
// ---------------------------------------------------------------------------------------

/** Asset identity is (adamId, pricingParam); adamId is a string in asset payloads. */
export const asset = z.looseObject({
  adamId: z.string(),
  pricingParam: pricingParam,
  productType: z.string().optional(),
  assignedCount: z.int(),
  availableCount: z.int(),
  retiredCount: z.int().optional(),
  totalCount: z.int(),
  deviceAssignable: z.boolean().optional(),
  revocable: z.boolean().optional(),
  supportedPlatforms: z.array(z.string()).optional(),
});
export type Asset = z.infer<typeof asset>;

/** Query strings carry booleans as "true"/"false": stringbool for the simulator's parsing. */
const queryBool = z.stringbool();
const queryInt = z.coerce.number().int().nonnegative();

export const getAssetsQuery = z.looseObject({
  adamId: z.string().optional(),
  productType: z.string().optional(),
  pricingParam: z.string().optional(),
  deviceAssignable: queryBool.optional(),
  revocable: queryBool.optional(),
  minAssignedCount: queryInt.optional(),
  maxAssignedCount: queryInt.optional(),
  minAvailableCount: queryInt.optional(),
  maxAvailableCount: queryInt.optional(),
  unlimited: queryBool.optional(),
  pageIndex: queryInt.optional(),
  // UNVERIFIED for /assets (APPLE-API.md); accepted so that neither reading breaks.
  sinceVersionId: z.string().optional(),
});
export type GetAssetsQuery = z.infer<typeof getAssetsQuery>;

export const getAssetsResponse = pageMeta.extend({
  assets: z.array(asset),
  // Only with unlimited=true; described in text, no example payload.
  unlimitedAssets: z
    .array(z.looseObject({ adamId: z.string(), pricingParam: pricingParam.optional() }))
    .optional(),
});
export type GetAssetsResponse = z.infer<typeof getAssetsResponse>;

// ---------------------------------------------------------------------------------------
// Assignments: https://developer.apple.com/documentation/devicemanagement/get-assignments-9wv1e
// ---------------------------------------------------------------------------------------

/** Exactly one of clientUserId / serialNumber (not enforced: a page must never fail on it). */
export const assignment = z.looseObject({
  adamId: z.string(),
  pricingParam: pricingParam,
  clientUserId: z.string().optional(),
  serialNumber: z.string().optional(),
  // includeUserState=true adds these (no documented example).
  userStatus: z.string().optional(),
  idHash: z.string().optional(),
});
export type Assignment = z.infer<typeof assignment>;

export const getAssignmentsQuery = z.looseObject({
  adamId: z.string().optional(),
  clientUserId: z.string().optional(),
  serialNumber: z.string().optional(),
  pricingParam: z.string().optional(),
  excludeInactiveUsers: queryBool.optional(),
  includeUserState: queryBool.optional(),
  pageIndex: queryInt.optional(),
  sinceVersionId: z.string().optional(),
});
export type GetAssignmentsQuery = z.infer<typeof getAssignmentsQuery>;

export const getAssignmentsResponse = pageMeta.extend({ assignments: z.array(assignment) });
export type GetAssignmentsResponse = z.infer<typeof getAssignmentsResponse>;

// ---------------------------------------------------------------------------------------
// Associate / disassociate / revoke
// https://developer.apple.com/documentation/devicemanagement/associate-assets
// https://developer.apple.com/documentation/devicemanagement/disassociate-assets
// https://developer.apple.com/documentation/devicemanagement/revoke-assets
// ---------------------------------------------------------------------------------------

/** pricingParam is optional in the managing-assets example. */
export const assetRef = z.looseObject({ adamId: z.string(), pricingParam: pricingParam.optional() });
export type AssetRef = z.infer<typeof assetRef>;

/** ManageAssetsRequest: every asset x every user and serial. */
export const manageAssetsRequest = z.looseObject({
  assets: z.array(assetRef),
  clientUserIds: z.array(z.string()).optional(),
  serialNumbers: z.array(z.string()).optional(),
});
export type ManageAssetsRequest = z.infer<typeof manageAssetsRequest>;

/** RevokeAssetsRequest: no assets; every revocable asset of the subjects is released. */
export const revokeAssetsRequest = z.looseObject({
  clientUserIds: z.array(z.string()).optional(),
  serialNumbers: z.array(z.string()).optional(),
});
export type RevokeAssetsRequest = z.infer<typeof revokeAssetsRequest>;

/** EventResponse of every asynchronous mutation. */
export const eventResponse = envelope.extend({ eventId: z.string() });
export type EventResponse = z.infer<typeof eventResponse>;

// ---------------------------------------------------------------------------------------
// Users: https://developer.apple.com/documentation/devicemanagement/managing-users
// https://developer.apple.com/documentation/devicemanagement/get-users-4mwln
// ---------------------------------------------------------------------------------------

export const USER_STATUSES = ["Registered", "Associated", "Retired", "Deleted"] as const;
export const userStatus = z.enum(USER_STATUSES);
export type UserStatus = z.infer<typeof userStatus>;

/** A user created with managedAppleId has no email or inviteCode (tutorial example). */
export const user = z.looseObject({
  clientUserId: z.string(),
  email: z.string().optional(),
  status: userStatus,
  inviteCode: z.string().optional(),
  idHash: z.string().optional(),
  managedAppleId: z.string().optional(),
});
export type User = z.infer<typeof user>;

export const getUsersQuery = z.looseObject({
  clientUserId: z.string().optional(),
  activeOnly: queryBool.optional(),
  retiredOnly: queryBool.optional(),
  includeRetired: z.string().optional(),
  pageIndex: queryInt.optional(),
  sinceVersionId: z.string().optional(),
});
export type GetUsersQuery = z.infer<typeof getUsersQuery>;

export const getUsersResponse = pageMeta.extend({ users: z.array(user) });
export type GetUsersResponse = z.infer<typeof getUsersResponse>;

/**
 * ManageUsersRequest for create, update and retire (retire needs only clientUserId).
 * https://developer.apple.com/documentation/devicemanagement/create-users
 * https://developer.apple.com/documentation/devicemanagement/update-users
 * https://developer.apple.com/documentation/devicemanagement/retire-users
 */
export const manageUserEntry = z.looseObject({
  clientUserId: z.string(),
  email: z.string().optional(),
  managedAppleId: z.string().optional(),
});
export type ManageUserEntry = z.infer<typeof manageUserEntry>;
export const manageUsersRequest = z.looseObject({ users: z.array(manageUserEntry) });
export type ManageUsersRequest = z.infer<typeof manageUsersRequest>;

// ---------------------------------------------------------------------------------------
// Event status: https://developer.apple.com/documentation/devicemanagement/events-status
// GET /status?eventId=...
// ---------------------------------------------------------------------------------------

export const EVENT_STATUSES = ["PENDING", "COMPLETE", "FAILED"] as const;
export const eventStatus = z.enum(EVENT_STATUSES);
export type EventStatus = z.infer<typeof eventStatus>;

export const EVENT_TYPES = ["ASSOCIATE", "DISASSOCIATE", "REVOKE", "CREATE", "UPDATE", "RETIRE"] as const;
export const eventType = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof eventType>;

/** FAILED with numCompleted < numRequested is a partial success (status.response.failed.json). */
export const statusResponse = envelope.extend({
  eventStatus: eventStatus,
  eventType: z.string(),
  numCompleted: z.int().optional(),
  numRequested: z.int().optional(),
  failures: z.array(errorResponse).optional(),
});
export type StatusResponse = z.infer<typeof statusResponse>;

// ---------------------------------------------------------------------------------------
// Notifications: https://developer.apple.com/documentation/devicemanagement/subscribing-to-notifications
// POSTed to notificationUrl with Authorization: Bearer <notificationAuthToken>.
// notificationId is not always a UUID and has been reused across notifications: never validate it as one.
// ---------------------------------------------------------------------------------------

const notificationEnvelope = z.looseObject({
  notificationId: z.string(),
  uId: z.string(),
});

export const notificationAssignment = assignment;

/** https://developer.apple.com/documentation/devicemanagement/assetmanagementnotification */
export const assetManagementNotificationBody = z.looseObject({
  assignments: z.array(notificationAssignment),
  eventId: z.string(),
  result: z.enum(["SUCCESS", "FAILURE"]),
  type: z.enum(["ASSOCIATE", "DISASSOCIATE", "REVOKE"]),
  error: errorResponse.optional(),
});
export const assetManagementNotification = notificationEnvelope.extend({
  notificationType: z.literal("ASSET_MANAGEMENT"),
  notification: assetManagementNotificationBody,
});
export type AssetManagementNotification = z.infer<typeof assetManagementNotification>;

/** https://developer.apple.com/documentation/devicemanagement/assetcountnotification */
export const assetCountNotificationBody = z.looseObject({
  adamId: z.string(),
  countDelta: z.int(),
  pricingParam: pricingParam,
});
export const assetCountNotification = notificationEnvelope.extend({
  notificationType: z.literal("ASSET_COUNT"),
  notification: assetCountNotificationBody,
});
export type AssetCountNotification = z.infer<typeof assetCountNotification>;

/**
 * https://developer.apple.com/documentation/devicemanagement/usermanagementnotification
 * No FAILURE example is documented: a failed user may come without `status`, so it is optional here.
 */
export const userManagementNotificationBody = z.looseObject({
  eventId: z.string(),
  result: z.enum(["SUCCESS", "FAILURE"]),
  type: z.enum(["CREATE", "UPDATE", "RETIRE"]),
  users: z.array(user.extend({ status: userStatus.optional() })),
  error: errorResponse.optional(),
});
export const userManagementNotification = notificationEnvelope.extend({
  notificationType: z.literal("USER_MANAGEMENT"),
  notification: userManagementNotificationBody,
});
export type UserManagementNotification = z.infer<typeof userManagementNotification>;

/** https://developer.apple.com/documentation/devicemanagement/userassociatednotification */
export const userAssociatedNotificationBody = z.looseObject({ associatedUsers: z.array(user) });
export const userAssociatedNotification = notificationEnvelope.extend({
  notificationType: z.literal("USER_ASSOCIATED"),
  notification: userAssociatedNotificationBody,
});
export type UserAssociatedNotification = z.infer<typeof userAssociatedNotification>;

/** Sent when client config sets a notification URL; its delivery failing rejects the config (9728). */
export const testNotification = notificationEnvelope.extend({
  notificationType: z.literal("TEST_NOTIFICATION"),
  notification: z.looseObject({}),
});
export type TestNotification = z.infer<typeof testNotification>;

/** Subscription seats (newer docs only; adamId is an integer there). */
const seatCounts = z.looseObject({ renewing: z.int(), expiring: z.int() });
export const subscriptionCountNotificationBody = z.looseObject({
  parentAdamId: z.int().optional(),
  adamId: z.int(),
  counts: z.looseObject({
    assigned: seatCounts.optional(),
    available: seatCounts.optional(),
    total: seatCounts.optional(),
  }),
});
export const subscriptionCountNotification = notificationEnvelope.extend({
  notificationType: z.literal("SUBSCRIPTION_COUNT"),
  notification: subscriptionCountNotificationBody,
});
export type SubscriptionCountNotification = z.infer<typeof subscriptionCountNotification>;

export const subscriptionAssignment = z.looseObject({
  adamId: z.int(),
  clientUserId: z.string(),
  renewing: z.boolean().optional(),
});
export const subscriptionManagementNotification = notificationEnvelope.extend({
  notificationType: z.literal("SUBSCRIPTION_MANAGEMENT"),
  notification: z.looseObject({
    assignments: z.array(subscriptionAssignment),
    eventId: z.string(),
    result: z.enum(["SUCCESS", "FAILURE"]),
    type: z.enum(["ASSOCIATE", "DISASSOCIATE"]),
    error: errorResponse.optional(),
  }),
});
export type SubscriptionManagementNotification = z.infer<typeof subscriptionManagementNotification>;

/** Any notification Apple POSTs, discriminated by notificationType. */
export const notification = z.discriminatedUnion("notificationType", [
  assetManagementNotification,
  assetCountNotification,
  userManagementNotification,
  userAssociatedNotification,
  testNotification,
  subscriptionCountNotification,
  subscriptionManagementNotification,
]);
export type Notification = z.infer<typeof notification>;

// ---------------------------------------------------------------------------------------
// Subscriptions (out of Orchard's core scope; schemas only, for the documented examples)
// https://developer.apple.com/documentation/devicemanagement/setting-up-and-assigning-content
// ---------------------------------------------------------------------------------------

const cursorPage = envelope.extend({ nextCursor: z.string().optional(), versionId: z.string().optional() });

export const getSubscriptionsResponse = cursorPage.extend({
  subscriptions: z.array(
    z.looseObject({
      parentAdamId: z.int().optional(),
      adamId: z.int(),
      status: z.string().optional(),
      periodEndDate: z.string().optional(),
      counts: z.looseObject({
        assigned: seatCounts.optional(),
        available: seatCounts.optional(),
        total: seatCounts.optional(),
      }),
    }),
  ),
});
export type GetSubscriptionsResponse = z.infer<typeof getSubscriptionsResponse>;

export const getSubscriptionAssignmentsResponse = cursorPage.extend({
  assignments: z.array(subscriptionAssignment),
});
export type GetSubscriptionAssignmentsResponse = z.infer<typeof getSubscriptionAssignmentsResponse>;

export const associateSubscriptionsRequest = z.looseObject({
  adamIds: z.array(z.int()),
  clientUserIds: z.array(z.string()),
  renewing: z.boolean().optional(),
});
export type AssociateSubscriptionsRequest = z.infer<typeof associateSubscriptionsRequest>;

// ---------------------------------------------------------------------------------------
// sToken: base64 of JSON {token, expDate, orgName}; expDate like "2030-11-08T22:33:22+0000".
// https://developer.apple.com/documentation/devicemanagement/getting-started-with-the-management-api
// ---------------------------------------------------------------------------------------

export const sTokenPayload = z.looseObject({
  token: z.string().min(1),
  expDate: z.string().min(1),
  orgName: z.string(),
});
export type STokenPayload = z.infer<typeof sTokenPayload>;

/** The sToken file content as Apple delivers it (base64 text). */
export const encodedSToken = z.string().regex(/^\s*[A-Za-z0-9+/=_-]+\s*$/);
