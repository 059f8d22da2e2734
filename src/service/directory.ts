import { graceEnd, LIVE_STATES, type RuleId } from "../licensing/index.js";
import type { Db } from "../store/database.js";
import { deleteRow } from "../store/directory.repo.js";
import { releaseLicenses } from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";

/**
 * Deleting users and devices: their licenses are released first (RV5, RV1). A port, so
 * the composition root can bind src/mdm's versions (which also send MDM commands).
 * A row with license history cannot be deleted (the log keeps pointing at it): 409.
 */
export interface DirectoryOps {
  deleteUser(db: Db, input: { spaceId: string; userId: string; actor: Actor; now: Date }): Promise<void>;
  deleteDevice(db: Db, input: { spaceId: string; deviceId: string; actor: Actor; now: Date }): Promise<void>;
}

export const storeDirectoryOps: DirectoryOps = {
  async deleteUser(db, input) {
    await releaseLive(db, input.spaceId, "user_id", input.userId, ["RV5"], input.actor, input.now);
    await deleteRow(db, "users", input.spaceId, input.userId);
  },
  async deleteDevice(db, input) {
    await releaseLive(db, input.spaceId, "device_id", input.deviceId, ["RV5"], input.actor, input.now);
    await deleteRow(db, "devices", input.spaceId, input.deviceId);
  },
};

async function releaseLive(
  db: Db,
  spaceId: string,
  column: "user_id" | "device_id",
  id: string,
  because: RuleId[],
  actor: Actor,
  now: Date,
): Promise<void> {
  const rows = await db
    .selectFrom("licenses")
    .select("id")
    .where("space_id", "=", spaceId)
    .where(column, "=", id)
    .where("state", "in", LIVE_STATES)
    .execute();
  if (rows.length === 0) return;
  await releaseLicenses(db, {
    spaceId,
    licenseIds: rows.map((r) => r.id),
    because,
    actor,
    now,
    graceUntil: graceEnd(now),
  });
}
