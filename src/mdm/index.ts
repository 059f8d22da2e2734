export { type CheckInResult, checkIn } from "./check-in.js";
export { deliverMdmCommands, toMdmCommandMessage } from "./deliver.js";
export type { MdmDeps } from "./deps.js";
export { enrollDevice } from "./enroll.js";
export { applyEvent, applyRevocations, type MdmEvent } from "./events.js";
export { type LicenseRequestResult, requestLicense, requestLicensesFor } from "./license-request.js";
export { moveDevice } from "./move.js";
export {
  createWebhookSink,
  type MdmCommandMessage,
  type MdmCommandSink,
  MdmDeliveryError,
  verifyWebhookSignature,
} from "./sinks.js";

import { type Actor, getAppOfSpace, getUser } from "../store/index.js";
import { includeInDistribution } from "../store/mdm-events.repo.js";
import type { MdmDeps } from "./deps.js";
import { applyEvent } from "./events.js";

/** RV2, RV4: one license revoked by an admin (from the log or the app's License usage tab). */
export function revokeLicense(deps: MdmDeps, input: { spaceId: string; licenseId: string; actor: Actor }) {
  return applyEvent(
    deps,
    { kind: "license_revoked", spaceId: input.spaceId, licenseId: input.licenseId },
    input.actor,
  );
}

/** MA4: "Revoke all licenses" of an app revokes it in every account of the space. */
export function revokeAllForApp(deps: MdmDeps, input: { spaceId: string; adamId: string; actor: Actor }) {
  return applyEvent(deps, { kind: "app_revoked", spaceId: input.spaceId, adamId: input.adamId }, input.actor);
}
export {
  type CatalogInput,
  delegateApp,
  previewCatalogRemoval,
  putCatalogApp,
  removeFromCatalog,
  undelegateApp,
} from "./catalog.js";
export { publishAppVersion, pushUpdatesAtCheckIn } from "./updates.js";
export { INVITE_BATCH, inviteGroup, inviteUsers } from "./users.js";

/** The app is back in the user's catalog distribution: decided again at the next request or check-in. */
export async function addToDistribution(
  deps: MdmDeps,
  input: { spaceId: string; adamId: string; userId: string; actor: Actor },
): Promise<boolean> {
  await getUser(deps.db, input.spaceId, input.userId);
  await getAppOfSpace(deps.db, input.spaceId, input.adamId);
  return includeInDistribution(deps.db, { ...input, now: deps.now() });
}
