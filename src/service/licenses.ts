import type { Decision, RequestReason, RuleId, Subject } from "../licensing/index.js";
import type { Db } from "../store/database.js";
import type { LicenseRecord } from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";

/**
 * License changes an administrator asks for: a license request (the engine's decision
 * made real), revoking one license (RV2, RV4) and revoking all of an app's licenses in a
 * space (MA4). A port, so the composition root can bind src/mdm's versions (which also
 * send the MDM's install commands); main/mdm-bindings.ts binds it.
 */
export interface LicenseOps {
  request(
    db: Db,
    input: { spaceId: string; adamId: string; subject: Subject; why: RequestReason; actor: Actor; now: Date },
  ): Promise<{ decision: Decision; licenseId?: string; accountName?: string }>;
  revoke(
    db: Db,
    input: { spaceId: string; licenseId: string; because: RuleId[]; actor: Actor; now: Date },
  ): Promise<LicenseRecord[]>;
  /**
   * RV2: many licenses of a space revoked at once (a reclaim's batch), each as `revoke` does,
   * in statements per batch rather than per license. Returns the ids revoked: a license no
   * longer live (revoked meanwhile) is left out, not an error.
   */
  revokeMany(
    db: Db,
    input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
  ): Promise<string[]>;
  revokeAllForApp(
    db: Db,
    input: { spaceId: string; adamId: string; actor: Actor; now: Date },
  ): Promise<LicenseRecord[]>;
}
