import { appRunsOn } from "./platforms.js";
import type { RuleId } from "./rules.js";
import { type DecisionTrace, recordStep } from "./trace.js";
import {
  type AccountForApp,
  ALL_USERS,
  type Asset,
  type Decision,
  type DecisionWorld,
  LIVE_STATES,
  type License,
  type LicenseRequest,
  type LicenseType,
  type User,
} from "./types.js";
import { validateWorld } from "./validate.js";

/**
 * Decides whether a subject gets a license for an app now, from which account and of
 * which type, and says why with the rule ids of docs/RULES.md. Pure: the same request
 * and world always give the same decision.
 *
 * Order of the questions: is Apps and Books on here (CA3) -> does the subject already
 * hold a license (LT4; kept even on a platform the app does not run on, PB3) -> did an
 * account buy the app (MA1) -> does it run on the device's platform (PB3) -> does the
 * subject hold a reservation, in priority order (MA5, DI3, DB3) -> FCFS in priority order
 * among the accounts where it is eligible (MA1, MA2, DI7). An account whose assignment to
 * the subject Apple refused for good is passed over in both (MA2, DB2); when only such
 * accounts could serve, the request waits for an administrator (`apple_refused`).
 *
 * `trace`, when given, receives the walk over the accounts as decide() makes it: each
 * account it looked at, in priority order, with the verdict and rule ids that made it go
 * on, and what the accounts it never reached would have said. Without it nothing is
 * recorded (the hot path of allocation pays one `undefined` check per account).
 */
export function decide(request: LicenseRequest, world: DecisionWorld, trace?: DecisionTrace): Decision {
  validateWorld(request, world);
  const device = world.device;

  if (!world.space.appsAndBooksEnabled) return refuse("apps_and_books_disabled", ["CA3"]);
  if (world.accounts.length === 0) return refuse("no_account", ["CA3"]);
  if (!world.catalogApp) return refuse("not_in_catalog", ["CA3"]);
  if (device && !device.active) return refuse("device_inactive", ["RV1"]);
  // PB1: out of the user's catalog distribution, the app is neither licensed nor installed.
  if (world.user && world.notDistributedToUser && !device?.sharedIpad)
    return refuse("not_distributed", ["PB1"]);

  // LT5, LT6: shared iPads and Macs only take device-based licenses.
  const forcedDevice: RuleId | undefined = device?.sharedIpad
    ? "LT5"
    : device?.platform === "macOS"
      ? "LT6"
      : undefined;

  const bought = world.accounts.flatMap((account) => (account.asset ? [account.asset] : []));
  // PB3: the device's platform is not one the app runs on (missing data never refuses).
  const unsupported = device !== undefined && !appRunsOn(bought, device.platform);

  const held = heldLicense(request, world, forcedDevice !== undefined);
  if (held) {
    const because: RuleId[] = held.type === "user" ? ["LT4", "UB1"] : ["LT1"];
    // PB3: a license held already is kept (never revoked by this rule); `because` says so.
    if (unsupported) because.push("PB3");
    return { outcome: "keep", licenseId: held.id, accountId: held.accountId, type: held.type, because };
  }

  const accounts = world.accounts
    .filter((account) => account.asset !== undefined)
    .sort((a, b) => a.priority - b.priority || a.id.localeCompare(b.id));
  if (trace) {
    for (const account of world.accounts)
      if (account.asset === undefined) recordStep(trace, account, "fcfs", "not_bought", true, ["MA1"]);
  }
  if (accounts.length === 0) return refuse("not_bought", ["MA1"]);
  if (unsupported) return refuse("unsupported_platform", ["PB3"]);
  // LT6: a user's own request (no device) for an app that runs on macOS only would get a
  // user-based license, which macOS does not take: the Mac's device-based one is the way.
  if (!device && macOnly(bought)) return refuse("mac_only_app", ["LT6", "PB3"]);

  const walk = { appleRefused: false };
  const reserved = decideReserved(request, world, accounts, forcedDevice, trace, walk);
  if (reserved) {
    // MA5: the reservation decided; what FCFS would have said at each account, from the same walk.
    if (trace) decideFcfs(request, world, accounts, forcedDevice, trace, "MA5", false);
    return reserved;
  }
  return decideFcfs(request, world, accounts, forcedDevice, trace, true, walk.appleRefused);
}

/** Every account's asset lists its platforms, and they are macOS alone (missing data never refuses). */
function macOnly(assets: readonly Pick<Asset, "platforms">[]): boolean {
  return (
    assets.length > 0 &&
    assets.every((a) => a.platforms.length > 0 && a.platforms.every((p) => p === "macOS"))
  );
}

/** MA2, DB2: Apple refused this account's assignment of the app to the subject for good. */
function refusedByApple(world: DecisionWorld, account: AccountForApp): boolean {
  return world.appleRefusedAccountIds?.includes(account.id) === true;
}

/**
 * DB2, UB3: only accounts Apple refused could serve: the request waits for an administrator
 * (MA2). LT3: no license can be had meanwhile, so whoever has a user may buy it themselves.
 */
function heldByApple(world: DecisionWorld): Decision {
  const because: RuleId[] = ["MA2", "DB2", "UB3"];
  if (!world.user) return { outcome: "wait", reason: "apple_refused", because };
  return { outcome: "wait", reason: "apple_refused", userMay: "self_purchase", because: [...because, "LT3"] };
}

/** The subject's live license for the app, if it has one it may use here. */
function heldLicense(
  request: LicenseRequest,
  world: DecisionWorld,
  deviceOnly: boolean,
): License | undefined {
  const live = world.licenses.filter((l) => l.adamId === request.adamId && LIVE_STATES.includes(l.state));
  const { user, device } = world;
  const onDevice = device && live.find((l) => l.type === "device" && l.deviceId === device.id);
  if (onDevice) return onDevice;
  // LT4: a user-based license follows its user (UB1), except onto a shared iPad or a Mac.
  if (user && !deviceOnly) return live.find((l) => l.type === "user" && l.userId === user.id);
  return undefined;
}

/** MA5, DI3, DB3: the highest-priority reservation wins, with the reservation's type. */
function decideReserved(
  request: LicenseRequest,
  world: DecisionWorld,
  accounts: readonly AccountForApp[],
  forcedDevice: RuleId | undefined,
  trace: DecisionTrace | undefined,
  walk: { appleRefused: boolean },
): Decision | undefined {
  const { user, device } = world;
  const byInstall: RuleId[] = request.why === "requested" ? [] : ["DB3"];
  let awaitingEnrollment = false;
  let reservedBehindTokenProblem = false;
  for (const account of accounts) {
    const rules = account.rules;
    const forDevice = device !== undefined && rules.reservedDeviceIds.includes(device.id);
    // A user reservation is user-based: it cannot serve a shared iPad or a Mac (LT5, LT6).
    const forUser = !forcedDevice && user !== undefined && rules.reservedUserIds.includes(user.id);
    if (!forDevice && !forUser) continue;
    if (refusedByApple(world, account)) {
      walk.appleRefused = true; // MA2: another reservation, or FCFS elsewhere, may still serve
      if (trace) recordStep(trace, account, "reserved", "apple_refused", true, ["MA2", "DB2"]);
      continue;
    }
    if (!account.usable) {
      reservedBehindTokenProblem = true; // DB3: the reserved seat is the one to use, once the token is fixed
      if (trace) recordStep(trace, account, "reserved", "token_problem", true, ["DB3", "NT2"]);
      continue;
    }
    const asset = account.asset;
    if (!asset || asset.total - asset.used <= 0) {
      if (trace) recordStep(trace, account, "reserved", "full", true, ["MA2", "DI6"]);
      continue; // its seat was refunded: fall through
    }
    if (forDevice && asset.deviceAssignable) {
      if (trace) recordStep(trace, account, "reserved", "grant", true, ["MA5", "DI3", "DI6"], "device");
      return grant(account, "device", true, ["MA5", "DI3", ...byInstall, "LT1", "DI6"]);
    }
    if (!forUser) {
      if (trace) recordStep(trace, account, "reserved", "not_device_assignable", true, ["DB5"], "device");
      continue;
    }
    if (user && !user.enrolled) {
      awaitingEnrollment = true; // a device reservation further down may still serve now
      if (trace) recordStep(trace, account, "reserved", "not_enrolled", true, ["UB2", "UB3"], "user");
      continue;
    }
    if (trace) recordStep(trace, account, "reserved", "grant", true, ["MA5", "DI3", "DI6"], "user");
    return grant(account, "user", true, ["MA5", "DI3", ...byInstall, "LT1", "DI6"]);
  }
  // DB3: the reserved license is the one to use: no FCFS seat while it waits for enrollment.
  if (reservedBehindTokenProblem) {
    return { outcome: "wait", reason: "token_problem", because: ["MA5", "DB3", "NT2"] };
  }
  if (awaitingEnrollment) {
    return { outcome: "wait", reason: "not_enrolled", because: ["MA5", "DI3", ...byInstall, "UB2", "UB3"] };
  }
  return undefined;
}

/** DI7: FCFS reaches a user through its groups, a device through its user's groups, or All Users. */
function fcfsCovers(groupIds: readonly string[], user: User | undefined): boolean {
  if (groupIds.includes(ALL_USERS)) return true;
  return user?.groupIds.some((g) => groupIds.includes(g)) ?? false;
}

/**
 * MA1, MA2: the first account in priority order where FCFS covers the subject and has a
 * seat. `reached` is true for the walk that decides; a trace also walks, with the rule
 * that decided first (MA1 or MA5), the accounts the decision never reached.
 * `refusedBefore`: Apple refused the subject at a reserved account already (MA2, DB2).
 */
function decideFcfs(
  request: LicenseRequest,
  world: DecisionWorld,
  accounts: readonly AccountForApp[],
  forcedDevice: RuleId | undefined,
  trace: DecisionTrace | undefined,
  reached: RuleId | true,
  refusedBefore: boolean,
): Decision {
  const { user, device } = world;
  const seen = {
    appleRefused: refusedBefore,
    prohibited: false,
    eligible: false,
    full: false,
    fullDevice: false,
    notEnrolled: false,
    tokenProblem: false,
    notDeviceAssignable: false,
    noUser: false,
    noDevice: false,
  };
  for (let i = 0; i < accounts.length; i++) {
    const account = accounts[i] as AccountForApp;
    const fcfs = account.rules.fcfs;
    if (user && account.rules.prohibitedUserIds.includes(user.id)) {
      seen.prohibited = true; // DI4: per account; another account may still license
      if (trace) recordStep(trace, account, "fcfs", "prohibited", reached, ["DI4", "DI7"]);
      continue;
    }
    if (!fcfs || !fcfsCovers(fcfs.groupIds, user)) {
      if (trace) recordStep(trace, account, "fcfs", "not_listed", reached, ["MA2", "DI7"]);
      continue; // MA2: not listed here
    }
    seen.eligible = true;
    if (refusedByApple(world, account)) {
      seen.appleRefused = true; // MA2: as an account without a free license, for this subject
      if (trace) recordStep(trace, account, "fcfs", "apple_refused", reached, ["MA2", "DB2"]);
      continue;
    }
    if (!account.usable) {
      seen.tokenProblem = true;
      if (trace) recordStep(trace, account, "fcfs", "token_problem", reached, ["NT2", "MA2"]);
      continue;
    }
    const type: LicenseType = forcedDevice
      ? "device"
      : request.why === "requested"
        ? fcfs.requestedType
        : fcfs.mandatoryType;
    const asset = account.asset;
    if (!asset) continue;
    if (type === "device" && !asset.deviceAssignable) {
      seen.notDeviceAssignable = true;
      if (trace) {
        const rule: RuleId = forcedDevice === "LT5" ? "LT5" : "DB5";
        recordStep(trace, account, "fcfs", "not_device_assignable", reached, [rule], type);
      }
      continue;
    }
    if (type === "device" && !device) {
      seen.noDevice = true;
      if (trace) recordStep(trace, account, "fcfs", "no_device", reached, ["LT1"], type);
      continue;
    }
    if (type === "user" && !user) {
      seen.noUser = true;
      if (trace) recordStep(trace, account, "fcfs", "no_user", reached, ["LT1", "DI7"], type);
      continue;
    }
    if (type === "user" && user && !user.enrolled) {
      seen.notEnrolled = true;
      if (trace) recordStep(trace, account, "fcfs", "not_enrolled", reached, ["UB2"], type);
      continue;
    }
    // DI6: seats held for reservations are not FCFS's to give.
    if (asset.total - asset.used - account.rules.unusedReservations <= 0) {
      seen.full = true;
      if (type === "device") seen.fullDevice = true;
      if (trace) {
        const because: RuleId[] = account.rules.unusedReservations > 0 ? ["MA2", "DI6"] : ["MA2"];
        recordStep(trace, account, "fcfs", "full", reached, because, type);
      }
      continue;
    }
    const because: RuleId[] = ["MA1", "DI2", "LT1"];
    if (seen.full || seen.tokenProblem || seen.notEnrolled || seen.appleRefused) because.push("MA2");
    if (seen.prohibited) because.push("DI4");
    if (forcedDevice) because.push(forcedDevice);
    if (type === "device" && request.why !== "requested") because.push("DB1");
    if (trace) {
      recordStep(trace, account, "fcfs", "grant", reached, ["MA1", "DI2"], type);
      // MA1: the accounts after this one are not reached; what each would have said.
      const rest = accounts.slice(i + 1);
      if (rest.length > 0)
        decideFcfs(request, world, rest, forcedDevice, trace, reached === true ? "MA1" : reached, false);
    }
    return grant(account, type, false, because);
  }
  return noLicense(request, world, seen, forcedDevice);
}

function noLicense(
  request: LicenseRequest,
  world: DecisionWorld,
  seen: Record<
    | "appleRefused"
    | "prohibited"
    | "eligible"
    | "full"
    | "fullDevice"
    | "notEnrolled"
    | "tokenProblem"
    | "notDeviceAssignable"
    | "noUser"
    | "noDevice",
    boolean
  >,
  forcedDevice: RuleId | undefined,
): Decision {
  // LT3: whoever has a user may still buy the app themselves, requested or mandatory.
  const selfPurchase = world.user ? ({ userMay: "self_purchase" } as const) : {};
  const installing = request.why !== "requested";
  if (seen.notEnrolled) {
    return { outcome: "wait", reason: "not_enrolled", because: installing ? ["UB2", "UB3"] : ["UB2"] };
  }
  if (seen.tokenProblem) return { outcome: "wait", reason: "token_problem", because: ["NT2"] };
  if (seen.full) {
    if (installing) {
      // DB2 / UB3: a mandatory install waits for the next free seat, in order of request.
      const because: RuleId[] = [seen.fullDevice ? "DB2" : "UB3"];
      if (world.user) because.push("LT3");
      if (seen.appleRefused) because.push("MA2");
      return { outcome: "wait", reason: "no_license", ...selfPurchase, because };
    }
    if (!seen.appleRefused)
      return { outcome: "refuse", reason: "no_license", ...selfPurchase, because: ["LT3", "MA2"] };
  }
  // MA2, DB2: an account Apple refused would have served; no other can: an administrator's turn.
  if (seen.appleRefused) return heldByApple(world);
  if (seen.notDeviceAssignable) {
    const rule: RuleId = forcedDevice === "LT5" ? "LT5" : "DB5";
    return {
      outcome: "refuse",
      reason: "not_device_assignable",
      ...selfPurchase,
      because: world.user ? [rule, "LT3"] : [rule],
    };
  }
  if (seen.noDevice) return { outcome: "refuse", reason: "no_device", ...selfPurchase, because: ["LT1"] };
  if (seen.noUser) return refuse("no_user", ["LT1", "DI7"]);
  if (seen.prohibited && !seen.eligible)
    return { outcome: "refuse", reason: "prohibited", ...selfPurchase, because: ["DI4", "DI7"] };
  return { outcome: "refuse", reason: "not_eligible", ...selfPurchase, because: ["MA2", "DI7"] };
}

function grant(account: AccountForApp, type: LicenseType, reserved: boolean, because: RuleId[]): Decision {
  return { outcome: "grant", accountId: account.id, type, reserved, because };
}

function refuse(reason: Extract<Decision, { outcome: "refuse" }>["reason"], because: RuleId[]): Decision {
  return { outcome: "refuse", reason, because };
}
