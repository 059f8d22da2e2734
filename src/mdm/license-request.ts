import type { Decision, LicenseRequest } from "../licensing/index.js";
import { Coalescer, coalescerPer } from "../store/coalesce.js";
import {
  type Actor,
  type Db,
  DIRECT_CALL_SUBJECTS,
  requestLicenses,
  withTransaction,
} from "../store/index.js";
import { queueInstallsUnlessPresent } from "../store/mdm-command.repo.js";
import type { MdmDeps } from "./deps.js";

export interface LicenseRequestResult {
  decision: Decision;
  /** The new license, when granted (pending until Apple confirms). */
  licenseId?: string;
  /** The display name of the account a grant or a keep names. */
  accountName?: string;
  /** An install command was queued for the device (sent once Apple confirms the license). */
  installQueued: boolean;
}

/**
 * The engine's decision made real for one request: the license reserved, Apple's
 * association queued, and, for a device, the MDM's install queued in the same
 * transaction. The install waits for Apple's confirmation, as Apple asks.
 *
 * Requests for one app are decided one after the other under the app's asset lock
 * (invariant 1), so at a few hundred a second they would queue on that lock, each paying
 * a whole transaction. Instead, the requests of one app (and actor) that arrive together
 * are decided together, in order of arrival, in one transaction (`requestLicensesFor`,
 * through a Coalescer): a lone request starts at once, a crowd shares the lock and the
 * commit, and one bad request never fails another's.
 */
export function requestLicense(
  deps: MdmDeps,
  input: LicenseRequest & { actor: Actor },
): Promise<LicenseRequestResult> {
  // Inside a caller's transaction there is nothing to share: decide at once.
  if (deps.db.isTransaction) return requestOne(deps, input);
  const key = [input.spaceId, input.adamId, input.actor.kind, input.actor.id ?? ""].join("\u0000");
  return requestsOf(deps.db).submit(key, { input, now: deps.now() });
}

/**
 * Per database handle, the requests of each (space, app, actor) decided together: up to
 * a full Apple call of them, so that a storm's batch of device grants is written as one
 * call with its licenses (allocation.ts), not left in the outbox in halves.
 */
const requestsOf = coalescerPer(
  (db: Db) =>
    new Coalescer<{ input: LicenseRequest & { actor: Actor }; now: Date }, LicenseRequestResult>((batch) => {
      const first = batch[0]?.input;
      if (!first) return Promise.resolve([]);
      // Logged at the time of the latest request the transaction decides.
      const at = new Date(Math.max(...batch.map((b) => b.now.getTime())));
      return requestLicensesFor(
        { db, now: () => at },
        {
          spaceId: first.spaceId,
          adamId: first.adamId,
          requests: batch.map((b) => b.input),
          actor: first.actor,
        },
      );
    }, DIRECT_CALL_SUBJECTS),
);

async function requestOne(
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

/**
 * The same for many subjects of one app, in one transaction (check-in storms). LT2: a
 * device that got (or keeps) a license installs the app, unless it has it already or an
 * install for that license is queued or delivered; the install commands of the whole
 * batch are checked and queued by one statement.
 */
export async function requestLicensesFor(
  deps: MdmDeps,
  input: {
    spaceId: string;
    adamId: string;
    requests: readonly LicenseRequest[];
    actor: Actor;
    /** DB2: the queue's requests being served: only those still waiting and applying (allocation.ts). */
    served?: boolean;
  },
): Promise<LicenseRequestResult[]> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const results = await requestLicenses(trx, { ...input, now });
    const installs: Array<{ deviceId: string; licenseId?: string; ruleIds: string[] }> = [];
    for (const r of results) {
      const deviceId = installTarget(r.request, r.decision);
      if (deviceId === undefined) continue;
      // The license the install waits on: the new one, or the one kept (maybe still pending at Apple).
      const licenseId = r.licenseId ?? (r.decision.outcome === "keep" ? r.decision.licenseId : undefined);
      installs.push({
        deviceId,
        ...(licenseId ? { licenseId } : {}),
        ruleIds: ["LT2", ...r.decision.because],
      });
    }
    const queued = await queueInstallsUnlessPresent(trx, {
      spaceId: input.spaceId,
      adamId: input.adamId,
      installs,
      now,
    });
    return results.map((r) => {
      const deviceId = installTarget(r.request, r.decision);
      return {
        decision: r.decision,
        ...(r.licenseId ? { licenseId: r.licenseId } : {}),
        ...(r.accountName ? { accountName: r.accountName } : {}),
        installQueued: deviceId !== undefined && queued.has(deviceId),
      };
    });
  });
}

/** LT2: the device that installs the app after this decision, if any. */
function installTarget(request: LicenseRequest, decision: Decision): string | undefined {
  if (request.subject.kind !== "device") return undefined;
  if (decision.outcome !== "grant" && decision.outcome !== "keep") return undefined;
  return request.subject.deviceId;
}
