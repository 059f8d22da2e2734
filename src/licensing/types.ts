/**
 * The licensing vocabulary as plain data. Nothing here knows of a database, HTTP or
 * a clock: the store loads these shapes, the engine decides over them.
 * See README.md in this folder for the terminology.
 */
import type { RuleId } from "./rules.js";

/** User-based (assigned to an enrolled user) or device-based (to a serial number). LT1. */
export type LicenseType = "user" | "device";

/** Apple's platform names for assets and devices; macOS behaves apart (LT6, PB2, RV3). */
export type Platform = "iOS" | "macOS" | "tvOS" | "visionOS" | "watchOS";

/** The group every user of a space belongs to (AC1: "All Users" FCFS). */
export const ALL_USERS = "all-users";

/**
 * Life of a license in Orchard:
 * - `pending_assign`: seat reserved here, association queued for Apple (counts as used);
 * - `assigned`: Apple confirmed the association;
 * - `pending_release`: disassociation queued for Apple (seat still counted until Apple confirms);
 * - `in_grace`: released at Apple, the iOS app stays usable for 30 days (RV3);
 * - `released`: gone.
 */
export type LicenseState = "pending_assign" | "assigned" | "pending_release" | "in_grace" | "released";

/** States that hold a seat of the account (invariant 1 counts these). */
export const SEAT_HOLDING_STATES: readonly LicenseState[] = ["pending_assign", "assigned", "pending_release"];
/** States in which the subject may use the app through this license (invariant 2: one per subject). */
export const LIVE_STATES: readonly LicenseState[] = ["pending_assign", "assigned"];

export interface License {
  id: string;
  spaceId: string;
  accountId: string;
  adamId: string;
  type: LicenseType;
  /** Set for user-based licenses. */
  userId?: string;
  /** Set for device-based licenses. */
  deviceId?: string;
  state: LicenseState;
  /** End of the 30-day iOS grace (RV3), when in grace. */
  graceUntil?: Date;
}

export interface User {
  id: string;
  spaceId: string;
  /** Accepted the Apps and Books invitation (Apple status `Associated`). UB2. */
  enrolled: boolean;
  groupIds: readonly string[];
}

export interface Device {
  id: string;
  spaceId: string;
  serialNumber: string;
  platform: Platform;
  sharedIpad: boolean;
  supervised: boolean;
  /** The device's assigned user, if any (DI7: FCFS through the user's groups). */
  userId?: string;
  /** Retired, wiped, inactive or unenrolled devices are not `active`. */
  active: boolean;
}

/** One account's purchase of an app: Apple's asset, with Orchard's own seat count. */
export interface Asset {
  adamId: string;
  pricingParam: "STDQ" | "PLUS";
  productType: "App" | "Book";
  /** Licenses bought (Apple's totalCount). */
  total: number;
  /** Seats held by Orchard's licenses (SEAT_HOLDING_STATES) plus assignments made outside Orchard. */
  used: number;
  /** Apple allows device-based assignment (books never). LT5, DB5. */
  deviceAssignable: boolean;
  /** Where the app runs (Apple's supportedPlatforms, PB3); empty: Apple did not say, so anywhere. */
  platforms: readonly Platform[];
}

/** License rules of one (account, app): DI1-DI7. */
export interface DistributionRules {
  /** FCFS for user groups, with the type given for each kind of request (DI2). */
  fcfs?: {
    groupIds: readonly string[];
    requestedType: LicenseType;
    mandatoryType: LicenseType;
  };
  reservedUserIds: readonly string[];
  reservedDeviceIds: readonly string[];
  prohibitedUserIds: readonly string[];
  /** Reservations on this (account, app) whose holder holds no license from it yet: seats FCFS may not take (DI6). */
  unusedReservations: number;
}

export interface AccountForApp {
  id: string;
  spaceId: string;
  /** 1 = first (MA1). */
  priority: number;
  /** False while the token has a problem (NT2): no new license is taken from it. */
  usable: boolean;
  /** Undefined when this account did not buy the app. */
  asset?: Asset;
  rules: DistributionRules;
}

/** Why a license is wanted. */
export type RequestReason =
  /** The user chose to install the app from the catalog (DI2: user-based by default). */
  | "requested"
  /** "Install on device": the MDM installs it (DI2: device-based by default). */
  | "mandatory"
  /** Decided again at a device check-in: a mandatory app still waiting, or an installed app (DB2, TR2). */
  | "check_in";

export type Subject = { kind: "user"; userId: string } | { kind: "device"; deviceId: string };

export interface LicenseRequest {
  spaceId: string;
  adamId: string;
  subject: Subject;
  why: RequestReason;
}

/** Everything `decide` needs to know about one (space, app, subject). */
export interface DecisionWorld {
  space: { id: string; appsAndBooksEnabled: boolean };
  /** The app as the space's catalog has it; undefined when not in the catalog (CA3). */
  catalogApp?: { adamId: string };
  /** The accounts whose licenses serve this space for this app, in any order. */
  accounts: readonly AccountForApp[];
  /** The subject user, or the device's assigned user. */
  user?: User;
  /** The subject device (for a device request; optional context for a user request). */
  device?: Device;
  /** The subject's (user's and device's) licenses for this app in this space. */
  licenses: readonly License[];
  /** PB1: the app was removed from the (device's) user's catalog distribution. */
  notDistributedToUser?: boolean;
  /**
   * MA2, DB2: the accounts whose assignment of the app to this subject Apple refused for
   * good (not 9709, not a refusal to try later): passed over for this subject, as Apple would
   * only refuse again, until an administrator sends the request again. Another eligible
   * account may still serve it; when none can, it waits (`apple_refused`).
   */
  appleRefusedAccountIds?: readonly string[];
}

export type RefuseReason =
  | "apps_and_books_disabled"
  | "no_account"
  | "not_in_catalog"
  | "not_bought"
  | "prohibited"
  | "not_eligible"
  | "not_device_assignable"
  | "no_user"
  | "no_device"
  | "device_inactive"
  | "not_distributed"
  | "unsupported_platform"
  /** LT6: a user-based license for an app that runs on macOS only, which takes device-based ones only. */
  | "mac_only_app"
  | "no_license";

/**
 * `apple_refused`: Apple refused the subject's assignment for good (not 9709, not a refusal
 * to try later) in every account that could serve it (MA2): the request waits with Apple's
 * reason until an administrator sends it again (DB2: never dropped, never sent again in a loop).
 */
export type WaitReason = "not_enrolled" | "no_license" | "token_problem" | "apple_refused";

export type Decision =
  | { outcome: "grant"; accountId: string; type: LicenseType; reserved: boolean; because: RuleId[] }
  | { outcome: "keep"; licenseId: string; accountId: string; type: LicenseType; because: RuleId[] }
  | { outcome: "wait"; reason: WaitReason; userMay?: "self_purchase"; because: RuleId[] }
  | { outcome: "refuse"; reason: RefuseReason; userMay?: "self_purchase"; because: RuleId[] };
