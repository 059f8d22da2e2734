/**
 * AC2: updating an account: rename, the two options, or a new token (same location:
 * every license kept; another location: refused unless "clear all previous license data").
 */
import { assertNameFree } from "../store/account.repo.js";
import { type Actor, activityMessage, getAccount, replaceSToken, withTransaction } from "../store/index.js";
import { endLicensesOfAccount, ensureAllUsersRules } from "../store/sync-account-data.repo.js";
import { resetSyncVersions, setAccountFromApple, setAccountSettings } from "../store/sync-accounts.repo.js";
import {
  assertLocationFree,
  claimLocation,
  clearAtApple,
  logAccount,
  validateToken,
} from "./account-apple.js";
import type { AccountResult } from "./accounts.js";
import { toSyncError } from "./apple-errors.js";
import type { SyncDeps } from "./deps.js";
import { SyncError } from "./errors.js";
import { EXPIRY_KIND } from "./expiry.js";
import { restoreHealth } from "./health.js";
import { clear } from "./notify.js";
import { type SyncSummary, syncAccount } from "./sync.js";

export interface UpdateAccountInput {
  spaceId: string;
  accountId: string;
  name?: string;
  sTokenFile?: string;
  autoDistribute?: boolean;
  clearPrevious?: boolean;
  takeOver?: boolean;
  actor: Actor;
}

/**
 * AC2: rename, change the options, or replace the token. A token of the same location
 * keeps every license; one of another location is refused unless "clear all previous
 * license data" is ticked (then the old location's licenses end here).
 */
export async function updateAccount(deps: SyncDeps, input: UpdateAccountInput): Promise<AccountResult> {
  const account = await getAccount(deps.db, input.spaceId, input.accountId);
  if (input.name !== undefined && input.name.trim() === "")
    throw new SyncError("invalid_request", "an account needs a name");
  // An update that changes nothing (the same name, the same option, no token file) writes
  // nothing and logs nothing: the log tells what changed, not what was sent.
  const renamed = input.name !== undefined && input.name.trim() !== account.displayName;
  const optionChanged = input.autoDistribute !== undefined && input.autoDistribute !== account.autoDistribute;
  if (!renamed && !optionChanged && input.sTokenFile === undefined) return { account };
  // A name another account has is refused before anything changes, here or at Apple (CA2).
  if (input.name !== undefined) await assertNameFree(deps.db, account.spaceId, input.name, account.id);
  const now = deps.now();
  let sync: SyncSummary | undefined;
  let cleared: number | undefined;
  if (input.sTokenFile !== undefined) {
    const { sToken, client, config } = await validateToken(
      deps,
      input.sTokenFile,
      input.takeOver ?? false,
      "replacing the token",
    );
    const uId = config.config.uId;
    const sameLocation = !account.locationUid || !uId || uId === account.locationUid;
    if (!sameLocation && !input.clearPrevious) {
      throw new SyncError(
        "token_other_location",
        "this token is of another location; tick 'Clear all previous license data' to switch",
        {
          locationName: config.config.locationName,
        },
      );
    }
    await assertLocationFree(deps, account.spaceId, uId, account.id);
    // The new token, its location and (for another location) the end of the old one's
    // licenses commit together: a clearing that failed half-way would otherwise leave the
    // account on the new location, where a retry finds nothing to clear.
    await withTransaction(deps.db, async (trx) => {
      // The new name with the new token: taken meanwhile, neither is saved.
      await replaceSToken(trx, deps.keys, {
        spaceId: account.spaceId,
        id: account.id,
        sToken: sToken.value(),
        ...(input.name !== undefined ? { displayName: input.name.trim() } : {}),
        tokenExpiresAt: sToken.expiresAt,
        now,
      });
      await setAccountFromApple(trx, {
        spaceId: account.spaceId,
        id: account.id,
        ...(uId ? { locationUid: uId } : {}),
        ...(config.config.locationName ? { locationName: config.config.locationName } : {}),
        orgName: sToken.orgName,
        now,
      });
      if (!sameLocation) {
        await endLicensesOfAccount(trx, {
          spaceId: account.spaceId,
          accountId: account.id,
          actor: input.actor,
          now,
          action: "license.cleared",
          ruleIds: ["AC2"],
          message: activityMessage("license.cleared_other_location"),
        });
        await resetSyncVersions(trx, account.spaceId, account.id);
      }
    });
    try {
      await claimLocation(deps, account, client, input.takeOver ?? false);
    } catch (error) {
      throw toSyncError(error, "configuring the location at Apple");
    }
    if (input.clearPrevious) cleared = await clearAtApple(deps, account, client, input.actor);
    await restoreHealth(deps, await getAccount(deps.db, account.spaceId, account.id));
    await clear(deps, { spaceId: account.spaceId, kind: EXPIRY_KIND, accountId: account.id });
  }
  await setAccountSettings(deps.db, {
    spaceId: account.spaceId,
    id: account.id,
    ...(input.name !== undefined ? { displayName: input.name.trim() } : {}),
    ...(input.autoDistribute !== undefined ? { autoDistribute: input.autoDistribute } : {}),
    now,
  });
  if (input.autoDistribute && !account.autoDistribute)
    await ensureAllUsersRules(deps.db, account.spaceId, account.id, now);
  await logAccount(
    deps,
    account,
    input.actor,
    "account.updated",
    input.takeOver ? ["AC2", "AC6"] : ["AC2"],
    activityMessage("account.updated", { name: input.name ?? account.displayName }),
    {
      renamed,
      tokenReplaced: input.sTokenFile !== undefined,
      autoDistribute: input.autoDistribute,
      clearPrevious: input.clearPrevious ?? false,
    },
  );
  if (input.sTokenFile !== undefined) {
    sync = await syncAccount(deps, {
      spaceId: account.spaceId,
      accountId: account.id,
      mode: "full",
      actor: input.actor,
    });
  }
  return {
    account: await getAccount(deps.db, account.spaceId, account.id),
    ...(sync ? { sync } : {}),
    ...(cleared !== undefined ? { cleared } : {}),
  };
}
