import { type Actor, getGroup, withTransaction } from "../store/index.js";
import { registerAtApple, unregisteredMembers } from "../store/invitations.repo.js";
import type { MdmDeps } from "./deps.js";

/**
 * UB2: invites users to Apps and Books. Each gets the id Orchard gives Apple
 * (clientUserId) and is registered in every usable account of the space (Apple knows
 * users per location); Apple answers with an invitation (its link is on the user: GET
 * users/:id `invitationUrl`) that the user accepts, and the sync marks them enrolled (UB4
 * then serves what waits for them). Enrolled and invited users are left as they are.
 */
export async function inviteUsers(
  deps: MdmDeps,
  input: { spaceId: string; userIds: readonly string[]; actor: Actor },
): Promise<{ invited: number; accounts: number }> {
  const now = deps.now();
  return withTransaction(deps.db, (trx) => registerAtApple(trx, { ...input, now }));
}

/** Users registered per transaction by a bulk invitation: a large group commits as it goes. */
export const INVITE_BATCH = 500;

/**
 * UB2: invites every user of a group (All Users: of the space) Apple has not registered:
 * never invited, not enrolled, not retired. Batches of INVITE_BATCH users commit one by one,
 * so an interrupted invitation keeps what it did, and sent again invites the rest.
 */
export async function inviteGroup(
  deps: MdmDeps,
  input: { spaceId: string; groupId: string; actor: Actor },
): Promise<{ invited: number; accounts: number }> {
  await getGroup(deps.db, input.spaceId, input.groupId);
  let invited = 0;
  let accounts = 0;
  let afterId: string | undefined;
  for (;;) {
    const batch = await unregisteredMembers(deps.db, input.spaceId, input.groupId, {
      afterId,
      limit: INVITE_BATCH,
    });
    if (batch.length === 0 && afterId !== undefined) break;
    // An empty group still says whether the space can invite (no usable account: refused).
    const done = await inviteUsers(deps, { spaceId: input.spaceId, userIds: batch, actor: input.actor });
    invited += done.invited;
    accounts = done.accounts;
    if (batch.length < INVITE_BATCH) break;
    afterId = batch[batch.length - 1];
  }
  return { invited, accounts };
}
