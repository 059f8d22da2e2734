import type { UpdateMode } from "./account.table.js";
import type { Db } from "./database.js";

/** DB4: records the newest version known of an app. Returns false when it was known already. */
export async function recordAppVersion(
  db: Db,
  input: { adamId: string; version: string; now: Date },
): Promise<boolean> {
  const row = await db
    .insertInto("app_versions")
    .values({ adam_id: input.adamId, version: input.version, seen_at: input.now })
    .onConflict((oc) =>
      oc
        .column("adam_id")
        .doUpdateSet({ version: input.version, seen_at: input.now })
        .where("app_versions.version", "<>", input.version),
    )
    .returning("adam_id")
    .executeTakeFirst();
  return row !== undefined;
}

export interface OutdatedInstall {
  spaceId: string;
  deviceId: string;
  serialNumber: string;
  adamId: string;
  version: string;
  licenseId: string;
}

/**
 * DB4: device-licensed installs older than the newest known version that were not
 * pushed that version yet (one update per version), on active devices, for apps in
 * the catalog; narrowed by app, device or the catalog app's update mode.
 */
export async function findOutdatedInstalls(
  db: Db,
  filter: { adamId?: string; spaceId?: string; deviceId?: string; mode?: UpdateMode },
): Promise<OutdatedInstall[]> {
  let query = db
    .selectFrom("installed_apps as ia")
    .innerJoin("app_versions as av", "av.adam_id", "ia.adam_id")
    .innerJoin("catalog_apps as ca", (j) =>
      j
        .onRef("ca.space_id", "=", "ia.space_id")
        .onRef("ca.adam_id", "=", "ia.adam_id")
        .on("ca.in_catalog", "=", true),
    )
    .innerJoin("devices as d", (j) =>
      j
        .onRef("d.space_id", "=", "ia.space_id")
        .onRef("d.id", "=", "ia.device_id")
        .on("d.status", "=", "active"),
    )
    .innerJoin("licenses as l", (j) =>
      j
        .onRef("l.space_id", "=", "ia.space_id")
        .onRef("l.adam_id", "=", "ia.adam_id")
        .onRef("l.device_id", "=", "ia.device_id")
        .on("l.state", "=", "assigned"),
    )
    .select([
      "ia.space_id",
      "ia.device_id",
      "d.serial_number",
      "av.adam_id",
      "av.version",
      "l.id as license_id",
    ])
    .where((eb) => eb.or([eb("ia.version", "is", null), eb("ia.version", "<>", eb.ref("av.version"))]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("mdm_commands as mc")
            .select("mc.seq")
            .whereRef("mc.space_id", "=", "ia.space_id")
            .whereRef("mc.device_id", "=", "ia.device_id")
            .whereRef("mc.adam_id", "=", "ia.adam_id")
            .whereRef("mc.app_version", "=", "av.version")
            .where("mc.state", "in", ["pending", "delivered"]),
        ),
      ),
    );
  if (filter.adamId) query = query.where("ia.adam_id", "=", filter.adamId);
  if (filter.spaceId) query = query.where("ia.space_id", "=", filter.spaceId);
  if (filter.deviceId) query = query.where("ia.device_id", "=", filter.deviceId);
  if (filter.mode) query = query.where("ca.update_mode", "=", filter.mode);
  const rows = await query.execute();
  return rows.map((r) => ({
    spaceId: r.space_id,
    deviceId: r.device_id,
    serialNumber: r.serial_number,
    adamId: r.adam_id,
    version: r.version,
    licenseId: r.license_id,
  }));
}
