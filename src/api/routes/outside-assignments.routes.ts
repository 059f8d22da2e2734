import { z } from "zod";
import { listOutsideAssignments, releaseOutsideAssignments } from "../../service/outside-assignments.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import {
  MAX_RELEASED,
  outsideAssignmentPageSchema,
  outsideReleaseBody,
  outsideReleaseResultSchema,
} from "../outside-assignments.schema.js";
import { problemResponses } from "../problem.js";
import { adamId, withId } from "../schemas.js";

const accountParams = withId("accountId");

/**
 * AC7: an account's assignments made outside Orchard (the last full sync's), and their
 * release at Apple (service/outside-assignments.ts).
 */
export function registerOutsideAssignmentRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/accounts/:accountId/outside-assignments",
    {
      config: can.read,
      schema: {
        tags: ["accounts"],
        summary:
          "AC7: assignments Apple holds for the account that Orchard neither made nor adopted, paged, by app",
        description:
          "As the last full sync (AC3) read them (`syncedAt`; absent before the first). Each names the device " +
          "or user of the space it concerns now, and why it was not adopted (`status`). They use seats (`used`).",
        params: accountParams,
        querystring: z.object({
          page: z.coerce.number().int().min(1).max(100_000).default(1),
          pageSize: z.coerce.number().int().min(1).max(500).default(50),
          adamId: adamId.optional().describe("only this app's"),
        }),
        response: { 200: outsideAssignmentPageSchema, ...problemResponses },
      },
    },
    async (request) =>
      listOutsideAssignments(db, {
        spaceId: spaceOf(request),
        accountId: request.params.accountId,
        adamId: request.query.adamId,
        page: request.query.page,
        pageSize: request.query.pageSize,
      }),
  );

  app.post(
    "/spaces/:spaceId/accounts/:accountId/outside-assignments/release",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC7: release assignments made outside Orchard at Apple (202: queued)",
        description:
          `At most ${MAX_RELEASED}, each named as the list names it: the app and the serial number (any case) or the clientUserId. ` +
          "Only assignments in the account's list are released (`notListed` says which were not: adopted, " +
          "released, or never read); one already on its way is not asked twice (`alreadyReleasing`). The " +
          "releases go to Apple through the outbox; the seat comes back once Apple confirms, and the activity " +
          "log records who asked.",
        params: accountParams,
        body: outsideReleaseBody,
        response: { 202: outsideReleaseResultSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const result = await releaseOutsideAssignments(db, {
        spaceId: spaceOf(request),
        accountId: request.params.accountId,
        assignments: request.body.assignments,
        actor: actorOf(request),
        now: now(),
      });
      return reply.status(202).send(result);
    },
  );
}
