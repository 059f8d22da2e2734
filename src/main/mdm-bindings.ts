import { LIVE_STATES } from "../licensing/index.js";
import { applyEvent, applyRevocations, type MdmEvent, requestLicense } from "../mdm/index.js";
import type { DirectoryOps } from "../service/directory.js";
import type { LicenseOps } from "../service/licenses.js";
import { deleteRow } from "../store/directory.repo.js";
import { FOREIGN_KEY_VIOLATION, sqlState } from "../store/errors.js";
import {
  type Actor,
  type Db,
  findAsset,
  findCatalogApp,
  getDevice,
  getLicense,
  getUser,
  type LicenseRecord,
  listAssetsForApp,
  NotFoundError,
  StoreError,
} from "../store/index.js";

/**
 * The API's license and directory ports bound to src/mdm: every change goes through
 * the engine's consequences, queues Apple's operations and the MDM's commands in the
 * same transaction, and is logged with its rule ids.
 */
export const mdmLicenseOps: LicenseOps = {
  async request(db, input) {
    const result = await requestLicense(mdmDeps(db, input.now), {
      spaceId: input.spaceId,
      adamId: input.adamId,
      subject: input.subject,
      why: input.why,
      actor: input.actor,
    });
    return {
      decision: result.decision,
      ...(result.licenseId ? { licenseId: result.licenseId } : {}),
      ...(result.accountName ? { accountName: result.accountName } : {}),
    };
  },

  async revoke(db, input) {
    const license = await getLicense(db, input.spaceId, input.licenseId);
    if (!LIVE_STATES.includes(license.state)) {
      throw new StoreError("invalid_transition", `license ${license.id} is ${license.state}, not live`, {
        state: license.state,
      });
    }
    const asset = await findAsset(db, input.spaceId, license.accountId, license.adamId);
    if (asset && !asset.revocable) throw notRevocable(license.adamId);
    return released(
      db,
      input.spaceId,
      { kind: "license_revoked", spaceId: input.spaceId, licenseId: license.id },
      input.actor,
      input.now,
    );
  },

  revokeMany(db, input) {
    return applyRevocations(
      mdmDeps(db, input.now),
      { spaceId: input.spaceId, licenseIds: input.licenseIds },
      input.actor,
    );
  },

  async revokeAllForApp(db, input) {
    const assets = await listAssetsForApp(db, input.spaceId, input.adamId);
    if (assets.length === 0 && !(await findCatalogApp(db, input.spaceId, input.adamId)))
      throw new NotFoundError("app", input.adamId);
    // A book's licenses stay with their holders: saying "0 revoked" would read as done.
    if (assets.length > 0 && assets.every((a) => !a.revocable)) throw notRevocable(input.adamId);
    return released(
      db,
      input.spaceId,
      { kind: "app_revoked", spaceId: input.spaceId, adamId: input.adamId },
      input.actor,
      input.now,
    );
  },
};

/** Apple never takes back a license of a book: no revoke can release it (event-world.ts). */
function notRevocable(adamId: string): StoreError {
  return new StoreError("not_revocable", `${adamId} is a book: Apple never takes its licenses back`, {
    adamId,
  });
}

/**
 * Deleting a user (RV5) or a device (the MDM profile is gone, RV5): licenses released
 * through the engine first. A row that license history still points to is kept, marked
 * (user deleted, device inactive), so the log stays whole; otherwise it is removed.
 */
export const mdmDirectoryOps: DirectoryOps = {
  async deleteUser(db, input) {
    await getUser(db, input.spaceId, input.userId);
    await applyEvent(
      mdmDeps(db, input.now),
      { kind: "user_deleted", spaceId: input.spaceId, userId: input.userId },
      input.actor,
    );
    await deleteUnlessReferenced(db, "users", input.spaceId, input.userId);
  },
  async deleteDevice(db, input) {
    await getDevice(db, input.spaceId, input.deviceId);
    await applyEvent(
      mdmDeps(db, input.now),
      { kind: "mdm_profile_removed", spaceId: input.spaceId, deviceId: input.deviceId },
      input.actor,
    );
    await deleteUnlessReferenced(db, "devices", input.spaceId, input.deviceId);
  },
};

function mdmDeps(db: Db, now: Date) {
  return { db, now: () => now };
}

async function released(
  db: Db,
  spaceId: string,
  event: MdmEvent,
  actor: Actor,
  now: Date,
): Promise<LicenseRecord[]> {
  const consequences = await applyEvent(mdmDeps(db, now), event, actor);
  return Promise.all(consequences.releases.map((r) => getLicense(db, spaceId, r.licenseId)));
}

async function deleteUnlessReferenced(
  db: Db,
  table: "users" | "devices",
  spaceId: string,
  id: string,
): Promise<void> {
  try {
    await deleteRow(db, table, spaceId, id);
  } catch (error) {
    if (sqlState(error) !== FOREIGN_KEY_VIOLATION) throw error;
  }
}
