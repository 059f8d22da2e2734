/**
 * UB2 with the space setting `registerWaitingUsers` (off by default): users a user-based
 * request waits for (`not_enrolled`) whom Orchard never registered at Apple are registered
 * now, so the MDM has only to deliver the invitation link (GET users/:id `invitationUrl`)
 * once Apple answers. Run with the housekeeping (every minute); the activity log names the
 * system as the one who invited.
 */
import { withTransaction } from "../store/database.js";
import {
  registerAtApple,
  spacesRegisteringWaitingUsers,
  usersAwaitingRegistration,
} from "../store/invitations.repo.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";

const BATCH = 500;
/** Batches per space and run: a backlog is worked off over several runs. */
const MAX_BATCHES = 20;

export async function registerWaitingUsers(deps: SyncDeps): Promise<number> {
  let invited = 0;
  for (const spaceId of await spacesRegisteringWaitingUsers(deps.db)) {
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        const userIds = await usersAwaitingRegistration(deps.db, spaceId, BATCH);
        if (userIds.length === 0) break;
        const done = await withTransaction(deps.db, (trx) =>
          registerAtApple(trx, { spaceId, userIds, actor: SYSTEM, now: deps.now() }),
        );
        invited += done.invited;
        if (userIds.length < BATCH) break;
      }
    } catch (error) {
      // One space failing (its account just became unusable) does not stop the others.
      deps.logger.warn({ spaceId, err: String(error) }, "waiting users not registered at Apple");
    }
  }
  return invited;
}
