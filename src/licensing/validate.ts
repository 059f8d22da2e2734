import { LicensingError } from "./errors.js";
import type { AccountForApp, DecisionWorld, LicenseRequest } from "./types.js";

/**
 * Checks that a world is one the engine can decide over for this request. The store
 * builds worlds from the database, so a failure here is a bug or tampered input:
 * refusing it loudly is safer than granting from inconsistent numbers.
 */
export function validateWorld(request: LicenseRequest, world: DecisionWorld): void {
  if (world.space.id !== request.spaceId) {
    throw new LicensingError("subject_in_other_space", "the world describes another space", {
      spaceId: request.spaceId,
    });
  }
  if (world.catalogApp && world.catalogApp.adamId !== request.adamId) {
    throw new LicensingError("unknown_app", `app ${request.adamId} is not the app of this world`);
  }
  const subject = request.subject;
  if (subject.kind === "user") {
    if (!world.user || world.user.id !== subject.userId) {
      throw new LicensingError("unknown_subject", `unknown user ${subject.userId}`);
    }
  } else if (!world.device || world.device.id !== subject.deviceId) {
    throw new LicensingError("unknown_subject", `unknown device ${subject.deviceId}`);
  }
  for (const who of [world.user, world.device]) {
    if (who && who.spaceId !== request.spaceId) {
      throw new LicensingError("subject_in_other_space", `${who.id} belongs to another space`, {
        subjectId: who.id,
      });
    }
  }
  if (world.device?.userId !== undefined && world.user && world.user.id !== world.device.userId) {
    throw new LicensingError("unknown_subject", "the user given is not the device's user");
  }
  for (const account of world.accounts) validateAccount(request, account);
}

function validateAccount(request: LicenseRequest, account: AccountForApp): void {
  const { asset, rules } = account;
  if (asset) {
    if (asset.adamId !== request.adamId) {
      throw new LicensingError("unknown_app", `account ${account.id} lists another app's asset`);
    }
    for (const [name, value] of [
      ["total", asset.total],
      ["used", asset.used],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new LicensingError(
          "invalid_count",
          `${name} of account ${account.id} must be a whole number >= 0`,
          {
            accountId: account.id,
            [name]: value,
          },
        );
      }
    }
  }
  if (!Number.isInteger(rules.unusedReservations) || rules.unusedReservations < 0) {
    throw new LicensingError("invalid_count", `reservations of account ${account.id} must be >= 0`);
  }
  if (!Number.isInteger(account.priority) || account.priority < 1) {
    throw new LicensingError("invalid_count", `priority of account ${account.id} must be >= 1`);
  }
  const both = firstCommon(rules.reservedUserIds, rules.prohibitedUserIds);
  if (both !== undefined) {
    // DI7: reserved and prohibited in one account is a contradiction, not a precedence case.
    throw new LicensingError(
      "invalid_rules",
      `user ${both} is both reserved and prohibited in account ${account.id}`,
    );
  }
}

/** The first id in both lists; a Set only where the lists are long (this runs per decision). */
function firstCommon(a: readonly string[], b: readonly string[]): string | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  if (a.length * b.length <= 256) return a.find((id) => b.includes(id));
  const set = new Set(b);
  return a.find((id) => set.has(id));
}
