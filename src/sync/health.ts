/**
 * Token health (NT2 and issue item 7): a token problem seen on any call or sync becomes
 * the account's health, with a notification that names the fix, and pauses the account's
 * Apple operations (the dispatcher claims work of healthy accounts only) until fixed.
 */
import {
  AppleApiError,
  AppleBatchError,
  type AppleClient,
  parseAppleDate,
  type ResponseEnvelope,
  STokenError,
  TokenOwnedByOtherMdmError,
} from "../apple/index.js";
import {
  type Account,
  type AccountHealth,
  activityMessage,
  appendActivity,
  clearNotifications,
  getAccount,
  notificationMessage,
  setAccountHealth,
  TOKEN_ISSUE_KINDS,
  TOKEN_ISSUES,
  type TokenIssue,
  tokenIssueKind,
} from "../store/index.js";
import {
  findAccountsByLocation,
  setAccountFromApple,
  sTokenCiphertext,
} from "../store/sync-accounts.repo.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";
import { raise } from "./notify.js";

// The English of each problem lives in the store's notification catalogue (its titles and remedies).
export { TOKEN_ISSUES, type TokenIssue };

const COMPONENT = "Apps and Books";

/** The token issue an error reveals, if any. */
export function tokenIssueOf(error: unknown): TokenIssue | undefined {
  // A batched call (AC5's releases) stopped by its failing batch: that batch's error.
  if (error instanceof AppleBatchError) return tokenIssueOf(error.cause);
  if (error instanceof AppleApiError && error.kind === "auth") return error.tokenProblem ?? "invalid";
  if (error instanceof STokenError) return error.code === "expired" ? "expired" : "invalid";
  if (error instanceof TokenOwnedByOtherMdmError) return "other_mdm";
  return undefined;
}

/**
 * Records the problem on the account, pauses it, and notifies once (while open). With
 * `sealedToken`, the token the failing request was sent with: nothing is recorded when the
 * account holds another one by now (replaced meanwhile, AC2), as its new token has not failed.
 */
export async function reportTokenIssue(
  deps: SyncDeps,
  account: { spaceId: string; id: string },
  issue: TokenIssue,
  details: Record<string, unknown> = {},
  sealedToken?: string,
): Promise<void> {
  const current = await getAccount(deps.db, account.spaceId, account.id);
  // AC5: an account being deleted is going away; its token no longer matters.
  if (current.health === "deleting") return;
  if (sealedToken !== undefined && sealedToken !== (await sTokenCiphertext(deps.db, account.id))) {
    deps.logger.info({ accountId: account.id, health: issue }, "token problem of a replaced token ignored");
    return;
  }
  const now = deps.now();
  if (current.health !== issue) {
    // Conditional on the token too: a replacement committed since the check above wins.
    if (!(await setAccountHealth(deps.db, account.spaceId, account.id, issue, now, sealedToken))) return;
    await appendActivity(deps.db, [
      {
        spaceId: account.spaceId,
        actor: SYSTEM,
        action: "account.health",
        accountId: account.id,
        ruleIds: ["NT2"],
        message: activityMessage("account.token_issue", { issue, ...TOKEN_ISSUES[issue] }),
        details: { health: issue, ...details },
        at: now,
      },
    ]);
    deps.logger.warn({ accountId: account.id, health: issue }, "account paused: token problem");
  }
  await raise(deps, {
    spaceId: account.spaceId,
    kind: tokenIssueKind(issue),
    severity: "alert",
    component: COMPONENT,
    // The title and the remedy (details.remedy) in English, their key and params for the console.
    message: notificationMessage("token.issue", { issue, account: current.displayName }),
    details,
    accountId: account.id,
    now,
  });
}

/** Handles an error of an Apple call: a token issue is reported and true returned. */
export async function reportIfTokenIssue(
  deps: SyncDeps,
  account: { spaceId: string; id: string },
  error: unknown,
): Promise<boolean> {
  const issue = tokenIssueOf(error);
  if (!issue) return false;
  const owner =
    error instanceof TokenOwnedByOtherMdmError ? { owner: error.owner.name ?? error.owner.id } : {};
  await reportTokenIssue(deps, account, issue, owner, deps.apple.tokenOf(error));
  return true;
}

/** The token works again (replaced, taken over, or the cause went away): health ok, NT2 notifications cleared. */
export async function restoreHealth(deps: SyncDeps, account: Account): Promise<void> {
  const now = deps.now();
  for (const kind of TOKEN_ISSUE_KINDS) {
    await clearNotifications(deps.db, {
      spaceId: account.spaceId,
      kind,
      accountId: account.id,
      now,
    });
  }
  if (account.health === "ok") return;
  // Not an account being deleted (AC5): its work stays stopped.
  if (!(await setAccountHealth(deps.db, account.spaceId, account.id, "ok", now))) return;
  await appendActivity(deps.db, [
    {
      spaceId: account.spaceId,
      actor: SYSTEM,
      action: "account.health",
      accountId: account.id,
      ruleIds: ["NT2"],
      message: activityMessage("account.token_healthy"),
      details: { health: "ok", was: account.health },
      at: now,
    },
  ]);
}

/**
 * Checks what only a comparison shows (item 7): the client config names another MDM,
 * the token answers for another location, or another account holds the same location.
 * Returns the health found (and applies it).
 */
export async function checkTokenHealth(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
): Promise<AccountHealth> {
  let config: Awaited<ReturnType<AppleClient["getClientConfig"]>>;
  try {
    config = await client.getClientConfig();
  } catch (error) {
    if (await reportIfTokenIssue(deps, account, error)) return tokenIssueOf(error) ?? "invalid";
    throw error;
  }
  const country = config.config.countryISO2ACode;
  if (country && country !== account.countryCode) {
    // The location's store, for the metadata lookup (an account claimed before Orchard kept it).
    await setAccountFromApple(deps.db, {
      spaceId: account.spaceId,
      id: account.id,
      countryCode: country,
      now: deps.now(),
    });
  }
  const { ownership } = config;
  if (ownership.state === "other") {
    await reportTokenIssue(deps, account, "other_mdm", { owner: ownership.owner.name ?? ownership.owner.id });
    return "other_mdm";
  }
  const uId = config.config.uId;
  if (uId && account.locationUid && uId !== account.locationUid) {
    await reportTokenIssue(deps, account, "location_changed", { expected: account.locationUid, found: uId });
    return "location_changed";
  }
  if (uId) {
    const holders = await findAccountsByLocation(deps.db, uId);
    const first = holders[0];
    if (first && first.id !== account.id) {
      await reportTokenIssue(deps, account, "duplicate", { otherAccountId: first.id });
      return "duplicate";
    }
  }
  await restoreHealth(deps, account);
  return "ok";
}

/** Every response's envelope: a changed location pauses the account; the expiry date is kept. */
export function watchEnvelopes(deps: SyncDeps): void {
  const lastExpiry = new Map<string, string>();
  const lastUid = new Map<string, string>();
  deps.apple.observe((account, envelope: ResponseEnvelope) => {
    const expiry = envelope.tokenExpirationDate;
    const uIdSeen = envelope.uId !== undefined && lastUid.get(account.id) === envelope.uId;
    if (uIdSeen && (!expiry || lastExpiry.get(account.id) === expiry)) return; // nothing new: no query
    void (async () => {
      const current = await getAccount(deps.db, account.spaceId, account.id);
      if (
        envelope.uId &&
        current.locationUid &&
        envelope.uId !== current.locationUid &&
        current.health === "ok"
      ) {
        await reportTokenIssue(deps, account, "location_changed", {
          expected: current.locationUid,
          found: envelope.uId,
        });
      } else if (envelope.uId) lastUid.set(account.id, envelope.uId);
      if (expiry && lastExpiry.get(account.id) !== expiry) {
        lastExpiry.set(account.id, expiry);
        const at = parseAppleDate(expiry);
        if (at) await setAccountFromApple(deps.db, { ...account, tokenExpiresAt: at, now: deps.now() });
      }
    })().catch((error: unknown) =>
      deps.logger.warn({ accountId: account.id, err: String(error) }, "envelope check failed"),
    );
  });
}
