/**
 * One sync of an account: token health first (item 7), then assets, assignments and
 * users, incremental (by Apple's versionIds, stored only after the last page) or full
 * (AC3: every page, compared and corrected), then NT1 and the waiting queue, with a
 * summary in the activity log.
 */
import { AppleApiError, type AppleClient } from "../apple/index.js";
import {
  type Actor,
  activityMessage,
  appendActivity,
  getAccount,
  listAssetsOfAccount,
  type SyncCounts,
} from "../store/index.js";
import { appsWithWaiting } from "../store/sync-licenses.repo.js";
import type { SyncDeps } from "./deps.js";
import { APPLE, SYSTEM } from "./deps.js";
import { SyncError } from "./errors.js";
import { checkTokenHealth, reportIfTokenIssue } from "./health.js";
import { type MetadataSummary, syncMetadata } from "./metadata.js";
import { serveQueue } from "./queue.js";
import { type AssetsSummary, syncAssets } from "./sync-assets.js";
import { type AssignmentsSummary, syncAssignmentsFull, syncAssignmentsSince } from "./sync-assignments.js";
import { syncUsers, type UsersSummary } from "./sync-users.js";
import { evaluateUsageOf } from "./usage.js";

export type SyncMode = "incremental" | "full";

export interface SyncSummary {
  accountId: string;
  mode: SyncMode;
  health: string;
  assets?: AssetsSummary;
  assignments?: AssignmentsSummary;
  users?: UsersSummary;
  metadata?: MetadataSummary;
  granted: number;
}

const INVALID_VERSION_ID = 9721;

export async function syncAccount(
  deps: SyncDeps,
  input: { spaceId: string; accountId: string; mode: SyncMode; actor?: Actor },
): Promise<SyncSummary> {
  const account = await getAccount(deps.db, input.spaceId, input.accountId);
  const summary: SyncSummary = {
    accountId: account.id,
    mode: input.mode,
    health: account.health,
    granted: 0,
  };
  // AC5: an account being deleted is left alone; its deletion releases what it holds.
  if (account.health === "deleting") return summary;
  let client: AppleClient;
  try {
    client = await deps.apple.forAccount(account);
    summary.health = await checkTokenHealth(deps, account, client);
  } catch (error) {
    if (await reportIfTokenIssue(deps, account, error)) return { ...summary, health: "token_problem" };
    throw unavailable(error);
  }
  if (summary.health !== "ok") return summary;
  const full = input.mode === "full";
  try {
    summary.assets = await syncAssets(deps, account, client, { full });
    summary.assignments = await retryFullOnBadVersion(account.lastAssignmentsVersionId, full, (since) =>
      since ? syncAssignmentsSince(deps, account, client, since) : syncAssignmentsFull(deps, account, client),
    );
    summary.users = await retryFullOnBadVersion(account.lastUsersVersionId, full, (since) =>
      syncUsers(deps, account, client, since),
    );
  } catch (error) {
    if (await reportIfTokenIssue(deps, account, error)) return { ...summary, health: "token_problem" };
    throw unavailable(error);
  }
  summary.metadata = await syncMetadata(deps, account, client, { full });
  const assets = await listAssetsOfAccount(deps.db, account.spaceId, account.id);
  await evaluateUsageOf(
    deps,
    assets.map((a) => ({ spaceId: account.spaceId, accountId: account.id, adamId: a.adamId })),
  );
  const waiting = await appsWithWaiting(
    deps.db,
    account.spaceId,
    assets.map((a) => a.adamId),
  );
  for (const adamId of waiting) summary.granted += await serveQueue(deps, account.spaceId, adamId);
  await appendActivity(deps.db, [
    {
      spaceId: account.spaceId,
      actor: input.actor ?? SYSTEM,
      action: full ? "account.resynced" : "account.synced",
      accountId: account.id,
      ruleIds: full ? ["AC3"] : [],
      message: activityMessage(full ? "account.resynced" : "account.synced", countsOf(summary)),
      details: { ...summary },
      at: deps.now(),
    },
    // AC7: assignments made outside Orchard adopted (each license has its own line too).
    ...(summary.assignments?.adopted
      ? [
          {
            spaceId: account.spaceId,
            actor: APPLE,
            action: "account.adopted",
            accountId: account.id,
            ruleIds: ["AC7"],
            message: activityMessage("account.adopted", {
              adopted: summary.assignments.adopted,
              prohibited: summary.assignments.adoptedProhibited,
            }),
            at: deps.now(),
          },
        ]
      : []),
  ]);
  return summary;
}

/** A delta read with a versionId Apple no longer knows (9721) is done again in full. */
async function retryFullOnBadVersion<T>(
  versionId: string | undefined,
  full: boolean,
  run: (since: string | undefined) => Promise<T>,
): Promise<T> {
  const since = full ? undefined : versionId;
  try {
    return await run(since);
  } catch (error) {
    if (since && error instanceof AppleApiError && error.errorNumber === INVALID_VERSION_ID)
      return run(undefined);
    throw error;
  }
}

function unavailable(error: unknown): unknown {
  if (error instanceof AppleApiError && error.retryable) {
    return new SyncError(
      "apple_unavailable",
      "Apple's service is unavailable; try again later",
      {
        retryAfterMs: error.retryAfterMs,
      },
      { cause: error },
    );
  }
  return error;
}

/** The figures of the log line (its words are the catalogue's: account.synced, account.resynced). */
function countsOf(s: SyncSummary): SyncCounts {
  return {
    apps: s.assets?.assets ?? 0,
    newApps: s.assets?.added.length ?? 0,
    countsChanged: s.assets?.totalChanged.length ?? 0,
    assignments: s.assignments?.atApple ?? 0,
    outside: s.assignments?.outside ?? 0,
    confirmed: s.assignments?.confirmed ?? 0,
    releasedOutside: s.assignments?.vanished ?? 0,
    users: s.users?.atApple ?? 0,
    enrolled: s.users?.enrolled ?? 0,
    served: s.granted,
  };
}
