/**
 * Account operations AC1-AC6, end to end, for the API and the CLI: validate the token
 * with Apple, claim the location, import everything, and the options "automatically
 * distribute to all users" and "clear all previous license data" (AC1), update (AC2,
 * account-update.ts), resync (AC3), priority (AC4, MA3), delete (AC5), take over (AC6).
 * Errors are SyncErrors with a code.
 */

import type { AppleClient, ManageAssetsBatch } from "../apple/index.js";
import {
  type Account,
  type ActivityMessage,
  type Actor,
  activityMessage,
  appendActivity,
  createAccount,
  getAccount,
  NotFoundError,
  setAccountOrder as storeSetOrder,
  setAccountPriority as storeSetPriority,
} from "../store/index.js";
import {
  callsInFlight,
  deleteAccountRows,
  markAccountDeleting,
  unmarkAccountDeleting,
} from "../store/sync-account-data.repo.js";
import { type LicenseAtApple, seatHoldingLicensesOfAccount } from "../store/sync-licenses.repo.js";
import {
  assertLocationFree,
  claimLocation,
  clearAtApple,
  logAccount,
  validateToken,
} from "./account-apple.js";
import { disassociateAll, heldKey, releasedBy } from "./account-release.js";
import { toSyncError } from "./apple-errors.js";
import type { SyncDeps } from "./deps.js";
import { SyncError } from "./errors.js";
import { tokenIssueOf } from "./health.js";
import { type SyncSummary, syncAccount } from "./sync.js";

export interface AddAccountInput {
  spaceId: string;
  name: string;
  /** The .vpptoken (or .stoken) file's content. */
  sTokenFile: string;
  autoDistribute?: boolean;
  clearPrevious?: boolean;
  /** AC6: only after the admin confirmed taking the location from another MDM. */
  takeOver?: boolean;
  actor: Actor;
}

export interface AccountResult {
  account: Account;
  sync?: SyncSummary;
  /** Assignments released at Apple by "clear all previous license data". */
  cleared?: number;
}

/** Why an added account's first import did not finish: the account stays, the next sync imports it. */
export interface ImportFailure {
  code: string;
  message: string;
}

/** AC1 (and AC6): adds an account from a token file. */
export async function addAccount(
  deps: SyncDeps,
  input: AddAccountInput,
): Promise<AccountResult & { importFailed?: ImportFailure }> {
  if (input.name.trim() === "") throw new SyncError("invalid_request", "an account needs a name");
  const { sToken, client, config } = await validateToken(
    deps,
    input.sTokenFile,
    input.takeOver ?? false,
    "adding the account",
  );
  const uId = config.config.uId;
  await assertLocationFree(deps, input.spaceId, uId);
  const account = await createAccount(deps.db, deps.keys, {
    spaceId: input.spaceId,
    displayName: input.name.trim(),
    sToken: sToken.value(),
    orgName: sToken.orgName,
    ...(uId ? { locationUid: uId } : {}),
    ...(config.config.locationName ? { locationName: config.config.locationName } : {}),
    tokenExpiresAt: sToken.expiresAt,
    autoDistribute: input.autoDistribute ?? true,
  });
  try {
    await claimLocation(deps, account, client, input.takeOver ?? false);
  } catch (error) {
    await deleteAccountRows(deps.db, account.spaceId, account.id);
    throw toSyncError(error, "configuring the location at Apple");
  }
  const cleared = input.clearPrevious ? await clearAtApple(deps, account, client, input.actor) : undefined;
  await logAccount(
    deps,
    account,
    input.actor,
    "account.added",
    input.takeOver ? ["AC1", "AC6"] : ["AC1"],
    activityMessage("account.added", { name: account.displayName }),
    {
      autoDistribute: input.autoDistribute ?? true,
      clearPrevious: input.clearPrevious ?? false,
      takeOver: input.takeOver ?? false,
      previousOwner:
        config.ownership.state === "other"
          ? (config.ownership.owner.name ?? config.ownership.owner.id)
          : undefined,
    },
  );
  // The account is added once Apple holds its client config: a failed import must not
  // read as a failed addition (adding again would meet the claimed location). The
  // scheduled sync finds no version yet and imports everything.
  let sync: SyncSummary | undefined;
  let importFailed: ImportFailure | undefined;
  try {
    sync = await syncAccount(deps, {
      spaceId: account.spaceId,
      accountId: account.id,
      mode: "full",
      actor: input.actor,
    });
  } catch (error) {
    deps.logger.warn({ err: error, accountId: account.id }, "the added account's first import failed");
    importFailed =
      error instanceof SyncError
        ? { code: error.code, message: error.message }
        : {
            code: "import_failed",
            message: "the import stopped on an internal error (see the server's log)",
          };
  }
  return {
    account: await getAccount(deps.db, account.spaceId, account.id),
    ...(sync ? { sync } : {}),
    ...(cleared !== undefined ? { cleared } : {}),
    ...(importFailed ? { importFailed } : {}),
  };
}

/**
 * AC5: every license the account gave is released at Apple (device-based too; users have
 * 30 days to move the app to their own Apple Account, RV3; nothing is uninstalled), its
 * rules and reservations are deleted, its apps stay in the catalog.
 */
export async function deleteAccount(
  deps: SyncDeps,
  input: { spaceId: string; accountId: string; actor: Actor },
): Promise<Removed> {
  const account = await getAccount(deps.db, input.spaceId, input.accountId);
  // Its Apple work and its grants stop first; what a worker is sending reaches Apple before
  // the releases do, so that no association sent late outlives the deletion.
  const before = await markAccountDeleting(deps.db, account.spaceId, account.id, deps.now());
  if (before === undefined) throw new NotFoundError("account", account.id);
  if (before.health === "deleting" && deps.now().getTime() - before.since.getTime() < DELETION_RUNS_MS) {
    throw new SyncError(
      "deletion_in_progress",
      `account ${account.displayName} is being deleted; if it still is in ${DELETION_RUNS_MS / 60_000} minutes, delete it again`,
    );
  }
  try {
    await untilCallsSettled(deps, account);
    return await releaseAndDelete(deps, account, input.actor);
  } catch (error) {
    await unmarkAccountDeleting(deps.db, account.spaceId, account.id, before);
    throw error;
  }
}

/**
 * How long a deletion waits for the account's calls in flight: those workers hold, and
 * associations Apple has not answered (workers and Apple's notifications still follow a
 * deleting account's calls). A worker checks before each attempt that it still holds the
 * call and that the account is not being deleted (dispatch.ts `holdCall`), so the wait
 * covers one attempt in flight (the Apple client's 30 s timeout), the pause before a retry
 * (at most a minute) and Apple's answers. A worker that died holding a call keeps its lease
 * longer, and Apple may not answer; the deletion then goes on, and says so in the log.
 */
const SETTLE_WAIT_MS = 120_000;
/** A deletion marked longer ago than this stopped short (the process ended): another may finish it. */
const DELETION_RUNS_MS = 10 * 60_000;
const SETTLE_POLL_MS = 20;

async function untilCallsSettled(deps: SyncDeps, account: Account): Promise<void> {
  const deadline = deps.now().getTime() + Math.min(SETTLE_WAIT_MS, deps.tuning.leaseMs);
  // Bounded in rounds too: a clock that does not move (tests) must not hold the deletion forever.
  for (let round = 0; round < SETTLE_WAIT_MS / SETTLE_POLL_MS && deps.now().getTime() < deadline; round++) {
    if ((await callsInFlight(deps.db, account.spaceId, account.id, deps.now())) === 0) return;
    await deps.sleep(SETTLE_POLL_MS);
  }
  deps.logger.warn(
    { accountId: account.id },
    "deleting an account with Apple calls still in flight: an association may reach Apple after the releases",
  );
}

/** AC5: the licenses released, and how many are still assigned at Apple (a token that failed). */
interface Removed {
  released: number;
  releasedAtApple: boolean;
  stillAtApple: number;
}

async function releaseAndDelete(deps: SyncDeps, account: Account, actor: Actor): Promise<Removed> {
  const licenses = await seatHoldingLicensesOfAccount(deps.db, account.spaceId, account.id);
  // pending_assign too: its association may already have reached Apple.
  const isAtApple = (l: LicenseAtApple) => l.serialNumber !== undefined || l.clientUserId !== undefined;
  const atApple = (held: readonly LicenseAtApple[]) => held.filter(isAtApple);
  // What Apple's accepted calls released, should the token die between two calls.
  const releasedKeys = new Set<string>();
  const heard = (call: ManageAssetsBatch) => {
    for (const key of releasedBy(call)) releasedKeys.add(key);
  };
  let client: AppleClient | undefined;
  try {
    client = await deps.apple.forAccount(account);
    await disassociateAll(client, atApple(licenses), heard);
  } catch (error) {
    // A dead token cannot release anything at Apple: the account still goes, and the log says so.
    if (!tokenIssueOf(error)) throw toSyncError(error, "releasing the account's licenses at Apple");
    client = undefined;
  }
  // Released: not at Apple, or named by a call Apple accepted (all of them, when none failed).
  const heardOf = (l: LicenseAtApple) => !isAtApple(l) || releasedKeys.has(heldKey(l.adamId, l));
  const wasReleased = (l: LicenseAtApple) => client !== undefined || heardOf(l);
  const releasedMessage = activityMessage("license.account_deleted_released");
  const logReleased = (held: readonly LicenseAtApple[], message: ActivityMessage) =>
    appendActivity(
      deps.db,
      held.map((l) => ({
        spaceId: account.spaceId,
        actor,
        action: "license.released",
        adamId: l.adamId,
        accountId: account.id,
        licenseId: l.id,
        ruleIds: ["AC5", "RV1", "RV3"],
        message,
        at: deps.now(),
      })),
    );
  const [gone, kept] = [licenses.filter(wasReleased), licenses.filter((l) => !wasReleased(l))];
  await logReleased(gone, releasedMessage);
  await logReleased(kept, activityMessage("license.account_deleted_token_problem"));
  let stillAtApple = kept.length;
  const removed = await deleteAccountRows(deps.db, account.spaceId, account.id);
  // Granted while Apple released the others (a check-in meanwhile; a worker may have sent
  // its association already): released at Apple too, so the location keeps none of ours.
  const known = new Set(licenses.map((l) => l.id));
  const late = removed.filter((l) => !known.has(l.id));
  if (late.length > 0) {
    let lateReleased = false;
    if (client) {
      try {
        await disassociateAll(client, atApple(late), heard);
        lateReleased = true;
      } catch (error) {
        deps.logger.warn(
          { accountId: account.id, licenses: late.length, err: String(error) },
          "licenses granted during the account's deletion were not released at Apple",
        );
      }
    }
    // A release that stopped partway still released what Apple accepted (heard).
    const lateKept = lateReleased ? [] : late.filter((l) => !heardOf(l));
    stillAtApple += lateKept.length;
    await logReleased(
      late.filter((l) => !lateKept.includes(l)),
      releasedMessage,
    );
    await logReleased(lateKept, activityMessage("license.account_deleted_granted_meanwhile"));
  }
  // Every license released at Apple: none is left there for an administrator to release.
  const releasedAtApple = stillAtApple === 0;
  const released = licenses.length + late.length;
  await logAccount(
    deps,
    account,
    actor,
    "account.deleted",
    ["AC5"],
    activityMessage("account.deleted", { name: account.displayName }),
    {
      licenses: released,
      releasedAtApple,
      stillAtApple,
    },
  );
  return { released, releasedAtApple, stillAtApple };
}

/** AC4, MA6: moves the account to `priority`; MA3: no license is revoked or moved. */
export async function setAccountPriority(
  deps: SyncDeps,
  input: { spaceId: string; accountId: string; priority: number; actor: Actor },
): Promise<Account[]> {
  const before = await getAccount(deps.db, input.spaceId, input.accountId);
  const accounts = await storeSetPriority(deps.db, input.spaceId, input.accountId, input.priority);
  // The log records the position taken; a move to where the account already was changed nothing.
  const to = accounts.find((a) => a.id === before.id)?.priority ?? input.priority;
  if (to === before.priority) return accounts;
  await logAccount(
    deps,
    before,
    input.actor,
    "account.priority_changed",
    ["AC4", "MA6", "MA3"],
    activityMessage("account.priority_changed", { from: before.priority, to }),
    { from: before.priority, to },
  );
  return accounts;
}

/**
 * AC4, MA6: the space's accounts in this order at once (each id once; `from`, the order it
 * was made from, refuses it when they were reordered since). Each account that moves is
 * logged with its old and new position; MA3: no license is revoked or moved.
 */
export async function setAccountOrder(
  deps: SyncDeps,
  input: { spaceId: string; order: readonly string[]; from?: readonly string[]; actor: Actor },
): Promise<Account[]> {
  const { accounts, moves } = await storeSetOrder(deps.db, input.spaceId, input.order, input.from);
  const at = deps.now();
  await appendActivity(
    deps.db,
    moves.map(({ accountId, from, to }) => ({
      spaceId: input.spaceId,
      actor: input.actor,
      action: "account.priority_changed",
      accountId,
      ruleIds: ["AC4", "MA6", "MA3"],
      message: activityMessage("account.priority_changed", { from, to }),
      details: { from, to },
      at,
    })),
  );
  return accounts;
}

/** AC3: a full sync of every app and license of the account, on demand. */
export async function resyncAccount(
  deps: SyncDeps,
  input: { spaceId: string; accountId: string; actor: Actor },
): Promise<SyncSummary> {
  try {
    return await syncAccount(deps, { ...input, mode: "full" });
  } catch (error) {
    throw toSyncError(error, "resyncing the account");
  }
}
