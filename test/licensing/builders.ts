import {
  type AccountForApp,
  ALL_USERS,
  type Asset,
  type DecisionWorld,
  type Device,
  type DistributionRules,
  type License,
  type LicenseRequest,
  type User,
} from "../../src/licensing/index.js";

/** Builders for engine worlds: named, small, readable in a test. */
export const SPACE = "space-1";
export const APP = "408709785";
export const NOW = new Date("2026-11-25T12:00:00Z");

export function user(id = "u1", overrides: Partial<User> = {}): User {
  return { id, spaceId: SPACE, enrolled: true, groupIds: [], ...overrides };
}

export function device(id = "d1", overrides: Partial<Device> = {}): Device {
  return {
    id,
    spaceId: SPACE,
    serialNumber: `SN-${id}`,
    platform: "iOS",
    sharedIpad: false,
    supervised: true,
    active: true,
    ...overrides,
  };
}

export function asset(total: number, used = 0, overrides: Partial<Asset> = {}): Asset {
  return {
    adamId: APP,
    pricingParam: "STDQ",
    productType: "App",
    total,
    used,
    deviceAssignable: true,
    platforms: ["iOS", "macOS"],
    ...overrides,
  };
}

export function rules(overrides: Partial<DistributionRules> = {}): DistributionRules {
  return {
    fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
    reservedUserIds: [],
    reservedDeviceIds: [],
    prohibitedUserIds: [],
    unusedReservations: 0,
    ...overrides,
  };
}

export function account(
  id: string,
  priority: number,
  a: Asset | undefined,
  r: Partial<DistributionRules> = {},
  overrides: Partial<AccountForApp> = {},
): AccountForApp {
  return { id, spaceId: SPACE, priority, usable: true, asset: a, rules: rules(r), ...overrides };
}

export function license(id: string, overrides: Partial<License>): License {
  return { id, spaceId: SPACE, accountId: "A", adamId: APP, type: "user", state: "assigned", ...overrides };
}

export function world(overrides: Partial<DecisionWorld> = {}): DecisionWorld {
  return {
    space: { id: SPACE, appsAndBooksEnabled: true },
    catalogApp: { adamId: APP },
    accounts: [account("A", 1, asset(10))],
    licenses: [],
    ...overrides,
  };
}

export function userRequest(userId = "u1", why: LicenseRequest["why"] = "requested"): LicenseRequest {
  return { spaceId: SPACE, adamId: APP, subject: { kind: "user", userId }, why };
}

export function deviceRequest(deviceId = "d1", why: LicenseRequest["why"] = "mandatory"): LicenseRequest {
  return { spaceId: SPACE, adamId: APP, subject: { kind: "device", deviceId }, why };
}
