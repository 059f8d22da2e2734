import type { Decision, LicenseRequest } from "../licensing/index.js";
import { type Actor, type Db, findDevice, requestLicenses, withTransaction } from "../store/index.js";
import { hasOpenInstall, queueMdmCommands } from "../store/mdm-command.repo.js";
import { listInstalledAdamIds } from "../store/mdm-query.repo.js";
import type { MdmDeps } from "./deps.js";

export interface LicenseRequestResult {
  decision: Decision;
  /** The new license, when granted (pending until Apple confirms). */
  licenseId?: string;
  /** An install command was queued for the device (sent once Apple confirms the license). */
  installQueued: boolean;
}

/**
 * The engine's decision made real for one request: the license reserved, Apple's
 * association queued, and, for a device, the MDM's install queued in the same
 * transaction. The install waits for Apple's confirmation, as Apple asks.
 */
export async function requestLicense(
  deps: MdmDeps,
  input: LicenseRequest & { actor: Actor },
): Promise<LicenseRequestResult> {
  const [result] = await requestLicensesFor(deps, {
    spaceId: input.spaceId,
    adamId: input.adamId,
    requests: [input],
    actor: input.actor,
  });
  if (!result) throw new Error("allocation returned no result for one request");
  return result;
}

/** The same for many subjects of one app, in one transaction (check-in storms). */
export async function requestLicensesFor(
  deps: MdmDeps,
  input: { spaceId: string; adamId: string; requests: readonly LicenseRequest[]; actor: Actor },
): Promise<LicenseRequestResult[]> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const results = await requestLicenses(trx, { ...input, now });
    const out: LicenseRequestResult[] = [];
    const commands = [];
    for (const r of results) {
      // The license the install waits on: the new one, or the one kept (maybe still pending at Apple).
      const licenseId = r.licenseId ?? (r.decision.outcome === "keep" ? r.decision.licenseId : undefined);
      const install = await installFor(trx, r.request, r.decision, licenseId);
      if (install) {
        commands.push({
          spaceId: input.spaceId,
          kind: "install" as const,
          deviceId: install.deviceId,
          serialNumber: install.serialNumber,
          adamId: input.adamId,
          ...(licenseId ? { licenseId } : {}),
          ruleIds: ["LT2", ...r.decision.because],
          now,
        });
      }
      out.push({
        decision: r.decision,
        ...(r.licenseId ? { licenseId: r.licenseId } : {}),
        installQueued: !!install,
      });
    }
    await queueMdmCommands(trx, commands);
    return out;
  });
}

/** LT2: a device that got (or keeps) a license installs the app, unless it has it already. */
async function installFor(
  db: Db,
  request: LicenseRequest,
  decision: Decision,
  licenseId: string | undefined,
): Promise<{ deviceId: string; serialNumber: string } | undefined> {
  if (request.subject.kind !== "device") return undefined;
  if (decision.outcome !== "grant" && decision.outcome !== "keep") return undefined;
  const device = await findDevice(db, request.spaceId, request.subject.deviceId);
  if (!device) return undefined;
  const installed = await listInstalledAdamIds(db, request.spaceId, device.id);
  if (installed.has(request.adamId)) return undefined;
  // One install per license: a check-in before the MDM reported the app asks nothing new.
  if (
    await hasOpenInstall(db, {
      spaceId: request.spaceId,
      deviceId: device.id,
      adamId: request.adamId,
      licenseId,
    })
  ) {
    return undefined;
  }
  return { deviceId: device.id, serialNumber: device.serialNumber };
}
