/**
 * Users of an account from Apple: statuses and invite codes of the users Orchard knows
 * (matched by clientUserId). Users who became Associated are enrolled: UB4 decides their
 * waiting requests again at once.
 */
import type { AppleClient, User as AppleUser } from "../apple/index.js";
import { type Account, recordSync } from "../store/index.js";
import { recordInvitationTemplate } from "../store/invitations.repo.js";
import { applyAppleUsers } from "../store/sync-users.repo.js";
import type { SyncDeps } from "./deps.js";
import { redecideEnrolledUsers } from "./queue.js";

export interface UsersSummary {
  atApple: number;
  enrolled: number;
  granted: number;
}

/** Apple may list a retired record beside the active one (same clientUserId): the active one wins. */
function activeFirst(users: readonly AppleUser[]): AppleUser[] {
  const byId = new Map<string, AppleUser>();
  for (const u of users) {
    const current = byId.get(u.clientUserId);
    if (!current || current.status === "Retired" || current.status === "Deleted") byId.set(u.clientUserId, u);
  }
  return [...byId.values()];
}

export async function applyUsers(
  deps: SyncDeps,
  account: Account,
  users: readonly AppleUser[],
): Promise<{ enrolled: number; granted: number }> {
  const updates = activeFirst(users).map((u) => ({
    clientUserId: u.clientUserId,
    status: u.status === "Deleted" ? "Retired" : u.status,
    ...(u.inviteCode ? { inviteCode: u.inviteCode } : {}),
  }));
  const enrolled = await applyAppleUsers(deps.db, account.spaceId, updates, deps.now());
  const granted = enrolled.length ? await redecideEnrolledUsers(deps, account.spaceId, enrolled) : 0;
  return { enrolled: enrolled.length, granted };
}

export async function syncUsers(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  sinceVersionId: string | undefined,
): Promise<UsersSummary> {
  const summary: UsersSummary = { atApple: 0, enrolled: 0, granted: 0 };
  let checkpoint: string | undefined;
  // Read first: users Apple registered since are sent the link at once (UB2, invite commands).
  await keepInvitationTemplate(deps, account, client);
  for await (const page of client.users(sinceVersionId ? { sinceVersionId } : {})) {
    summary.atApple += page.items.length;
    const { enrolled, granted } = await applyUsers(deps, account, page.items);
    summary.enrolled += enrolled;
    summary.granted += granted;
    if (page.last) checkpoint = page.checkpointVersionId;
  }
  if (checkpoint)
    await recordSync(deps.db, {
      spaceId: account.spaceId,
      id: account.id,
      usersVersionId: checkpoint,
      now: deps.now(),
    });
  return summary;
}

/**
 * UB2: Apple's invitation URL template (/service/config `urls.invitationEmail`, read with
 * the limits the client keeps no older than 5 minutes), kept for users' invitation links.
 * Unread (Apple's config unavailable): the last one kept stays.
 */
async function keepInvitationTemplate(deps: SyncDeps, account: Account, client: AppleClient): Promise<void> {
  const template = await client.serviceUrls().then(
    (urls) => urls?.invitationEmail,
    () => undefined,
  );
  if (template) await recordInvitationTemplate(deps.db, account, template);
}
