import { randomUUID } from "node:crypto";
import { type Selectable, sql } from "kysely";
import type { Device, Platform } from "../licensing/index.js";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import type { DeviceStatus, DeviceTable, InstalledAppTable } from "./space.table.js";
import { chunks, inList } from "./sql-helpers.js";

export interface DeviceRecord extends Device {
  status: DeviceStatus;
  lastCheckInAt?: Date;
}

export interface NewDevice {
  id?: string;
  spaceId: string;
  serialNumber: string;
  platform: Platform;
  sharedIpad?: boolean;
  supervised?: boolean;
  userId?: string;
  status?: DeviceStatus;
}

export async function createDevice(db: Db, input: NewDevice): Promise<DeviceRecord> {
  const [device] = await createDevices(db, [input]);
  if (!device) throw new Error("creating a device returned no row");
  return device;
}

/** Bulk insert (inventory imports, tests, benchmarks). */
export async function createDevices(db: Db, inputs: readonly NewDevice[]): Promise<DeviceRecord[]> {
  const out: DeviceRecord[] = [];
  for (const part of chunks(inputs, 8)) {
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
        })),
      )
      .returningAll()
      .execute();
    out.push(...rows.map(toDevice));
  }
  return out;
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

export async function findDeviceBySerial(
  db: Db,
  spaceId: string,
  serialNumber: string,
): Promise<DeviceRecord | undefined> {
  const row = await db
    .selectFrom("devices")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("serial_number", "=", serialNumber)
    .executeTakeFirst();
  return row && toDevice(row);
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
}

/**
 * Records a check-in (DB2: the moment waiting mandatory apps are decided again). A device
 * that was inactive or unenrolled (its MDM profile removed, then enrolled again) and checks
 * in is active again; retired or wiped ones stay as they are.
 */
export async function recordCheckIn(db: Db, spaceId: string, id: string, now: Date): Promise<void> {
  const result = await db
    .updateTable("devices")
    .set((eb) => ({
      last_check_in_at: now,
      updated_at: now,
      status: eb
        .case()
        .when("status", "in", ["inactive", "unenrolled"])
        .then(sql<DeviceStatus>`'active'`)
        .else(eb.ref("status"))
        .end(),
    }))
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("device", id);
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

/** Replaces the device's managed-app inventory with the MDM's latest report (VU3). */
export async function replaceInstalledApps(
  db: Db,
  spaceId: string,
  deviceId: string,
  apps: readonly InstalledApp[],
  now: Date,
): Promise<void> {
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
  };
}
