import type { Decision, RefuseReason, RuleId, WaitReason } from "../licensing/index.js";

/**
 * Decisions and rule ids in plain English, for `explain`, `what-if` and the console.
 * Pure: the words come from docs/RULES.md, one sentence per rule.
 */
export const RULE_SENTENCES: Record<RuleId, string> = {
  MA1: "Licenses are taken from the space's accounts in priority order (1 = first).",
  MA2: "An account is used only if the subject is eligible there; when it has no free license, the next eligible account is used.",
  MA3: "Changing account priorities never revokes or moves an existing license.",
  MA4: "Revoke all licenses of an app revokes it in every account of the space.",
  MA5: "A reservation beats priority: the reserved license is used.",
  MA6: "A new account is added last; moving one shifts the others.",
  LT1: "The assignment decides the type: to a device is device-based, to a user is user-based.",
  LT2: "A license is assigned when the app is installed on a device or requested for a user.",
  LT3: "When no license can be had, the user may buy the app themselves.",
  LT4: "A user who already holds a user-based license for the app keeps using it; no second license is used.",
  LT5: "A shared iPad only takes device-based licenses.",
  LT6: "A Mac only takes device-based licenses.",
  DB1: "Device-based licenses need no enrollment and no Apple Account.",
  DB2: "A mandatory app waits for a free license and is decided again at later check-ins.",
  DB3: "With a reservation for the app, the reserved license is used instead of an FCFS one.",
  DB4: "Updates of device-licensed apps follow the app's update mode.",
  DB5: "Device-based licensing is refused for an app Apple marks not device-assignable.",
  UB1: "A user-based license follows its user across devices.",
  UB2: "A user must accept the Apps and Books invitation before holding a user-based license.",
  UB3: "A mandatory user-licensed app is installed only for an enrolled user with a free license.",
  UB4: "When a user enrolls, their waiting mandatory apps are decided again.",
  CA1: "An app is added to the catalog with its distribution and install options.",
  CA2: "An account's token page shows creation date, location and expiry.",
  CA3: "Licenses are given only for catalog apps, in a space where Apps and Books is on and an account exists.",
  AC1: "A new account can give every app FCFS to All Users automatically.",
  AC2: "A token can be replaced; a token of another location needs the previous data cleared.",
  AC3: "A resync reads every app and license of the account from Apple again.",
  AC4: "An account's priority can be changed.",
  AC5: "Deleting an account releases every license it gave.",
  AC6: "A token is used by one MDM only; taking it over is an explicit action.",
  DI1: "Each account's apps have FCFS, Reserved and Prohibited lists.",
  DI2: "FCFS gives a requested app a user-based license and a mandatory app a device-based one by default.",
  DI3: "Reserved beats FCFS.",
  DI4: "A prohibited user gets no license for the app from that account.",
  DI5: "The log shows, per license, the subject, type, assignment date and last action.",
  DI6: "A reservation holds one seat; reserved seats are never given by FCFS.",
  DI7: "Prohibited beats Reserved beats FCFS; a device is FCFS-eligible through its user's groups.",
  VU1: "A user's License usage lists the apps on their devices with their licenses.",
  VU2: "An app's account tab shows its FCFS, Reserved and Prohibited lists and the log.",
  VU3: "A device's installed apps show their license type.",
  VU4: "The Apps and Books page shows price, total, available and used counts per app.",
  VU5: "An app's License usage is searchable by user name.",
  NT1: "License usage notifications are raised at 50, 70, 80, 90 and 100 %.",
  NT2: "No new license is taken from an account whose token has a problem.",
  NT3: "Notifications are listed with trigger, severity, type and component.",
  RV1: "Licenses are revoked when a device goes inactive, is retired or wiped, or the app or account is deleted.",
  RV2: "An administrator can revoke one license or all licenses of an app.",
  RV3: "A revoked iOS app stays usable for 30 days; revocation never uninstalls.",
  RV4: "A user's license can be revoked from the app's License usage tab.",
  RV5: "Deleting a user or removing the MDM profile revokes their licenses.",
  PB1: "On iOS, removing an app from a user's distribution uninstalls it and revokes the license.",
  PB2: "On macOS, removing an app revokes licenses without uninstalling.",
  TR1: "Moving a device to another space revokes its licenses in the old space.",
  TR2: "A moved device takes a license in the new space first, then gives up the old one.",
  PM1: "Managing Apps and Books needs the App and content management role in the space.",
};

const WAIT: Record<WaitReason, string> = {
  not_enrolled: "it waits until the user accepts the Apps and Books invitation",
  no_license: "it waits for a license to free up",
  token_problem: "it waits until the account's token works again",
};

const REFUSE: Record<RefuseReason, string> = {
  apps_and_books_disabled: "Apps and Books is turned off in this space",
  no_account: "this space has no Apps and Books account",
  not_in_catalog: "the app is not in this space's catalog",
  not_bought: "no account of this space bought the app",
  prohibited: "the user is prohibited from the app in every account that has it",
  not_eligible: "no account's rules for the app cover this subject",
  not_device_assignable: "Apple does not allow device-based licenses for this app",
  no_user: "a user-based license needs a user and the device has none",
  no_device: "a device-based license needs a device",
  device_inactive: "the device is not active",
  not_distributed: "the app was removed from this user's catalog distribution",
  no_license: "every eligible account has used all its licenses",
};

export interface Described {
  outcome: Decision["outcome"];
  summary: string;
  rules: Array<{ id: RuleId; sentence: string }>;
}

/** `accountName` turns an account id into its display name when known. */
export function describe(decision: Decision, accountName: (id: string) => string = (id) => id): Described {
  return {
    outcome: decision.outcome,
    summary: summaryOf(decision, accountName),
    rules: describeRules(decision.because),
  };
}

export function describeRules(ids: readonly RuleId[]): Array<{ id: RuleId; sentence: string }> {
  return [...new Set(ids)].map((id) => ({ id, sentence: RULE_SENTENCES[id] }));
}

function summaryOf(decision: Decision, accountName: (id: string) => string): string {
  const selfPurchase = "userMay" in decision && decision.userMay === "self_purchase";
  const buy = selfPurchase ? " The user may still buy the app themselves." : "";
  switch (decision.outcome) {
    case "grant":
      return `A ${decision.type}-based ${decision.reserved ? "reserved " : ""}license would be granted from account "${accountName(decision.accountId)}".`;
    case "keep":
      return `The subject already holds a ${decision.type}-based license from account "${accountName(decision.accountId)}" and keeps it.`;
    case "wait":
      return `No license now: ${WAIT[decision.reason]}.${buy}`;
    case "refuse":
      return `No license: ${REFUSE[decision.reason]}.${buy}`;
  }
}
