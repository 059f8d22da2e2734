import { z } from "zod";
import { withRegistration } from "../../service/invitations.js";
import { withTransaction } from "../../store/database.js";
import { usersDeleted } from "../../store/device.repo.js";
import { createUsers } from "../../store/index.js";
import { findUsersByKeys, type UserRecord } from "../../store/user.repo.js";
import { type Api, type ApiContext, can, spaceOf } from "../context.js";
import { ApiError, type FieldError, problemResponses } from "../problem.js";
import { spaceParams, userSchema } from "../schemas.js";
import { newUser } from "./directory.routes.js";

type NewUser = z.infer<typeof newUser>;
/** A 409 names the first of the users whose keys are taken. */
const CONFLICTS_LISTED = 100;
const UNIQUE_KEYS = ["externalId", "clientUserId"] as const;

/**
 * `POST users/bulk`: an MDM's directory sync, as `devices/bulk` is for its devices: up to
 * 5,000 users in one transaction, all or none; sent again after a timeout with
 * `existing=keep`, the users of these externalIds are answered as they are.
 */
export function registerUserBulkRoute(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;
  app.post(
    "/spaces/:spaceId/users/bulk",
    {
      config: can.mdm.write,
      schema: {
        tags: ["users"],
        summary: "Create up to 5,000 users at once (all or none)",
        description:
          "Each user as `POST users` takes it. An `externalId` (the user's id in the MDM's directory) of a " +
          "user the space has is a 409 `already_exists` naming every one (`body.users.3.externalId`), unless " +
          "`existing=keep`: then that user is answered as it is, unchanged (counted in `existing`), so the " +
          "same list may be sent again after a timeout; give users an `externalId`, as one without is created " +
          "each time. A `clientUserId` another user is registered at Apple under, or one held by a deleted " +
          "user, is a 409 naming it; an `externalId` or `clientUserId` given twice in the list is a 400 naming " +
          "the second. Nothing is created then.",
        params: spaceParams,
        querystring: z.object({
          existing: z
            .enum(["refuse", "keep"])
            .default("refuse")
            .describe("a user of an externalId sent: a 409 (`refuse`), or answered as it is (`keep`)"),
        }),
        body: z.strictObject({ users: z.array(newUser).min(1).max(5000) }),
        response: {
          201: z.object({
            created: z.number().int(),
            existing: z.number().int().describe("users of these externalIds, unchanged (`existing=keep`)"),
            items: z.array(userSchema).describe("in the request's order"),
          }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const { users } = request.body;
      refuseRepeats(users);
      const { items, created, existing } = await withTransaction(db, async (trx) => {
        const found = await findUsersByKeys(trx, spaceId, {
          ids: [],
          externalIds: users.flatMap((u) => u.externalId ?? []),
          clientUserIds: users.flatMap((u) => u.clientUserId ?? []),
        });
        const deleted = await usersDeleted(
          trx,
          spaceId,
          found.map((u) => u.id),
        );
        const holders = {
          externalId: new Map(found.flatMap((u) => (u.externalId ? [[u.externalId, u] as const] : []))),
          clientUserId: new Map(
            found.flatMap((u) => (u.appleClientUserId ? [[u.appleClientUserId, u] as const] : [])),
          ),
        };
        const kept = new Map<number, UserRecord>();
        const taken: FieldError[] = [];
        users.forEach((u, i) => {
          const same = u.externalId === undefined ? undefined : holders.externalId.get(u.externalId);
          if (same && !deleted.get(same.id) && request.query.existing === "keep") {
            kept.set(i, same);
            return;
          }
          for (const key of UNIQUE_KEYS) {
            const value = u[key];
            const holder = value === undefined ? undefined : holders[key].get(value);
            if (holder)
              taken.push({
                field: `body.users.${i}.${key}`,
                message: deleted.get(holder.id)
                  ? `${key} ${value} is a deleted user's (${holder.id}, kept for the licenses' history)`
                  : `user ${holder.id} has ${key} ${value}`,
              });
          }
        });
        if (taken.length > 0) throw alreadyTaken(taken);
        const made = await createUsers(
          trx,
          users.flatMap(({ clientUserId, ...fields }, i) =>
            kept.has(i)
              ? []
              : [
                  {
                    spaceId,
                    ...fields,
                    ...(clientUserId !== undefined ? { appleClientUserId: clientUserId } : {}),
                    createdAt: now(),
                  },
                ],
          ),
        );
        let next = 0;
        const items = users.map((_, i) => kept.get(i) ?? (made[next++] as UserRecord));
        return { items, created: made.length, existing: kept.size };
      });
      return reply.status(201).send({ created, existing, items: await withRegistration(db, spaceId, items) });
    },
  );
}

/** A key given twice in the list: the second is named (one user cannot be created twice). */
function refuseRepeats(users: readonly NewUser[]): void {
  const errors: FieldError[] = [];
  for (const key of UNIQUE_KEYS) {
    const first = new Map<string, number>();
    users.forEach((u, i) => {
      const value = u[key];
      if (value === undefined) return;
      const earlier = first.get(value);
      if (earlier === undefined) first.set(value, i);
      else
        errors.push({
          field: `body.users.${i}.${key}`,
          message: `${key} ${value} is users.${earlier}'s too`,
        });
    });
  }
  if (errors.length > 0)
    throw new ApiError(
      400,
      "validation_failed",
      "The request is not valid",
      errors.slice(0, CONFLICTS_LISTED),
    );
}

function alreadyTaken(taken: readonly FieldError[]): ApiError {
  const more = taken.length - CONFLICTS_LISTED;
  return new ApiError(
    409,
    "already_exists",
    `${taken.length} of these users' keys are taken in the space${more > 0 ? ` (the first ${CONFLICTS_LISTED} named)` : ""}: send existing=keep to have the users of these externalIds answered as they are`,
    taken.slice(0, CONFLICTS_LISTED),
  );
}
