/**
 * The simulator's state as plain data (SavedState) and back: what a state file holds
 * (state-json.ts writes and reads it). Faults, request counts and queued notifications
 * are run-time controls, not state, and are not saved.
 */
import type { SimAppMetadata } from "./app-metadata.js";
import type { AssignmentRows } from "./assignment-table.js";
import { errorBody } from "./errors.js";
import type { Limits } from "./limits.js";
import { type Asset, type ClientConfig, Location, type SimEvent } from "./location.js";
import { type SavedSubjects, SERIAL } from "./subjects.js";
import type { UserRecord } from "./user-table.js";
import type { World } from "./world.js";

export interface SavedState {
  /** PRNG states, so that ids drawn after a restart never repeat earlier ones. */
  prng: { ids: number; faults: number };
  limits: Limits;
  tokens: Array<{ secret: string; uId: string; revoked: boolean }>;
  locations: SavedLocation[];
  /** The store's metadata by adamId; optional, absent from files written before it existed. */
  metadata?: SimAppMetadata[];
}

export interface SavedLocation {
  uId: string;
  orgName: string;
  locationName: string;
  countryISO2ACode: string;
  versionSalt: string;
  seq: number;
  currentToken: string;
  tokenExpiresAt: Date;
  clientConfig: ClientConfig;
  /** In index order (assignment rows refer to assets by index). */
  assets: Array<Omit<Asset, "index">>;
  users: UserRecord[];
  /** Oldest first, as Location.events forgets them. */
  events: SimEvent[];
  serials: SavedSubjects;
  userIds: SavedSubjects;
  assignments: AssignmentRows;
}

/** The world as data. Shares arrays and records with the live world: encode it at once. */
export function captureWorld(world: World, prng: SavedState["prng"]): SavedState {
  return {
    prng,
    limits: { ...world.limits },
    tokens: [...world.tokenRecords()].map(([secret, r]) => ({ secret, uId: r.uId, revoked: r.revoked })),
    locations: [...world.locations.values()].map((l) => ({
      uId: l.uId,
      orgName: l.orgName,
      locationName: l.locationName,
      countryISO2ACode: l.countryISO2ACode,
      versionSalt: l.versionSalt,
      seq: l.seq,
      currentToken: l.currentToken,
      tokenExpiresAt: l.tokenExpiresAt,
      clientConfig: l.clientConfig,
      assets: l.assets.map(({ index: _, ...asset }) => asset),
      users: l.users.records,
      events: [...l.events.values()],
      serials: l.serials.export(),
      userIds: l.userIds.export(),
      assignments: l.assignments.export(),
    })),
    metadata: [...world.metadata.values()],
  };
}

/**
 * Fills an empty world (built with the saved PRNG and limits) with the saved locations and
 * tokens; throws when the parts do not agree (counts, references, versions).
 */
export function restoreWorld(world: World, saved: SavedState): void {
  if (world.locations.size > 0) throw new Error("restoreWorld needs an empty world");
  for (const s of saved.locations) {
    if (world.locations.has(s.uId)) throw new Error(`location ${s.uId} appears twice`);
    world.locations.set(s.uId, restoreLocation(s));
  }
  for (const token of saved.tokens) {
    if (!world.locations.has(token.uId)) throw new Error(`a token names unknown location ${token.uId}`);
    world.restoreToken(token.secret, { uId: token.uId, revoked: token.revoked });
  }
  for (const m of saved.metadata ?? []) world.metadata.set(m.adamId, { ...m });
  const owners = new Map(saved.tokens.map((t) => [t.secret, t.uId]));
  for (const location of world.locations.values()) {
    if (owners.get(location.currentToken) !== location.uId) {
      throw new Error(`location ${location.uId} has no saved token of its own`);
    }
  }
}

function restoreLocation(s: SavedLocation): Location {
  const at = `location ${s.uId}`;
  const location = new Location(
    s.uId,
    s.orgName,
    s.locationName,
    s.countryISO2ACode,
    s.versionSalt,
    s.tokenExpiresAt,
  );
  location.seq = s.seq;
  location.currentToken = s.currentToken;
  location.clientConfig = s.clientConfig;
  for (const asset of s.assets) location.addAsset(asset);
  for (const user of s.users) {
    if (user.seq > s.seq) throw new Error(`${at}: user ${user.clientUserId} is newer than the location`);
    location.users.add(user);
  }
  for (const event of s.events) {
    // Saved while PENDING means the process stopped before applying it: it never ran.
    if (event.eventStatus === "PENDING") {
      event.eventStatus = "FAILED";
      event.failures = [errorBody(9603)];
    }
    location.rememberEvent(event);
  }
  location.serials.load(s.serials);
  location.userIds.load(s.userIds);
  checkRows(at, s);
  location.assignments.load(s.assignments);
  return location;
}

/** Every row names a known asset and subject, the log is ordered, and counts add up. */
function checkRows(at: string, s: SavedLocation): void {
  const rows = s.assignments;
  if (rows.asset.length !== rows.subject.length)
    throw new Error(`${at}: assignment columns differ in length`);
  const perAsset = new Array<number>(s.assets.length).fill(0);
  for (let row = 0; row < rows.asset.length; row++) {
    const assetIndex = rows.asset[row] as number;
    const ref = rows.subject[row] as number;
    const subjects = (ref & 1) === SERIAL ? s.serials.nextId : s.userIds.nextId;
    if (assetIndex >= s.assets.length) throw new Error(`${at}: assignment row ${row} names no asset`);
    if (ref >> 1 >= subjects) throw new Error(`${at}: assignment row ${row} names no subject`);
    perAsset[assetIndex] = (perAsset[assetIndex] ?? 0) + 1;
  }
  s.assets.forEach((asset, i) => {
    if (perAsset[i] !== asset.assignedCount) {
      throw new Error(
        `${at}: asset ${asset.adamId} counts ${asset.assignedCount} assigned, rows say ${perAsset[i]}`,
      );
    }
  });
  if (rows.logRows.length !== rows.logSeqs.length) throw new Error(`${at}: log columns differ in length`);
  let previous = 0;
  for (let i = 0; i < rows.logRows.length; i++) {
    const seq = rows.logSeqs[i] as number;
    if ((rows.logRows[i] as number) >= rows.asset.length)
      throw new Error(`${at}: log entry ${i} names no row`);
    if (seq < previous || seq > s.seq) throw new Error(`${at}: log entry ${i} is out of order`);
    previous = seq;
  }
  if (rows.logFloor > s.seq) throw new Error(`${at}: logFloor is newer than the location`);
}
