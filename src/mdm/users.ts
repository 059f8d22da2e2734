import { randomUUID } from "node:crypto";
import {
  type Actor,
  activityMessage,
  appendActivity,
  appendOutbox,
  getUser,
  listAccounts,
  StoreError,
  withTransaction,
} from "../store/index.js";
import { lockUsers, registeringAtApple, registrationKey, setClientUserId } from "../store/mdm-users.repo.js";
import type { MdmDeps } from "./deps.js";

/**
 * UB2: invites users to Apps and Books. Each gets the id Orchard gives Apple
 * (clientUserId) and is registered in every usable account of the space (Apple knows
 * users per location); Apple answers with an invitation the user accepts from the
 * catalog, and the sync marks them enrolled (UB4 then serves what waits for them).
 */
export async function inviteUsers(
  deps: MdmDeps,
  input: { spaceId: string; userIds: readonly string[]; actor: Actor },
): Promise<{ invited: number; accounts: number }> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    const accounts = (await listAccounts(trx, input.spaceId)).filter((a) => a.usable);
    if (accounts.length === 0) {
      throw new StoreError(
        "invalid_request",
        "the space has no usable Apps and Books account to invite users to",
        {
          field: "spaceId",
        },
      );
    }
    let invited = 0;
    const userIds = [...new Set(input.userIds)];
    await lockUsers(trx, input.spaceId, userIds);
    const users = [];
    for (const userId of userIds) users.push(await getUser(trx, input.spaceId, userId));
    // Sent again before Apple answered (a retry after a timeout): not registered twice.
    const registering = await registeringAtApple(
      trx,
      input.spaceId,
      users.flatMap((u) => (u.appleClientUserId ? [u.appleClientUserId] : [])),
    );
    for (const user of users) {
      const userId = user.id;
      if (user.appleStatus === "Associated") continue;
      const clientUserId = user.appleClientUserId ?? `orchard-${randomUUID()}`;
      const toRegister = accounts.filter((a) => !registering.has(registrationKey(a.id, clientUserId)));
      if (toRegister.length === 0) continue;
      if (!user.appleClientUserId) await setClientUserId(trx, input.spaceId, userId, clientUserId, now);
      await appendOutbox(
        trx,
        toRegister.map((a) => ({
          spaceId: input.spaceId,
          accountId: a.id,
          kind: "create_user" as const,
          clientUserId,
          now,
        })),
      );
      await appendActivity(trx, [
        {
          spaceId: input.spaceId,
          actor: input.actor,
          action: "user.invited",
          userId,
          ruleIds: ["UB2"],
          message: activityMessage("user.invited"),
          at: now,
        },
      ]);
      invited++;
    }
    return { invited, accounts: accounts.length };
  });
}
