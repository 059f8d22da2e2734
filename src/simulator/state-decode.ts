/**
 * Reading a state file's JSON (format: state-json.ts) back into a SavedState, checking
 * every field on the way; cross-checks between parts happen in restoreWorld.
 */
import type { SimAppMetadata } from "./app-metadata.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import type { ClientConfig, SimEvent } from "./location.js";
import {
  array,
  bool,
  date,
  type Fields,
  int,
  ints,
  object,
  oneOf,
  optionalString,
  StateFormatError,
  string,
  strings,
} from "./state-check.js";
import { STATE_FORMAT, STATE_VERSION } from "./state-json.js";
import type { SavedLocation, SavedState } from "./state-world.js";
import type { SavedSubjects } from "./subjects.js";
import type { UserRecord } from "./user-table.js";

/** The state in a state file's text; throws StateFormatError for anything else. */
export function decodeState(text: string): SavedState {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateFormatError(`not JSON (${(error as Error).message})`);
  }
  const root = object(parsed, "file");
  if (root.format !== STATE_FORMAT) throw new StateFormatError(`not an ${STATE_FORMAT} file`);
  if (root.version !== STATE_VERSION) {
    throw new StateFormatError(`version ${String(root.version)} is not the supported ${STATE_VERSION}`);
  }
  const prng = object(root.prng, "prng");
  return {
    prng: {
      ids: int(prng.ids, "prng.ids", 0, 0xffffffff),
      faults: int(prng.faults, "prng.faults", 0, 0xffffffff),
    },
    limits: decodeLimits(object(root.limits, "limits")),
    tokens: array(root.tokens, "tokens").map((value, i) => {
      const t = object(value, `tokens[${i}]`);
      const at = `tokens[${i}]`;
      return {
        secret: string(t.secret, `${at}.secret`),
        uId: string(t.uId, `${at}.uId`),
        revoked: bool(t.revoked, `${at}.revoked`),
      };
    }),
    locations: array(root.locations, "locations").map((value, i) => decodeLocation(value, `locations[${i}]`)),
    ...(root.metadata === undefined
      ? {}
      : { metadata: array(root.metadata, "metadata").map((m, i) => decodeMetadata(m, `metadata[${i}]`)) }),
  };
}

function decodeMetadata(value: unknown, at: string): SimAppMetadata {
  const m = object(value, at);
  if (typeof m.price !== "number" || !Number.isFinite(m.price) || m.price < 0) {
    throw new StateFormatError(`${at}.price: expected a price >= 0`);
  }
  const metadata: SimAppMetadata = {
    adamId: string(m.adamId, `${at}.adamId`),
    productType: oneOf(m.productType, `${at}.productType`, ["App", "Book"] as const),
    name: string(m.name, `${at}.name`),
    version: string(m.version, `${at}.version`),
    genre: string(m.genre, `${at}.genre`),
    price: m.price,
    custom: bool(m.custom, `${at}.custom`),
  };
  const bundleId = optionalString(m.bundleId, `${at}.bundleId`);
  if (bundleId !== undefined) metadata.bundleId = bundleId;
  if (m.storefronts !== undefined)
    metadata.storefronts = array(m.storefronts, `${at}.storefronts`).map((c, i) =>
      string(c, `${at}.storefronts[${i}]`),
    );
  return metadata;
}

function decodeLimits(o: Fields): Limits {
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof Limits>) {
    if (o[key] !== undefined) limits[key] = int(o[key], `limits.${key}`, 1);
  }
  return limits;
}

function decodeLocation(value: unknown, at: string): SavedLocation {
  const o = object(value, at);
  const seq = int(o.seq, `${at}.seq`, 1);
  const assets = array(o.assets, `${at}.assets`).map((a, i) => decodeAsset(a, `${at}.assets[${i}]`));
  const serials = decodeSubjects(o.serials, `${at}.serials`);
  const userIds = decodeSubjects(o.userIds, `${at}.userIds`);
  const rows = object(o.assignments, `${at}.assignments`);
  return {
    uId: string(o.uId, `${at}.uId`),
    orgName: string(o.orgName, `${at}.orgName`),
    locationName: string(o.locationName, `${at}.locationName`),
    countryISO2ACode: string(o.countryISO2ACode, `${at}.countryISO2ACode`),
    versionSalt: string(o.versionSalt, `${at}.versionSalt`),
    seq,
    currentToken: string(o.currentToken, `${at}.currentToken`),
    tokenExpiresAt: date(o.tokenExpiresAt, `${at}.tokenExpiresAt`),
    clientConfig: decodeClientConfig(o.clientConfig, `${at}.clientConfig`),
    assets,
    users: array(o.users, `${at}.users`).map((u, i) => decodeUser(u, `${at}.users[${i}]`, seq)),
    events: array(o.events, `${at}.events`).map((e, i) => decodeEvent(e, `${at}.events[${i}]`)),
    serials,
    userIds,
    assignments: {
      asset: ints(rows.asset, `${at}.assignments.asset`),
      subject: ints(rows.subject, `${at}.assignments.subject`),
      logRows: ints(rows.logRows, `${at}.assignments.logRows`),
      logSeqs: ints(rows.logSeqs, `${at}.assignments.logSeqs`),
      logFloor: int(rows.logFloor, `${at}.assignments.logFloor`),
    },
  };
}

function decodeAsset(value: unknown, at: string): SavedLocation["assets"][number] {
  const a = object(value, at);
  const totalCount = int(a.totalCount, `${at}.totalCount`);
  return {
    adamId: string(a.adamId, `${at}.adamId`),
    pricingParam: oneOf(a.pricingParam, `${at}.pricingParam`, ["STDQ", "PLUS"] as const),
    productType: oneOf(a.productType, `${at}.productType`, ["App", "Book"] as const),
    totalCount,
    assignedCount: int(a.assignedCount, `${at}.assignedCount`, 0, totalCount),
    retiredCount: int(a.retiredCount, `${at}.retiredCount`),
    deviceAssignable: bool(a.deviceAssignable, `${at}.deviceAssignable`),
    revocable: bool(a.revocable, `${at}.revocable`),
    supportedPlatforms: strings(a.supportedPlatforms, `${at}.supportedPlatforms`),
  };
}

function decodeClientConfig(value: unknown, at: string): ClientConfig {
  const c = object(value, at);
  const config: ClientConfig = { notificationTypes: strings(c.notificationTypes, `${at}.notificationTypes`) };
  if (c.mdmInfo !== undefined) {
    const m = object(c.mdmInfo, `${at}.mdmInfo`);
    config.mdmInfo = {
      id: string(m.id, `${at}.mdmInfo.id`),
      name: string(m.name, `${at}.mdmInfo.name`),
      metadata: string(m.metadata, `${at}.mdmInfo.metadata`),
    };
  }
  const url = optionalString(c.notificationUrl, `${at}.notificationUrl`);
  const token = optionalString(c.notificationAuthToken, `${at}.notificationAuthToken`);
  if (url !== undefined) config.notificationUrl = url;
  if (token !== undefined) config.notificationAuthToken = token;
  return config;
}

function decodeUser(value: unknown, at: string, maxSeq: number): UserRecord {
  const u = object(value, at);
  const user: UserRecord = {
    clientUserId: string(u.clientUserId, `${at}.clientUserId`),
    status: oneOf(u.status, `${at}.status`, ["Registered", "Associated", "Retired"] as const),
    seq: int(u.seq, `${at}.seq`, 0, maxSeq),
  };
  for (const key of ["email", "managedAppleId", "inviteCode", "idHash"] as const) {
    const text = optionalString(u[key], `${at}.${key}`);
    if (text !== undefined) user[key] = text;
  }
  return user;
}

function decodeEvent(value: unknown, at: string): SimEvent {
  const e = object(value, at);
  return {
    eventId: string(e.eventId, `${at}.eventId`),
    eventType: oneOf(e.eventType, `${at}.eventType`, [
      "ASSOCIATE",
      "DISASSOCIATE",
      "REVOKE",
      "CREATE",
      "UPDATE",
      "RETIRE",
    ] as const),
    eventStatus: oneOf(e.eventStatus, `${at}.eventStatus`, ["PENDING", "COMPLETE", "FAILED"] as const),
    numRequested: int(e.numRequested, `${at}.numRequested`),
    numCompleted: int(e.numCompleted, `${at}.numCompleted`),
    failures: array(e.failures, `${at}.failures`).map((f, i) => {
      const where = `${at}.failures[${i}]`;
      const o = object(f, where);
      const failure: SimEvent["failures"][number] = {
        errorNumber: int(o.errorNumber, `${where}.errorNumber`),
        errorMessage: string(o.errorMessage, `${where}.errorMessage`),
      };
      if (o.errorInfo !== undefined) {
        const info = object(o.errorInfo, `${where}.errorInfo`);
        failure.errorInfo = {};
        if (info.clientUserIds !== undefined) {
          failure.errorInfo.clientUserIds = strings(info.clientUserIds, `${where}.errorInfo.clientUserIds`);
        }
        if (info.serialNumbers !== undefined) {
          failure.errorInfo.serialNumbers = strings(info.serialNumbers, `${where}.errorInfo.serialNumbers`);
        }
      }
      return failure;
    }),
  };
}

function decodeSubjects(value: unknown, at: string): SavedSubjects {
  const o = object(value, at);
  const nextId = int(o.nextId, `${at}.nextId`, 0, 2 ** 30 - 1);
  return {
    nextId,
    seeded: array(o.seeded, `${at}.seeded`).map((b, i) => {
      const block = array(b, `${at}.seeded[${i}]`);
      if (block.length !== 2) throw new StateFormatError(`${at}.seeded[${i}]: expected [start, end]`);
      return [int(block[0], `${at}.seeded[${i}][0]`), int(block[1], `${at}.seeded[${i}][1]`)];
    }),
    names: strings(o.names, `${at}.names`),
  };
}
