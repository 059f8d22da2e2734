import { appendActivity } from "./activity.repo.js";
import type { Trx } from "./database.js";
import { retireAtApple } from "./mdm-users.repo.js";
import type { Actor } from "./sql-helpers.js";

/** Something that happened in the MDM or the console, with the space it happened in. */
export type MdmEvent =
  | {
      kind: "device_retired" | "device_wiped" | "device_inactive" | "mdm_profile_removed";
      spaceId: string;
      deviceId: string;
    }
  | { kind: "user_deleted"; spaceId: string; userId: string }
  /** Deleted from the space's catalog (from the default space: also from the spaces it was delegated to). */
  | { kind: "app_deleted"; spaceId: string; adamId: string }
  | { kind: "account_deleted"; spaceId: string; accountId: string }
  | { kind: "app_removed_from_distribution"; spaceId: string; adamId: string; userId: string }
  /** The default space (`spaceId`) stops delegating the app to `spaceIds`. */
  | { kind: "app_undelegated"; spaceId: string; adamId: string; spaceIds: readonly string[] }
  | { kind: "license_revoked"; spaceId: string; licenseId: string }
  | { kind: "app_revoked"; spaceId: string; adamId: string };

/**
 * What an MDM event changes besides licenses: the device's status, the user's deletion
 * (the row stays for history; waiting requests go), the catalog. Logged (invariant 4).
 */
export async function applySideEffects(trx: Trx, event: MdmEvent, actor: Actor, now: Date): Promise<void> {
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed": {
      const status =
        event.kind === "device_retired" ? "retired" : event.kind === "device_wiped" ? "wiped" : "inactive";
      await trx
        .updateTable("devices")
        .set({ status, updated_at: now })
        .where("space_id", "=", event.spaceId)
        .where("id", "=", event.deviceId)
        .execute();
      await trx
        .deleteFrom("license_queue")
        .where("space_id", "=", event.spaceId)
        .where("device_id", "=", event.deviceId)
        .execute();
      break;
    }
    case "user_deleted":
      await retireAtApple(trx, { spaceId: event.spaceId, userId: event.userId, now });
      await trx
        .updateTable("users")
        .set({ deleted_at: now, updated_at: now })
        .where("space_id", "=", event.spaceId)
        .where("id", "=", event.userId)
        .execute();
      await trx
        .deleteFrom("license_queue")
        .where("space_id", "=", event.spaceId)
        .where("user_id", "=", event.userId)
        .execute();
      await trx
        .deleteFrom("group_members")
        .where("space_id", "=", event.spaceId)
        .where("user_id", "=", event.userId)
        .execute();
      break;
    case "app_deleted":
      await trx
        .updateTable("catalog_apps")
        .set({ in_catalog: false })
        .where("adam_id", "=", event.adamId)
        .where((eb) =>
          eb.or([eb("space_id", "=", event.spaceId), eb("delegated_from_space_id", "=", event.spaceId)]),
        )
        .execute();
      break;
    case "app_undelegated":
      await trx
        .deleteFrom("catalog_apps")
        .where("adam_id", "=", event.adamId)
        .where("delegated_from_space_id", "=", event.spaceId)
        .where("space_id", "in", [...event.spaceIds])
        .execute();
      break;
    default:
      return;
  }
  await appendActivity(trx, [
    {
      spaceId: event.spaceId,
      actor,
      action: `mdm.${event.kind}`,
      ...("deviceId" in event ? { deviceId: event.deviceId } : {}),
      ...("userId" in event ? { userId: event.userId } : {}),
      ...("adamId" in event ? { adamId: event.adamId } : {}),
      ruleIds: [],
      message: event.kind.replaceAll("_", " "),
      at: now,
    },
  ]);
}
