import { sql } from "kysely";
import { appendActivity } from "./activity.repo.js";
import type { ActivityAction } from "./activity-actions.js";
import { activityMessage } from "./activity-messages.js";
import type { Db, Trx } from "./database.js";
import { cancelInvitations, followDevices, INVITE_CANCELLED } from "./invite-commands.repo.js";
import { lockUsers, retireAtApple } from "./mdm-users.repo.js";
import type { DeviceStatus } from "./space.table.js";
import type { Actor } from "./sql-helpers.js";
import { removeStaleWaits, removeWaitsOfGoneSubject } from "./stale-waits.repo.js";

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
 * (the row stays for history), the catalog. Logged (invariant 4), and so is each waiting
 * request that leaves with its device, its user or its app (DB2).
 */
export async function applySideEffects(trx: Trx, event: MdmEvent, actor: Actor, now: Date): Promise<void> {
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed": {
      const status = deviceStatusAfter(event.kind);
      await trx
        .updateTable("devices")
        .set({ status, updated_at: now })
        .where("space_id", "=", event.spaceId)
        .where("id", "=", event.deviceId)
        .execute();
      await removeWaitsOfGoneSubject(trx, { gone: event, actor, now });
      // Out of service: its invites, installs and removes are cancelled (nothing reaches it now).
      await followDevices(trx, { spaceId: event.spaceId, deviceIds: [event.deviceId], now });
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
      await removeWaitsOfGoneSubject(trx, { gone: event, actor, now });
      await trx
        .deleteFrom("group_members")
        .where("space_id", "=", event.spaceId)
        .where("user_id", "=", event.userId)
        .execute();
      await cancelInvitations(trx, {
        spaceId: event.spaceId,
        userIds: [event.userId],
        reason: INVITE_CANCELLED.userDeleted,
        now,
      });
      // RV5: its devices are no one's now, and say so by their updatedAt: an MDM that reads
      // devices changed since its last sync sees them lose their user.
      await trx
        .updateTable("devices")
        .set({ user_id: null, updated_at: now })
        .where("space_id", "=", event.spaceId)
        .where("user_id", "=", event.userId)
        .execute();
      break;
    case "app_deleted": {
      // CA1: from the default space, its delegations end too (the copies keep their options).
      const left = await trx
        .updateTable("catalog_apps")
        .set({
          in_catalog: false,
          delegated_from_space_id: sql<string | null>`case when space_id = ${event.spaceId}
            then delegated_from_space_id end`,
        })
        .where("adam_id", "=", event.adamId)
        .where((eb) =>
          eb.or([eb("space_id", "=", event.spaceId), eb("delegated_from_space_id", "=", event.spaceId)]),
        )
        .returning("space_id")
        .execute();
      await waitsLeaveWithTheApp(trx, left, event.adamId, actor, now);
      break;
    }
    case "app_undelegated": {
      // CA1: the space keeps its options (Install on device, updates, description) for a
      // later delegation; out of its catalog and no longer delegated, its admins cannot add it back.
      const left = await trx
        .updateTable("catalog_apps")
        .set({ in_catalog: false, delegated_from_space_id: null })
        .where("adam_id", "=", event.adamId)
        .where("delegated_from_space_id", "=", event.spaceId)
        .where("space_id", "in", [...event.spaceIds])
        .returning("space_id")
        .execute();
      await waitsLeaveWithTheApp(trx, left, event.adamId, actor, now);
      break;
    }
    case "app_removed_from_distribution":
      // PB1: remembered, so the next check-in does not license and install it again.
      await trx
        .insertInto("distribution_exclusions")
        .values({ space_id: event.spaceId, adam_id: event.adamId, user_id: event.userId, excluded_at: now })
        .onConflict((oc) => oc.columns(["space_id", "adam_id", "user_id"]).doNothing())
        .execute();
      break;
    default:
      return;
  }
  await appendActivity(trx, [
    {
      spaceId: event.spaceId,
      actor,
      action: `mdm.${event.kind}` as const satisfies ActivityAction,
      ...("deviceId" in event ? { deviceId: event.deviceId } : {}),
      ...("userId" in event ? { userId: event.userId } : {}),
      ...("adamId" in event ? { adamId: event.adamId } : {}),
      ruleIds: [],
      message: activityMessage(`mdm.${event.kind}`),
      at: now,
    },
  ]);
}

/** CA3, DB2: the app left these spaces' catalogs: nobody waits for it there any more (each logged). */
async function waitsLeaveWithTheApp(
  trx: Trx,
  spaces: ReadonlyArray<{ space_id: string }>,
  adamId: string,
  actor: Actor,
  now: Date,
): Promise<void> {
  await removeStaleWaits(trx, {
    scope: { spaceIds: spaces.map((s) => s.space_id), adamId },
    cause: "catalog",
    actor,
    now,
  });
}

/**
 * Locks the row an event changes (its device, its user, the catalog app) until the
 * transaction ends: the same event sent twice at once (an MDM's retry racing the
 * original) queues, so the second sees the first's change in effect and does nothing.
 * NO KEY UPDATE: a check-in inserting a license or a command for the device takes a key
 * share lock on it after its asset locks, which FOR UPDATE would block (a deadlock).
 */
export async function lockEventSubject(db: Db, event: MdmEvent): Promise<void> {
  if ("deviceId" in event)
    await sql`select 1 from devices where space_id = ${event.spaceId} and id = ${event.deviceId}
      for no key update`.execute(db);
  else if ("userId" in event) await lockUsers(db, event.spaceId, [event.userId]);
  else if (event.kind === "app_deleted")
    await sql`select 1 from catalog_apps where space_id = ${event.spaceId} and adam_id = ${event.adamId}
      for no key update`.execute(db);
}

/** The status a device event leaves the device in. */
export function deviceStatusAfter(
  kind: "device_retired" | "device_wiped" | "device_inactive" | "mdm_profile_removed",
): DeviceStatus {
  switch (kind) {
    case "device_retired":
      return "retired";
    case "device_wiped":
      return "wiped";
    case "device_inactive":
      return "inactive";
    case "mdm_profile_removed":
      return "unenrolled";
  }
}

/** PB1: whether the app is out of the user's catalog distribution already. */
export async function isExcludedFromDistribution(
  db: Db,
  input: { spaceId: string; adamId: string; userId: string },
): Promise<boolean> {
  const row = await db
    .selectFrom("distribution_exclusions")
    .select("user_id")
    .where("space_id", "=", input.spaceId)
    .where("adam_id", "=", input.adamId)
    .where("user_id", "=", input.userId)
    .executeTakeFirst();
  return row !== undefined;
}

/** The app is back in the user's catalog distribution (undoes PB1's exclusion). */
export async function includeInDistribution(
  db: Db,
  input: { spaceId: string; adamId: string; userId: string; actor: Actor; now: Date },
): Promise<boolean> {
  const result = await db
    .deleteFrom("distribution_exclusions")
    .where("space_id", "=", input.spaceId)
    .where("adam_id", "=", input.adamId)
    .where("user_id", "=", input.userId)
    .executeTakeFirst();
  const changed = result.numDeletedRows > 0n;
  if (changed) {
    await appendActivity(db, [
      {
        spaceId: input.spaceId,
        actor: input.actor,
        action: "mdm.app_added_to_distribution",
        userId: input.userId,
        adamId: input.adamId,
        ruleIds: ["PB1"],
        message: activityMessage("mdm.app_added_to_distribution"),
        at: input.now,
      },
    ]);
  }
  return changed;
}
