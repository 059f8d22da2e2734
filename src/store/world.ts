import { type Selectable, sql } from "kysely";
import {
  type AccountForApp,
  ALL_USERS,
  type DecisionWorld,
  type Device,
  type DistributionRules,
  type License,
  type LicenseRequest,
  type LicenseType,
  type Subject,
  type User,
} from "../licensing/index.js";
import { type AccountRefusal, refusalsOfSubjects } from "./apple-refusals.repo.js";
import { type AssetRecord, toAsset } from "./asset.repo.js";
import type { Db } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { groupIdsOfUsers } from "./group.repo.js";
import { findLicensesOfSubjects } from "./license.repo.js";
import { countUnusedReservations, rulesFromRows } from "./rules.repo.js";
import type { DeviceTable } from "./space.table.js";
import { inList, probeByKey, unique } from "./sql-helpers.js";
import { findUsers } from "./user.repo.js";

/** A user as the engine sees it, plus the id Apple knows it by (for the outbox). */
export interface WorldUser extends User {
  clientUserId?: string;
}

/**
 * Everything needed to decide many requests for one (space, app), loaded in a fixed
 * number of queries whatever the number of subjects. Allocation updates it in memory
 * between decisions (seats taken, licenses granted).
 */
export interface WorldSnapshot {
  spaceId: string;
  adamId: string;
  space: DecisionWorld["space"];
  catalogApp?: { adamId: string };
  /** Every account of the space, with the app's asset where it has one. */
  accounts: AccountForApp[];
  assets: Map<string, AssetRecord>;
  users: Map<string, WorldUser>;
  devices: Map<string, Device>;
  licensesByUser: Map<string, License[]>;
  licensesByDevice: Map<string, License[]>;
  /** PB1: users the app was removed from the catalog distribution of. */
  notDistributedTo: Set<string>;
  /** The accounts' display names, for decisions in words. */
  accountNames: Map<string, string>;
  /**
   * MA2, DB2: Apple's refusals for good of the subjects, by subject ("u:<userId>" /
   * "d:<deviceId>", as the queue keys them), newest first: accounts passed over for them.
   */
  appleRefusals: Map<string, AccountRefusal[]>;
}

export interface SnapshotInput {
  spaceId: string;
  adamId: string;
  subjects: readonly Subject[];
  /** Lock the app's asset rows (FOR UPDATE, in account order): allocation does, readers do not. */
  lockAssets?: boolean;
}

/**
 * Loads the snapshot. Unknown space, unknown app (neither in the catalog nor bought by
 * any account) and subjects not in this space are NotFoundErrors: a subject of another
 * space is treated as if it did not exist (invariant 6).
 */
export async function loadWorldSnapshot(db: Db, input: SnapshotInput): Promise<WorldSnapshot> {
  const { spaceId, adamId } = input;
  // What the app's seats do not depend on is read first, before any lock: allocators of
  // the same app wait for each other only while the seats and licenses are read and written.
  const context = await loadAppContext(db, spaceId, adamId);
  if (!context) throw new NotFoundError("space", spaceId);
  // Neither in the catalog nor bought by any account: no such app here.
  if (!context.cataloged && !context.bought) throw new NotFoundError("app", adamId);
  const { accountRows, rules } = context;

  const deviceIds = unique(input.subjects.flatMap((s) => (s.kind === "device" ? [s.deviceId] : [])));
  const devices = await loadDevices(db, spaceId, deviceIds);
  const missingDevice = deviceIds.find((id) => !devices.has(id));
  if (missingDevice !== undefined) throw new NotFoundError("device", missingDevice);

  const subjectUserIds = unique(input.subjects.flatMap((s) => (s.kind === "user" ? [s.userId] : [])));
  const userIds = unique([
    ...subjectUserIds,
    ...[...devices.values()].flatMap((d) => (d.userId ? [d.userId] : [])),
  ]);
  const userRecords = await findUsers(db, spaceId, userIds);
  const groups = await groupIdsOfUsers(db, spaceId, userIds);
  const users = new Map<string, WorldUser>(
    userRecords.map((u) => [
      u.id,
      {
        id: u.id,
        spaceId,
        enrolled: u.enrolled,
        groupIds: [ALL_USERS, ...(groups.get(u.id) ?? [])],
        ...(u.appleClientUserId ? { clientUserId: u.appleClientUserId } : {}),
      },
    ]),
  );
  const missingUser = subjectUserIds.find((id) => !users.has(id));
  if (missingUser !== undefined) throw new NotFoundError("user", missingUser);
  const excluded =
    userIds.length === 0
      ? []
      : await db
          .selectFrom("distribution_exclusions")
          .select("user_id")
          .where("space_id", "=", spaceId)
          .where("adam_id", "=", adamId)
          .where(inList("user_id", userIds))
          .execute();

  let assetQuery = db
    .selectFrom("assets")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .orderBy("account_id");
  // One lock order for everyone (account id within an app) so allocators never deadlock.
  // NO KEY UPDATE: allocators exclude each other, while inserts elsewhere that merely
  // reference the asset (foreign-key checks take KEY SHARE) go on.
  if (input.lockAssets) assetQuery = assetQuery.forNoKeyUpdate();
  const assetRows = await assetQuery.execute();
  const assets = new Map(assetRows.map((row) => [row.account_id, toAsset(row)]));
  // Under the lock: the seats reserved holders hold, and the subjects' licenses, as they are now.
  await countUnusedReservations(db, spaceId, adamId, rules);
  const licenses = await findLicensesOfSubjects(db, spaceId, adamId, { userIds, deviceIds });
  const appleRefusals = await refusalsOfSubjects(db, spaceId, adamId, input.subjects);
  const licensesByUser = new Map<string, License[]>();
  const licensesByDevice = new Map<string, License[]>();
  for (const license of licenses) addLicense({ licensesByUser, licensesByDevice }, license);

  const accounts: AccountForApp[] = accountRows.map((a) => {
    const asset = assets.get(a.id);
    return {
      id: a.id,
      spaceId,
      priority: a.priority,
      usable: a.health === "ok",
      ...(asset ? { asset } : {}),
      rules: rules.get(a.id) ?? {
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
        unusedReservations: 0,
      },
    };
  });

  return {
    spaceId,
    adamId,
    space: { id: spaceId, appsAndBooksEnabled: context.appsAndBooksEnabled },
    ...(context.inCatalog ? { catalogApp: { adamId } } : {}),
    accounts,
    assets,
    users,
    devices,
    licensesByUser,
    licensesByDevice,
    notDistributedTo: new Set(excluded.map((e) => e.user_id)),
    accountNames: new Map(accountRows.map((a) => [a.id, a.display_name])),
    appleRefusals,
  };
}

/** What a decision about an app reads whatever its subjects: the space, the app, the accounts, the rules. */
interface AppContext {
  appsAndBooksEnabled: boolean;
  /** A catalog row exists (the app may be out of the catalog: `inCatalog` false). */
  cataloged: boolean;
  inCatalog: boolean;
  /** Some account of the space holds the app. */
  bought: boolean;
  accountRows: Array<{ id: string; priority: number; health: string; display_name: string }>;
  /** `unusedReservations` left at 0, counted under the asset lock. */
  rules: Map<string, DistributionRules>;
}

/**
 * The app's context in one statement: each table's rows come back as one JSON array.
 * Every decision reads it (a license request of the API, each storm batch); as separate
 * queries it was seven round trips, each a turn on PGlite's single session.
 */
async function loadAppContext(db: Db, spaceId: string, adamId: string): Promise<AppContext | undefined> {
  const { rows } = await sql<{
    apps_and_books_enabled: boolean;
    cataloged: boolean;
    in_catalog: boolean | null;
    bought: boolean;
    accounts: Array<[string, number, string, string]>;
    app_rules: Array<[string, boolean, LicenseType, LicenseType]>;
    rule_groups: Array<[string, string]>;
    rule_users: Array<[string, string, "reserved" | "prohibited"]>;
    rule_devices: Array<[string, string]>;
  }>`select s.apps_and_books_enabled, c.adam_id is not null as cataloged, c.in_catalog,
      exists (select 1 from assets a where a.space_id = s.id and a.adam_id = ${adamId}) as bought,
      coalesce((select json_agg(json_build_array(a.id, a.priority, a.health, a.display_name) order by a.priority)
        from accounts a where a.space_id = s.id), '[]') as accounts,
      coalesce((select json_agg(json_build_array(r.account_id, r.fcfs_enabled, r.fcfs_requested_type,
          r.fcfs_mandatory_type))
        from app_rules r where r.space_id = s.id and r.adam_id = ${adamId}), '[]') as app_rules,
      coalesce((select json_agg(json_build_array(r.account_id, r.group_id))
        from rule_groups r where r.space_id = s.id and r.adam_id = ${adamId}), '[]') as rule_groups,
      coalesce((select json_agg(json_build_array(r.account_id, r.user_id, r.role))
        from rule_users r where r.space_id = s.id and r.adam_id = ${adamId}), '[]') as rule_users,
      coalesce((select json_agg(json_build_array(r.account_id, r.device_id))
        from rule_devices r where r.space_id = s.id and r.adam_id = ${adamId}), '[]') as rule_devices
    from spaces s
    left join catalog_apps c on c.space_id = s.id and c.adam_id = ${adamId}
    where s.id = ${spaceId}`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return {
    appsAndBooksEnabled: row.apps_and_books_enabled,
    cataloged: row.cataloged,
    inCatalog: row.in_catalog === true,
    bought: row.bought,
    accountRows: row.accounts.map(([id, priority, health, display_name]) => ({
      id,
      priority,
      health,
      display_name,
    })),
    rules: rulesFromRows({
      apps: row.app_rules.map(([account_id, fcfs_enabled, fcfs_requested_type, fcfs_mandatory_type]) => ({
        account_id,
        fcfs_enabled,
        fcfs_requested_type,
        fcfs_mandatory_type,
      })),
      groups: row.rule_groups.map(([account_id, group_id]) => ({ account_id, group_id })),
      users: row.rule_users.map(([account_id, user_id, role]) => ({ account_id, user_id, role })),
      devices: row.rule_devices.map(([account_id, device_id]) => ({ account_id, device_id })),
    }),
  };
}

/**
 * Only the columns `decide` reads: this runs for every subject of every batch. The serial
 * number is the one Apple is sent (allocation writes it into the association): a spelling
 * Apple was sent before 0026 upper-cased it, else the serial.
 */
async function loadDevices(db: Db, spaceId: string, ids: readonly string[]): Promise<Map<string, Device>> {
  if (ids.length === 0) return new Map();
  // One index probe per id (probeByKey): a batch's thousand devices, not the fleet's table.
  const { rows } = await sql<
    Pick<
      Selectable<DeviceTable>,
      "id" | "serial_number" | "platform" | "shared_ipad" | "supervised" | "user_id" | "status"
    >
  >`select d.id, coalesce(d.apple_serial_number, d.serial_number) as serial_number, d.platform, d.shared_ipad,
      d.supervised, d.user_id, d.status
    from ${probeByKey("devices", spaceId, ids)}`.execute(db);
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        spaceId,
        serialNumber: row.serial_number,
        platform: row.platform,
        sharedIpad: row.shared_ipad,
        supervised: row.supervised,
        ...(row.user_id ? { userId: row.user_id } : {}),
        active: row.status === "active",
      },
    ]),
  );
}

export function addLicense(
  snapshot: Pick<WorldSnapshot, "licensesByUser" | "licensesByDevice">,
  license: License,
): void {
  const [map, key] = license.userId
    ? [snapshot.licensesByUser, license.userId]
    : [snapshot.licensesByDevice, license.deviceId];
  if (key === undefined) return;
  const list = map.get(key);
  if (list) list.push(license);
  else map.set(key, [license]);
}

const NO_LICENSES: readonly License[] = [];

/**
 * The engine's view of one request, from a snapshot of its (space, app). Built field by
 * field, not by spreads: allocation builds one per request of a batch (a storm's 100,000).
 */
export function worldFor(snapshot: WorldSnapshot, request: LicenseRequest): DecisionWorld {
  if (request.spaceId !== snapshot.spaceId || request.adamId !== snapshot.adamId) {
    throw new StoreError("invalid_request", "the request is not for this space and app", {
      spaceId: request.spaceId,
      adamId: request.adamId,
    });
  }
  const subject = request.subject;
  // MA2, DB2: read only when Apple refused any of the snapshot's subjects (a storm's worlds are hot).
  const refused =
    snapshot.appleRefusals.size === 0
      ? undefined
      : snapshot.appleRefusals.get(subject.kind === "user" ? `u:${subject.userId}` : `d:${subject.deviceId}`);
  let user: WorldUser | undefined;
  let device: Device | undefined;
  let licenses: readonly License[];
  if (subject.kind === "user") {
    user = snapshot.users.get(subject.userId);
    if (!user) throw new NotFoundError("user", subject.userId);
    licenses = snapshot.licensesByUser.get(user.id) ?? NO_LICENSES;
  } else {
    device = snapshot.devices.get(subject.deviceId);
    if (!device) throw new NotFoundError("device", subject.deviceId);
    user = device.userId ? snapshot.users.get(device.userId) : undefined;
    const ofDevice = snapshot.licensesByDevice.get(device.id) ?? NO_LICENSES;
    const ofUser = user ? (snapshot.licensesByUser.get(user.id) ?? NO_LICENSES) : NO_LICENSES;
    licenses = ofUser.length === 0 ? ofDevice : ofDevice.length === 0 ? ofUser : [...ofDevice, ...ofUser];
  }
  const world: DecisionWorld = { space: snapshot.space, accounts: snapshot.accounts, licenses };
  if (snapshot.catalogApp) world.catalogApp = snapshot.catalogApp;
  if (refused) world.appleRefusedAccountIds = refused.map((r) => r.accountId);
  if (device) world.device = device;
  if (user) {
    world.user = user;
    if (snapshot.notDistributedTo.has(user.id)) world.notDistributedToUser = true;
  }
  return world;
}

/** The world `decide` needs for one request, read as it stands (no locks). */
export async function loadDecisionWorld(db: Db, request: LicenseRequest): Promise<DecisionWorld> {
  const snapshot = await loadWorldSnapshot(db, {
    spaceId: request.spaceId,
    adamId: request.adamId,
    subjects: [request.subject],
  });
  return worldFor(snapshot, request);
}

/** The worlds of many requests for one (space, app), in request order, in a fixed number of queries. */
export async function loadDecisionWorlds(
  db: Db,
  input: { spaceId: string; adamId: string; requests: readonly LicenseRequest[] },
): Promise<DecisionWorld[]> {
  const snapshot = await loadWorldSnapshot(db, {
    spaceId: input.spaceId,
    adamId: input.adamId,
    subjects: input.requests.map((r) => r.subject),
  });
  return input.requests.map((request) => worldFor(snapshot, request));
}
