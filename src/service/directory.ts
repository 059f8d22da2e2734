import type { Db } from "../store/database.js";
import type { Actor } from "../store/sql-helpers.js";

/**
 * Deleting users and devices: their licenses are released first (RV5, RV1). A port, so
 * the composition root can bind src/mdm's versions (which also send MDM commands).
 * A row with license history is kept, marked deleted or inactive, so the log stays whole.
 */
export interface DirectoryOps {
  deleteUser(db: Db, input: { spaceId: string; userId: string; actor: Actor; now: Date }): Promise<void>;
  deleteDevice(db: Db, input: { spaceId: string; deviceId: string; actor: Actor; now: Date }): Promise<void>;
}
