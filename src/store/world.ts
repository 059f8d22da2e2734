import { type Selectable, sql } from "kysely";
import {
  type AccountForApp,
  ALL_USERS,
  type DecisionWorld,
  type Device,
  type License,
  type LicenseRequest,
  type Subject,
  type User,
} from "../licensing/index.js";
import { type AssetRecord, toAsset } from "./asset.repo.js";
import type { Db } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { groupIdsOfUsers } from "./group.repo.js";
import { findLicensesOfSubjects } from "./license.repo.js";
import { countUnusedReservations, loadRulesForApp } from "./rules.repo.js";
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
  const space = await db
    .selectFrom("spaces")
    .select(["id", "apps_and_books_enabled"])
    .where("id", "=", spaceId)
    .executeTakeFirst();
  if (!space) throw new NotFoundError("space", spaceId);
  const catalog = await db
    .selectFrom("catalog_apps")
    .select(["adam_id", "in_catalog"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .executeTakeFirst();
  if (!catalog) {
    // Neither in the catalog nor bought by any account: no such app here.
    const bought = await db
      .selectFrom("assets")
      .select("adam_id")
      .where("space_id", "=", spaceId)
      .where("adam_id", "=", adamId)
      .limit(1)
      .executeTakeFirst();
    if (!bought) throw new NotFoundError("app", adamId);
  }
  const accountRows = await db
    .selectFrom("accounts")
    .select(["id", "priority", "health", "display_name"])
    .where("space_id", "=", spaceId)
    .orderBy("priority")
    .execute();
  const rules = await loadRulesForApp(db, spaceId, adamId, { countReservations: false });

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
    space: { id: space.id, appsAndBooksEnabled: space.apps_and_books_enabled },
    ...(catalog?.in_catalog ? { catalogApp: { adamId } } : {}),
    accounts,
    assets,
    users,
    devices,
    licensesByUser,
    licensesByDevice,
    notDistributedTo: new Set(excluded.map((e) => e.user_id)),
    accountNames: new Map(accountRows.map((a) => [a.id, a.display_name])),
  };
}

/** Only the columns `decide` reads: this runs for every subject of every batch. */
async function loadDevices(db: Db, spaceId: string, ids: readonly string[]): Promise<Map<string, Device>> {
  if (ids.length === 0) return new Map();
  // One index probe per id (probeByKey): a batch's thousand devices, not the fleet's table.
  const { rows } = await sql<
    Pick<
      Selectable<DeviceTable>,
      "id" | "serial_number" | "platform" | "shared_ipad" | "supervised" | "user_id" | "status"
    >
  >`select d.id, d.serial_number, d.platform, d.shared_ipad, d.supervised, d.user_id, d.status
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

/** The engine's view of one request, from a snapshot of its (space, app). */
export function worldFor(snapshot: WorldSnapshot, request: LicenseRequest): DecisionWorld {
  if (request.spaceId !== snapshot.spaceId || request.adamId !== snapshot.adamId) {
    throw new StoreError("invalid_request", "the request is not for this space and app", {
      spaceId: request.spaceId,
      adamId: request.adamId,
    });
  }
  const base = {
    space: snapshot.space,
    accounts: snapshot.accounts,
    ...(snapshot.catalogApp ? { catalogApp: snapshot.catalogApp } : {}),
  };
  const subject = request.subject;
  if (subject.kind === "user") {
    const user = snapshot.users.get(subject.userId);
    if (!user) throw new NotFoundError("user", subject.userId);
    return {
      ...base,
      user,
      licenses: snapshot.licensesByUser.get(user.id) ?? [],
      ...excludedFor(snapshot, user.id),
    };
  }
  const device = snapshot.devices.get(subject.deviceId);
  if (!device) throw new NotFoundError("device", subject.deviceId);
  const user = device.userId ? snapshot.users.get(device.userId) : undefined;
  const licenses = [
    ...(snapshot.licensesByDevice.get(device.id) ?? []),
    ...(user ? (snapshot.licensesByUser.get(user.id) ?? []) : []),
  ];
  return { ...base, device, ...(user ? { user, ...excludedFor(snapshot, user.id) } : {}), licenses };
}

function excludedFor(snapshot: WorldSnapshot, userId: string): { notDistributedToUser?: true } {
  return snapshot.notDistributedTo.has(userId) ? { notDistributedToUser: true } : {};
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
