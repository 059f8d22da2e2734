import {
  type Decision,
  graceEnd,
  LIVE_STATES,
  type RequestReason,
  type RuleId,
  type Subject,
} from "../licensing/index.js";
import type { Db } from "../store/database.js";
import { NotFoundError, StoreError } from "../store/errors.js";
import {
  findDevice,
  getLicense,
  type LicenseRecord,
  releaseLicenses,
  requestLicenses,
} from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";

/**
 * License changes an administrator asks for: a license request (the engine's decision
 * made real), revoking one license (RV2, RV4) and revoking all of an app's licenses in a
 * space (MA4). A port, so the composition root can bind src/mdm's versions (which also
 * send the MDM's install commands); `storeLicenseOps` is the store-only binding.
 */
export interface LicenseOps {
  request(
    db: Db,
    input: { spaceId: string; adamId: string; subject: Subject; why: RequestReason; actor: Actor; now: Date },
  ): Promise<{ decision: Decision; licenseId?: string }>;
  revoke(
    db: Db,
    input: { spaceId: string; licenseId: string; because: RuleId[]; actor: Actor; now: Date },
  ): Promise<LicenseRecord[]>;
  revokeAllForApp(
    db: Db,
    input: { spaceId: string; adamId: string; actor: Actor; now: Date },
  ): Promise<LicenseRecord[]>;
}

export const storeLicenseOps: LicenseOps = {
  async request(db, input) {
    const [result] = await requestLicenses(db, {
      spaceId: input.spaceId,
      adamId: input.adamId,
      requests: [{ spaceId: input.spaceId, adamId: input.adamId, subject: input.subject, why: input.why }],
      actor: input.actor,
      now: input.now,
    });
    if (!result) throw new StoreError("invalid_request", "the allocation returned no decision");
    return { decision: result.decision, ...(result.licenseId ? { licenseId: result.licenseId } : {}) };
  },

  async revoke(db, input) {
    const license = await getLicense(db, input.spaceId, input.licenseId);
    if (!LIVE_STATES.includes(license.state)) {
      throw new StoreError("invalid_transition", `license ${license.id} is ${license.state}, not live`, {
        state: license.state,
      });
    }
    return releaseLicenses(db, {
      spaceId: input.spaceId,
      licenseIds: [license.id],
      because: input.because,
      actor: input.actor,
      now: input.now,
      ...(await graceFor(db, license, input.now)),
    });
  },

  async revokeAllForApp(db, input) {
    const rows = await db
      .selectFrom("licenses")
      .select(["id"])
      .where("space_id", "=", input.spaceId)
      .where("adam_id", "=", input.adamId)
      .where("state", "in", LIVE_STATES)
      .execute();
    const known = await db
      .selectFrom("assets")
      .select("adam_id")
      .where("space_id", "=", input.spaceId)
      .where("adam_id", "=", input.adamId)
      .union(
        db
          .selectFrom("catalog_apps")
          .select("adam_id")
          .where("space_id", "=", input.spaceId)
          .where("adam_id", "=", input.adamId),
      )
      .executeTakeFirst();
    if (!known) throw new NotFoundError("app", input.adamId);
    if (rows.length === 0) return [];
    // MA4: every account of this space (the query is scoped to it), never another space's.
    return releaseLicenses(db, {
      spaceId: input.spaceId,
      licenseIds: rows.map((r) => r.id),
      because: ["MA4", "RV2"],
      actor: input.actor,
      now: input.now,
      graceUntil: graceEnd(input.now),
    });
  },
};

/** RV3: iOS keeps a revoked app 30 days; a Mac's device license has no grace. */
async function graceFor(db: Db, license: LicenseRecord, now: Date): Promise<{ graceUntil?: Date }> {
  if (license.deviceId) {
    const device = await findDevice(db, license.spaceId, license.deviceId);
    if (device?.platform === "macOS") return {};
  }
  return { graceUntil: graceEnd(now) };
}
