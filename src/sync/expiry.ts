/** NT2: warnings before a token expires, at 30, 7 and 1 days (Apple's tokenExpirationDate). */
import { type Account, notificationMessage } from "../store/index.js";
import { listAllAccounts } from "../store/sync-accounts.repo.js";
import type { SyncDeps } from "./deps.js";
import { raise } from "./notify.js";

export const EXPIRY_KIND = "token_expiring";
export const EXPIRY_WARNING_DAYS = [30, 7, 1] as const;
const DAY_MS = 86_400_000;

/** Raises the warnings due for every account (each once while open; a new token clears them). */
export async function warnTokenExpiry(deps: SyncDeps, accounts?: readonly Account[]): Promise<number> {
  let raised = 0;
  const now = deps.now();
  for (const account of accounts ?? (await listAllAccounts(deps.db))) {
    if (!account.tokenExpiresAt) continue;
    const daysLeft = (account.tokenExpiresAt.getTime() - now.getTime()) / DAY_MS;
    if (daysLeft <= 0) continue; // expired: the NT2 "expired" notification says it
    // Only the tightest level crossed: a token first seen 6 days before expiry gets the
    // 7-day warning, not the 30-day notice beside it.
    const days = [...EXPIRY_WARNING_DAYS].sort((a, b) => a - b).find((d) => daysLeft <= d);
    if (days !== undefined) {
      const done = await raise(deps, {
        spaceId: account.spaceId,
        kind: EXPIRY_KIND,
        severity: days === 30 ? "info" : days === 7 ? "warning" : "alert",
        component: "Apps and Books",
        message: notificationMessage("token.expiring", {
          account: account.displayName,
          count: Math.ceil(daysLeft),
        }),
        details: { expiresAt: account.tokenExpiresAt.toISOString() },
        accountId: account.id,
        threshold: days,
        now,
      });
      if (done) raised++;
    }
  }
  return raised;
}
