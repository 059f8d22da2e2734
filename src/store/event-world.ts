import type { Device, EventWorld, License } from "../licensing/index.js";
import type { Db } from "./database.js";
import { toDevice } from "./device.repo.js";
import { toLicense } from "./license.repo.js";
import { inList, unique } from "./sql-helpers.js";

/** Which live licenses an event may touch. */
export interface LicenseScope {
  spaceIds: readonly string[];
  adamId?: string;
  accountId?: string;
  userId?: string;
  deviceId?: string;
  licenseId?: string;
  /** Several licenses at once (a reclaim's batch). */
  licenseIds?: readonly string[];
}

/**
 * Loads what `consequencesOf` needs for one event: the live licenses in scope, the
 * devices they serve (the device, or the user's devices), the devices of `spaceIds`
 * that have the app installed (for uninstalls, PB1) and those devices' managed apps.
 */
export async function loadEventWorld(
  db: Db,
  input: {
    scope: LicenseScope;
    now: Date;
    extraDeviceIds?: readonly string[];
    extraUserIds?: readonly string[];
  },
): Promise<EventWorld> {
  const { scope } = input;
  if (scope.spaceIds.length === 0) return { now: input.now, licenses: [], devices: [], installs: [] };
  // Apple never takes back a license of a non-revocable asset (books): it stays with its
  // holder, so no event releases it (Apple would refuse the disassociation).
  let query = db
    .selectFrom("licenses")
    .selectAll()
    .where(inList("space_id", scope.spaceIds))
    .where("state", "in", ["pending_assign", "assigned"])
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("assets")
          .select("assets.adam_id")
          .whereRef("assets.space_id", "=", "licenses.space_id")
          .whereRef("assets.account_id", "=", "licenses.account_id")
          .whereRef("assets.adam_id", "=", "licenses.adam_id")
          .where("assets.revocable", "=", true),
      ),
    );
  if (scope.adamId) query = query.where("adam_id", "=", scope.adamId);
  if (scope.accountId) query = query.where("account_id", "=", scope.accountId);
  if (scope.userId) query = query.where("user_id", "=", scope.userId);
  if (scope.deviceId) query = query.where("device_id", "=", scope.deviceId);
  if (scope.licenseId) query = query.where("id", "=", scope.licenseId);
  if (scope.licenseIds) query = query.where(inList("id", scope.licenseIds));
  const licenses: License[] = (await query.execute()).map(toLicense);

  const deviceIds = unique([
    ...licenses.flatMap((l) => (l.deviceId ? [l.deviceId] : [])),
    ...(input.extraDeviceIds ?? []),
  ]);
  const userIds = unique([
    ...licenses.flatMap((l) => (l.userId ? [l.userId] : [])),
    ...(input.extraUserIds ?? []),
  ]);
  const deviceRows = await db
    .selectFrom("devices")
    .selectAll()
    .where(inList("space_id", scope.spaceIds))
    .where((eb) => {
      const any = [inList("id", deviceIds), inList("user_id", userIds)];
      if (scope.adamId) {
        any.push(
          eb.exists(
            eb
              .selectFrom("installed_apps")
              .select("installed_apps.device_id")
              .whereRef("installed_apps.space_id", "=", "devices.space_id")
              .whereRef("installed_apps.device_id", "=", "devices.id")
              .where("installed_apps.adam_id", "=", scope.adamId),
          ),
        );
      }
      return eb.or(any);
    })
    .execute();
  const devices: Device[] = deviceRows.map(toDevice);
  const installRows =
    devices.length === 0
      ? []
      : await db
          .selectFrom("installed_apps")
          .select(["device_id", "adam_id"])
          .where(inList("space_id", scope.spaceIds))
          .where(
            inList(
              "device_id",
              devices.map((d) => d.id),
            ),
          )
          .where("adam_id", "is not", null)
          .execute();
  const installs = installRows.flatMap((r) =>
    r.adam_id ? [{ deviceId: r.device_id, adamId: r.adam_id }] : [],
  );
  return { now: input.now, licenses, devices, installs };
}
