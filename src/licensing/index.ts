export { decide } from "./decide.js";
export { LicensingError, type LicensingErrorCode } from "./errors.js";
export {
  type Consequences,
  consequencesOf,
  type EventWorld,
  endOfGrace,
  GRACE_DAYS,
  graceEnd,
  type LicenseEvent,
  type MdmCommand,
  type Release,
} from "./events.js";
export { appRunsOn } from "./platforms.js";
export { RULE_IDS, type RuleId } from "./rules.js";
export {
  type Severity,
  USAGE_THRESHOLDS,
  type UsageAlerts,
  usageAlerts,
  usagePercent,
} from "./thresholds.js";
export {
  type AccountStep,
  type AccountVerdict,
  type DecisionTrace,
  ELIGIBILITY_RULES,
  type Eligibility,
  newTrace,
} from "./trace.js";
export { planTransfer, type TransferInput, type TransferStep } from "./transfer.js";
export {
  type AccountForApp,
  ALL_USERS,
  type Asset,
  type Decision,
  type DecisionWorld,
  type Device,
  type DistributionRules,
  LIVE_STATES,
  type License,
  type LicenseRequest,
  type LicenseState,
  type LicenseType,
  type Platform,
  type RefuseReason,
  type RequestReason,
  SEAT_HOLDING_STATES,
  type Subject,
  type User,
  type WaitReason,
} from "./types.js";
