import { sql } from "kysely";
import { LIVE_STATES, type LicenseState, type LicenseType } from "../licensing/index.js";
import type { Db } from "./database.js";
import { NotFoundError } from "./errors.js";
import { likePattern } from "./paging.js";
import { inList } from "./sql-helpers.js";

/** License usage of a user (VU1) and of a device (VU3) (the activity log: activity-view.repo.ts). */
export interface UsageRow {
  adamId?: string;
  bundleId?: string;
  name?: string;
  version?: string;
  platform?: string;
  deviceId?: string;
  serialNumber?: string;
  source?: string;
  sizeBytes?: number;
  installedAt?: Date;
  /** Price per license, when an account of the space bought the app, and its currency. */
  price?: number;
  currency?: string;
  license?: { id: string; type: LicenseType; state: LicenseState; assignedAt?: Date; serialNumber?: string };
}

const HELD: readonly LicenseState[] = [...LIVE_STATES, "pending_release", "in_grace"];

/** VU1: every app on the user's devices, and every app licensed to the user, with the license. */
export async function userLicenseUsage(db: Db, spaceId: string, userId: string): Promise<UsageRow[]> {
  const user = await db
    .selectFrom("users")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("id", "=", userId)
    .executeTakeFirst();
  if (!user) throw new NotFoundError("user", userId);
  const devices = await db
    .selectFrom("devices")
    .select(["id", "serial_number", "platform"])
    .where("space_id", "=", spaceId)
    .where("user_id", "=", userId)
    .execute();
  const deviceIds = devices.map((d) => d.id);
  const installed = deviceIds.length
    ? await db
        .selectFrom("installed_apps")
        .selectAll()
        .where("space_id", "=", spaceId)
        .where(inList("device_id", deviceIds))
        .execute()
    : [];
  const licenses = await db
    .selectFrom("licenses")
    .select(["id", "adam_id", "type", "state", "assigned_at", "user_id", "device_id"])
    .where("space_id", "=", spaceId)
    .where("state", "in", HELD)
    .where((eb) => eb.or([eb("user_id", "=", userId), inList("device_id", deviceIds)]))
    .execute();
  const prices = await pricesOf(db, spaceId, [
    ...installed.flatMap((a) => (a.adam_id ? [a.adam_id] : [])),
    ...licenses.map((l) => l.adam_id),
  ]);
  const serial = new Map(devices.map((d) => [d.id, d.serial_number]));
  const platform = new Map(devices.map((d) => [d.id, d.platform]));
  const licenseFor = (adamId: string | null, deviceId: string) => {
    const l = adamId
      ? licenses.find((x) => x.adam_id === adamId && (x.device_id === deviceId || x.user_id === userId))
      : undefined;
    return l && toLicense(l, l.device_id ? serial.get(l.device_id) : undefined);
  };
  const rows: UsageRow[] = installed.map((a) => ({
    adamId: a.adam_id ?? undefined,
    bundleId: a.bundle_id,
    name: a.name ?? prices.get(a.adam_id ?? "")?.name,
    version: a.version ?? undefined,
    platform: platform.get(a.device_id),
    deviceId: a.device_id,
    serialNumber: serial.get(a.device_id),
    source: a.source ?? undefined,
    sizeBytes: a.size_bytes === null ? undefined : Number(a.size_bytes),
    installedAt: a.installed_at ?? undefined,
    price: prices.get(a.adam_id ?? "")?.price,
    currency: prices.get(a.adam_id ?? "")?.currency,
    license: licenseFor(a.adam_id, a.device_id),
  }));
  const shown = new Set(rows.flatMap((r) => (r.license ? [r.license.id] : [])));
  for (const l of licenses) {
    if (shown.has(l.id)) continue;
    const app = prices.get(l.adam_id);
    // Not installed (or not reported): the app's current version, and the platform of the
    // licensed device, else the platforms the app runs on.
    const on = l.device_id ? platform.get(l.device_id) : app?.platforms;
    rows.push({
      adamId: l.adam_id,
      name: app?.name,
      ...(app?.version ? { version: app.version } : {}),
      ...(on ? { platform: on } : {}),
      price: app?.price,
      currency: app?.currency,
      ...(l.device_id ? { deviceId: l.device_id, serialNumber: serial.get(l.device_id) } : {}),
      license: toLicense(l, l.device_id ? serial.get(l.device_id) : undefined),
    });
  }
  return rows;
}

/** VU3: a device's managed apps with their license type; `q` searches name and bundle id. */
export async function deviceInstalledApps(
  db: Db,
  spaceId: string,
  deviceId: string,
  q?: string,
): Promise<UsageRow[]> {
  const device = await db
    .selectFrom("devices")
    .select(["id", "serial_number", "platform", "user_id"])
    .where("space_id", "=", spaceId)
    .where("id", "=", deviceId)
    .executeTakeFirst();
  if (!device) throw new NotFoundError("device", deviceId);
  let query = db
    .selectFrom("installed_apps")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("device_id", "=", deviceId);
  if (q) {
    const like = likePattern(q);
    query = query.where((eb) => eb.or([eb("name", "ilike", like), eb("bundle_id", "ilike", like)]));
  }
  const installed = await query.orderBy("name").orderBy("bundle_id").execute();
  const licenses = await db
    .selectFrom("licenses")
    .select(["id", "adam_id", "type", "state", "assigned_at", "user_id", "device_id"])
    .where("space_id", "=", spaceId)
    .where("state", "in", HELD)
    .where((eb) =>
      eb.or([
        eb("device_id", "=", deviceId),
        ...(device.user_id ? [eb("user_id", "=", device.user_id)] : []),
      ]),
    )
    .execute();
  const prices = await pricesOf(
    db,
    spaceId,
    installed.flatMap((a) => (a.adam_id ? [a.adam_id] : [])),
  );
  return installed.map((a) => {
    const l = a.adam_id ? licenses.find((x) => x.adam_id === a.adam_id) : undefined;
    return {
      adamId: a.adam_id ?? undefined,
      bundleId: a.bundle_id,
      name: a.name ?? prices.get(a.adam_id ?? "")?.name,
      version: a.version ?? undefined,
      platform: device.platform,
      deviceId,
      serialNumber: device.serial_number,
      source: a.source ?? undefined,
      sizeBytes: a.size_bytes === null ? undefined : Number(a.size_bytes),
      installedAt: a.installed_at ?? undefined,
      price: prices.get(a.adam_id ?? "")?.price,
      currency: prices.get(a.adam_id ?? "")?.currency,
      license: l && toLicense(l, l.device_id ? device.serial_number : undefined),
    };
  });
}

async function pricesOf(db: Db, spaceId: string, adamIds: readonly string[]) {
  const ids = [...new Set(adamIds)];
  const apps = new Map<
    string,
    { price?: number; currency?: string; name?: string; version?: string; platforms?: string }
  >();
  if (ids.length === 0) return apps;
  const rows = await db
    .selectFrom("assets")
    .select([
      "adam_id",
      sql<number | null>`max(price)`.as("price"),
      sql<string | null>`max(currency)`.as("currency"),
      sql<string | null>`max(name)`.as("name"),
      sql<string | null>`max(latest_version)`.as("version"),
      sql<string | null>`nullif(max(array_to_string(platforms, ', ')), '')`.as("platforms"),
    ])
    .where("space_id", "=", spaceId)
    .where(inList("adam_id", ids))
    .groupBy("adam_id")
    .execute();
  for (const r of rows)
    apps.set(r.adam_id, {
      price: r.price === null ? undefined : Number(r.price),
      currency: r.currency ?? undefined,
      name: r.name ?? undefined,
      version: r.version ?? undefined,
      platforms: r.platforms ?? undefined,
    });
  return apps;
}

function toLicense(
  l: { id: string; type: LicenseType; state: LicenseState; assigned_at: Date | null },
  serialNumber: string | undefined,
): NonNullable<UsageRow["license"]> {
  return {
    id: l.id,
    type: l.type,
    state: l.state,
    ...(l.assigned_at ? { assignedAt: l.assigned_at } : {}),
    ...(l.type === "device" && serialNumber ? { serialNumber } : {}),
  };
}
