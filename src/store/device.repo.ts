import { randomUUID } from "node:crypto";
import { type Selectable, type SqlBool, sql } from "kysely";
import { appRunsOn, type Device, type Platform } from "../licensing/index.js";
import { adoptListedLater } from "./adopt-listed.repo.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { followDevices, INVITE_PLATFORMS, queueInvitations } from "./invite-commands.repo.js";
import { serialKey } from "./serial-key.js";
import { normalizeSerial } from "./serial-number.js";
import type { DeviceStatus, DeviceTable, InstalledAppTable } from "./space.table.js";
import { chunks, groupBy, inList, unique } from "./sql-helpers.js";

export { serialKey } from "./serial-key.js";

/**
 * How a request names a device by serial number where it takes a device id
 * (`devices/serial:C02D0000`), in any case (`SERIAL:`, `Serial:`). Device ids never start
 * with it: the API makes UUIDs and an import refuses ids of that shape.
 */
export const SERIAL_REF_PREFIX = "serial:";

/** The serial number a device reference names (`serial:c02d0000` → C02D0000), or undefined for an id. */
export function serialOfRef(ref: string): string | undefined {
  const prefix = ref.slice(0, SERIAL_REF_PREFIX.length);
  return prefix.toLowerCase() === SERIAL_REF_PREFIX
    ? normalizeSerial(ref.slice(SERIAL_REF_PREFIX.length))
    : undefined;
}

/**
 * Shared iPad is iPadOS only (LT5; iPadOS is the `iOS` platform): why a device marked Shared
 * iPad on another platform is refused, or undefined when it is not.
 */
export function sharedIpadRefusal(device: { platform: Platform; sharedIpad?: boolean }): string | undefined {
  return device.sharedIpad && device.platform !== "iOS"
    ? `Shared iPad is iPadOS only: a ${device.platform} device cannot be a Shared iPad (platform iOS)`
    : undefined;
}

/**
 * How the MDM names and describes a device (0050): its name ("Classroom iPad 12"), model
 * ("iPad13,18") and OS version ("17.5.1"). Each is absent until told.
 */
export interface DeviceIdentity {
  name?: string;
  model?: string;
  osVersion?: string;
}

/** A change of a device's identity: a value sets the field, null clears it, absent leaves it. */
export type DeviceIdentityChange = { [K in keyof DeviceIdentity]?: string | null };

/** The columns a change of identity writes. */
export function identityColumns(set: DeviceIdentityChange): {
  name?: string | null;
  model?: string | null;
  os_version?: string | null;
} {
  return {
    ...(set.name !== undefined ? { name: set.name } : {}),
    ...(set.model !== undefined ? { model: set.model } : {}),
    ...(set.osVersion !== undefined ? { os_version: set.osVersion } : {}),
  };
}

export interface DeviceRecord extends Device, DeviceIdentity {
  status: DeviceStatus;
  lastCheckInAt?: Date;
  /**
   * The spelling Apple was sent for this device, when it is not `serialNumber`: a serial
   * stored in lower case before 0026 upper-cased it. Apple keeps being sent that spelling
   * (its assignments are under it), so a license is released under the serial Apple knows.
   */
  appleSerialNumber?: string;
  /** When Orchard first recorded it, and last changed it (a check-in too): for an MDM's incremental reads. */
  createdAt?: Date;
  updatedAt?: Date;
}

export interface NewDevice extends DeviceIdentity {
  id?: string;
  spaceId: string;
  serialNumber: string;
  platform: Platform;
  sharedIpad?: boolean;
  supervised?: boolean;
  userId?: string;
  status?: DeviceStatus;
  appleSerialNumber?: string;
  /** The caller's clock, as every later change of the device uses it (else the database's). */
  createdAt?: Date;
}

export async function createDevice(db: Db, input: NewDevice): Promise<DeviceRecord> {
  const [device] = await createDevices(db, [input]);
  if (!device) throw new Error("creating a device returned no row");
  return device;
}

/**
 * Bulk insert (inventory imports, tests, benchmarks). UB2: a device of an invited user that
 * can accept the invitation is sent the link (invite-commands.repo.ts), when the space says so.
 */
export async function createDevices(db: Db, inputs: readonly NewDevice[]): Promise<DeviceRecord[]> {
  await assertSerialsFree(db, inputs);
  const out: DeviceRecord[] = [];
  // Bound parameters per row: the columns below, created_at and updated_at included.
  for (const part of chunks(inputs, 14)) {
    const rows = await db
      .insertInto("devices")
      .values(
        part.map((d) => ({
          space_id: d.spaceId,
          id: d.id ?? randomUUID(),
          serial_number: d.serialNumber,
          platform: d.platform,
          shared_ipad: d.sharedIpad ?? false,
          supervised: d.supervised ?? false,
          user_id: d.userId ?? null,
          status: d.status ?? "active",
          apple_serial_number: d.appleSerialNumber ?? null,
          name: d.name ?? null,
          model: d.model ?? null,
          os_version: d.osVersion ?? null,
          ...(d.createdAt ? { created_at: d.createdAt, updated_at: d.createdAt } : {}),
        })),
      )
      .returningAll()
      .execute();
    out.push(...rows.map(toDevice));
  }
  await inviteOnNewDevices(db, out);
  // AC7: a device Apple already holds an app for, listed as made outside Orchard, adopts it.
  for (const [spaceId, ofSpace] of groupBy(
    out.filter((d) => d.active),
    (d) => d.spaceId,
  ))
    await adoptListedLater(db, { spaceId, deviceIds: ofSpace.map((d) => d.id) });
  return out;
}

/** UB2: the new devices that may take an invitation, per space (one look at the space's setting each). */
async function inviteOnNewDevices(db: Db, devices: readonly DeviceRecord[]): Promise<void> {
  const takers = devices.filter(
    (d) =>
      d.userId !== undefined &&
      d.active &&
      !d.sharedIpad &&
      (INVITE_PLATFORMS as readonly string[]).includes(d.platform),
  );
  for (const [spaceId, ofSpace] of groupBy(takers, (d) => d.spaceId))
    await queueInvitations(db, { spaceId, deviceIds: ofSpace.map((d) => d.id), now: new Date() });
}

/**
 * A serial number taken in the space in any case is a 409 `already_exists`, as the unique
 * index answers one taken exactly. The index compares spellings, and 0026 left as they were
 * the devices whose serials differ only in case (c02d0000 and C02d0000): without this,
 * C02D0000 beside them would be a third device. Looked up through `devices_serial_key`.
 */
async function assertSerialsFree(db: Db, inputs: readonly NewDevice[]): Promise<void> {
  // `index`: which of the inputs, for a bulk create to name its field (`devices.3.serialNumber`).
  const seen = new Map<string, number>();
  for (const [index, d] of inputs.entries()) {
    const serial = normalizeSerial(d.serialNumber);
    const key = `${d.spaceId}\u0000${serial}`;
    const first = seen.get(key);
    if (first !== undefined)
      throw new StoreError(
        "already_exists",
        `serialNumber ${serial} is given twice (devices ${first} and ${index})`,
        {
          field: "serialNumber",
          serialNumber: serial,
          index,
        },
      );
    seen.set(key, index);
  }
  for (const [spaceId, ofSpace] of groupBy(inputs, (d) => d.spaceId)) {
    const serials = unique(ofSpace.map((d) => normalizeSerial(d.serialNumber)));
    const taken = await db
      .selectFrom("devices")
      .select(["serial_number", serialKey("serial_number").as("serial_key")])
      .where("space_id", "=", spaceId)
      .where(serialKey("serial_number"), "=", sql<string>`any(${serials}::text[])`)
      // A device spelled as asked is named as the unique index would name it.
      .orderBy(sql`serial_number = ${serialKey("serial_number")} desc`)
      .orderBy("created_at")
      .orderBy("id")
      .limit(1)
      .executeTakeFirst();
    if (!taken) continue;
    const spelled = taken.serial_number === taken.serial_key ? "" : ` (as ${taken.serial_number})`;
    throw new StoreError(
      "already_exists",
      `serialNumber ${taken.serial_key} is taken in this space${spelled}`,
      {
        field: "serialNumber",
        serialNumber: taken.serial_key,
        index: inputs.findIndex(
          (d) => d.spaceId === spaceId && normalizeSerial(d.serialNumber) === taken.serial_key,
        ),
      },
    );
  }
}

export async function findDevice(db: Db, spaceId: string, id: string): Promise<DeviceRecord | undefined> {
  const row = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toDevice(row);
}

export async function getDevice(db: Db, spaceId: string, id: string): Promise<DeviceRecord> {
  const device = await findDevice(db, spaceId, id);
  if (!device) throw new NotFoundError("device", id);
  return device;
}

/** The devices of these serial numbers, whatever their status, by the serial as `normalizeSerial` spells it. */
export async function findDevicesBySerial(
  db: Db,
  spaceId: string,
  serialNumbers: readonly string[],
): Promise<Map<string, DeviceRecord>> {
  const wanted = unique(serialNumbers.map(normalizeSerial));
  if (wanted.length === 0) return new Map();
  const rows = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where(inList("serial_number", wanted))
    .execute();
  return new Map(rows.map((row) => [row.serial_number, toDevice(row)]));
}

/**
 * The device of a serial number, in any case: the one stored as `normalizeSerial` spells it,
 * else (two devices whose serials differ only in case, left by migration 0026) the oldest
 * of those stored otherwise, found through the index of the folded serials.
 */
export async function findDeviceBySerial(
  db: Db,
  spaceId: string,
  serialNumber: string,
): Promise<DeviceRecord | undefined> {
  const wanted = normalizeSerial(serialNumber);
  const exact = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("serial_number", "=", wanted)
    .executeTakeFirst();
  if (exact) return toDevice(exact);
  const folded = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where(serialKey("serial_number"), "=", wanted)
    .orderBy("created_at")
    .orderBy("id")
    .limit(1)
    .executeTakeFirst();
  return folded && toDevice(folded);
}

/**
 * A device as a request names it where a device id is expected: its id, or
 * `serial:<serial number>` (SERIAL_REF_PREFIX). An unknown one is a NotFoundError naming
 * what was asked for ("device with serial number C02D0000") and, when given, the request's
 * field that named it (`querystring.device`).
 */
export async function getDeviceByRef(
  db: Db,
  spaceId: string,
  ref: string,
  field?: string,
): Promise<DeviceRecord> {
  const serial = serialOfRef(ref);
  if (serial === undefined) {
    const device = await findDevice(db, spaceId, ref);
    if (device) return device;
    // A bare serial number where an id goes: say how to name the device by it.
    const bySerial = await findDeviceBySerial(db, spaceId, ref);
    throw new NotFoundError(
      "device",
      ref,
      field,
      bySerial ? `it is a device's serial number: name it ${SERIAL_REF_PREFIX}${ref}` : undefined,
    );
  }
  const device = serial === "" ? undefined : await findDeviceBySerial(db, spaceId, serial);
  if (!device) throw new NotFoundError("device", `with serial number ${serial}`, field);
  return device;
}

/**
 * The id a device reference stands for, where the caller checks ids itself (an MDM event,
 * a move that is safe to send again, a filter): an id as it is, `serial:<serial number>`
 * resolved by `getDeviceByRef`, with its 404 when unknown.
 */
export async function deviceIdOfRef(db: Db, spaceId: string, ref: string, field?: string): Promise<string> {
  if (serialOfRef(ref) === undefined) return ref;
  return (await getDeviceByRef(db, spaceId, ref, field)).id;
}

/**
 * `deviceIdOfRef` for a list (a rule's reserved devices), in its order: ids as they are,
 * every `serial:` reference resolved by one query for them all, as `findDeviceBySerial`
 * chooses. The first unknown serial number is a NotFoundError naming it and, when given,
 * its field (`fieldOf(index)`: `body.reservedDeviceIds.3`).
 */
export async function deviceIdsOfRefs(
  db: Db,
  spaceId: string,
  refs: readonly string[],
  fieldOf?: (index: number) => string,
): Promise<string[]> {
  const serials = refs.map(serialOfRef);
  const wanted = unique(serials.filter((s): s is string => s !== undefined && s !== ""));
  const ids = new Map<string, string>();
  if (wanted.length > 0) {
    const rows = await db
      .selectFrom("devices")
      .select(["id", "serial_number", serialKey("serial_number").as("serial_key")])
      .where("space_id", "=", spaceId)
      .where(serialKey("serial_number"), "=", sql<string>`any(${wanted}::text[])`)
      .orderBy("created_at")
      .orderBy("id")
      .execute();
    // The device stored as the serial is spelled wins; else the oldest of the others.
    for (const r of rows) if (r.serial_number === r.serial_key) ids.set(r.serial_key, r.id);
    for (const r of rows) if (!ids.has(r.serial_key)) ids.set(r.serial_key, r.id);
  }
  return refs.map((ref, index) => {
    const serial = serials[index];
    if (serial === undefined) return ref;
    const id = ids.get(serial);
    if (id === undefined) throw new NotFoundError("device", `with serial number ${serial}`, fieldOf?.(index));
    return id;
  });
}

/**
 * Of `ids`, the users of the space, each with whether it is deleted: RV5 keeps a deleted
 * user's row for the licenses' history, not to be given devices.
 */
export async function usersDeleted(
  db: Db,
  spaceId: string,
  ids: readonly string[],
): Promise<Map<string, boolean>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("users")
    .select(["id", "deleted_at"])
    .where("space_id", "=", spaceId)
    .where(inList("id", ids))
    .execute();
  return new Map(rows.map((r) => [r.id, r.deleted_at !== null]));
}

export async function findDevices(db: Db, spaceId: string, ids: readonly string[]): Promise<DeviceRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where(inList("id", ids))
    .execute();
  return rows.map(toDevice);
}

export async function setDeviceStatus(
  db: Db,
  spaceId: string,
  id: string,
  status: DeviceStatus,
  now: Date,
): Promise<void> {
  const result = await db
    .updateTable("devices")
    .set({ status, updated_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("device", id);
  await followDevices(db, { spaceId, deviceIds: [id], now });
}

/**
 * Records a check-in (DB2: the moment waiting mandatory apps are decided again). A device
 * not active that checks in is made active first, with its activity line (check-in.ts:
 * reviveDevice, device-revival.repo.ts); its status is not this function's.
 */
/**
 * The device's check-in time, and the name, model and OS version the check-in reports (those
 * it leaves out stay as they were). Says, in the same statement (one probe of the index
 * license_queue_one_per_device, which leads with the device), whether the device waits for any app: a check-in of a device
 * that waits for nothing has no stale wait to look for (DB2).
 */
export async function recordCheckIn(
  db: Db,
  spaceId: string,
  id: string,
  now: Date,
  reported: DeviceIdentity = {},
): Promise<{ waits: boolean }> {
  const row = await db
    .updateTable("devices")
    .set({ last_check_in_at: now, updated_at: now, ...identityColumns(reported) })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .returning(
      sql<boolean>`exists (select 1 from license_queue q where q.space_id = ${spaceId} and q.device_id = ${id})`.as(
        "waits",
      ),
    )
    .executeTakeFirst();
  if (!row) throw new NotFoundError("device", id);
  return { waits: row.waits };
}

export interface InstalledApp {
  bundleId: string;
  adamId?: string;
  name?: string;
  version?: string;
  source?: string;
  sizeBytes?: number;
  licenseType?: "user" | "device";
  installedAt?: Date;
}

/**
 * Replaces the device's managed-app inventory with the MDM's latest report (VU3), whole or
 * not at all. An app the report lists twice (MDM inventories do) is kept once, as its last
 * entry says. Two reports of the same device at once (a check-in sent again after a
 * timeout) take turns on the device's row: the last one is the inventory, never a mix.
 */
export async function replaceInstalledApps(
  db: Db,
  spaceId: string,
  deviceId: string,
  reported: readonly InstalledApp[],
  now: Date,
): Promise<string[]> {
  const apps = [...new Map(reported.map((a) => [a.bundleId, a])).values()];
  return withTransaction(db, (trx) => writeInstalledApps(trx, spaceId, deviceId, apps, now));
}

/** Writes the inventory; returns the apps it holds by adamId (given, or found by bundle id). */
async function writeInstalledApps(
  db: Trx,
  spaceId: string,
  deviceId: string,
  reported: readonly InstalledApp[],
  now: Date,
): Promise<string[]> {
  const device = await db
    .selectFrom("devices")
    .select("platform")
    .where("space_id", "=", spaceId)
    .where("id", "=", deviceId)
    .forNoKeyUpdate()
    .executeTakeFirst();
  const apps = await withAdamIds(db, spaceId, device?.platform, reported);
  await db
    .deleteFrom("installed_apps")
    .where("space_id", "=", spaceId)
    .where("device_id", "=", deviceId)
    .execute();
  for (const part of chunks(apps, 11)) {
    await db
      .insertInto("installed_apps")
      .values(
        part.map((a) => ({
          space_id: spaceId,
          device_id: deviceId,
          bundle_id: a.bundleId,
          adam_id: a.adamId ?? null,
          name: a.name ?? null,
          version: a.version ?? null,
          source: a.source ?? null,
          size_bytes: a.sizeBytes ?? null,
          license_type: a.licenseType ?? null,
          installed_at: a.installedAt ?? null,
          reported_at: now,
        })),
      )
      .execute();
  }
  return apps.flatMap((a) => (a.adamId ? [a.adamId] : []));
}

/**
 * An app reported by its bundle id alone (Apple's InstalledApplicationList names apps so) is
 * the space's asset of that bundle id, in any case, once its metadata is known: then it
 * counts as installed for its license (LT2) and the device's inventory names it. Several apps
 * of one bundle id: the one that runs on the device, when only one does; else none is guessed.
 */
async function withAdamIds(
  db: Trx,
  spaceId: string,
  platform: Platform | undefined,
  apps: readonly InstalledApp[],
): Promise<InstalledApp[]> {
  const unnamed = unique(apps.flatMap((a) => (a.adamId ? [] : [a.bundleId.toLowerCase()])));
  if (unnamed.length === 0) return [...apps];
  const rows = await db
    .selectFrom("assets")
    .select(["adam_id", "bundle_id", "platforms"])
    .distinct()
    .where("space_id", "=", spaceId)
    .where(sql<SqlBool>`lower(bundle_id) = any(${unnamed}::text[])`)
    .execute();
  const byBundle = groupBy(rows, (r) => (r.bundle_id ?? "").toLowerCase());
  return apps.map((a) => {
    if (a.adamId) return a;
    const assets = byBundle.get(a.bundleId.toLowerCase()) ?? [];
    const candidates = unique(assets.map((r) => r.adam_id));
    const runsHere = unique(
      assets.filter((r) => platform === undefined || appRunsOn([r], platform)).map((r) => r.adam_id),
    );
    const adamId = candidates.length === 1 ? candidates[0] : runsHere.length === 1 ? runsHere[0] : undefined;
    return adamId ? { ...a, adamId } : a;
  });
}

export async function listInstalledApps(db: Db, spaceId: string, deviceId: string): Promise<InstalledApp[]> {
  const rows = await db
    .selectFrom("installed_apps")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("device_id", "=", deviceId)
    .orderBy("name")
    .orderBy("bundle_id")
    .execute();
  return rows.map(toInstalledApp);
}

function toInstalledApp(row: Selectable<InstalledAppTable>): InstalledApp {
  return {
    bundleId: row.bundle_id,
    adamId: row.adam_id ?? undefined,
    name: row.name ?? undefined,
    version: row.version ?? undefined,
    source: row.source ?? undefined,
    sizeBytes: row.size_bytes ?? undefined,
    licenseType: row.license_type ?? undefined,
    installedAt: row.installed_at ?? undefined,
  };
}

export function toDevice(row: Selectable<DeviceTable>): DeviceRecord {
  return {
    id: row.id,
    spaceId: row.space_id,
    serialNumber: row.serial_number,
    platform: row.platform,
    sharedIpad: row.shared_ipad,
    supervised: row.supervised,
    userId: row.user_id ?? undefined,
    active: row.status === "active",
    status: row.status,
    lastCheckInAt: row.last_check_in_at ?? undefined,
    ...(row.apple_serial_number !== null ? { appleSerialNumber: row.apple_serial_number } : {}),
    ...(row.name !== null ? { name: row.name } : {}),
    ...(row.model !== null ? { model: row.model } : {}),
    ...(row.os_version !== null ? { osVersion: row.os_version } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
