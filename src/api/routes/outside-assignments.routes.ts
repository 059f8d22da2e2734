import { z } from "zod";
import { listOutsideAssignments, releaseOutsideAssignments } from "../../service/outside-assignments.js";
import {
  OutsideListChangedError,
  previewReleaseAll,
  releaseAllOutside,
} from "../../service/outside-release-all.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import {
  MAX_RELEASED,
  outsideAssignmentPageSchema,
  outsideReleaseAllAnswerSchema,
  outsideReleaseAllBody,
  outsideReleaseBody,
  outsideReleaseResultSchema,
} from "../outside-assignments.schema.js";
import { previewChanged, unconfirmedPreview } from "../preview-confirm.js";
import { problemResponses } from "../problem.js";
import { adamId, queryInt, withId } from "../schemas.js";

const accountParams = withId("accountId");

/**
 * AC7: an account's assignments made outside Orchard (the last full sync's, with what
 * incremental syncs found since), and their release at Apple: chosen ones
 * (service/outside-assignments.ts), or all of them (service/outside-release-all.ts).
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
          "As the last full sync (AC3) read them (`syncedAt`; absent before the first), with those incremental " +
          "syncs found since. Each names the device " +
          "or user of the space it concerns now, and why it was not adopted (`status`). They use seats (`used`).",
        params: accountParams,
        querystring: z.object({
          page: queryInt(1, 100_000, 1),
          pageSize: queryInt(1, 500, 50),
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

  app.post(
    "/spaces/:spaceId/accounts/:accountId/outside-assignments/release-all",
    {
      config: can.write,
      schema: {
        tags: ["accounts"],
        summary: "AC7: preview, then release at Apple, every assignment of the account's list (of one app)",
        description:
          "Without `expect` (or with `dryRun: true`) a preview (200): how many assignments the list holds " +
          "(`count`, of `adamId` when given) and a `fingerprint` of exactly which, nothing queued. To release " +
          "them, send the same body with `expect` set to the previewed count and `fingerprint` as it came (both " +
          "required): 202, each queued for Apple through the outbox (Apple's calls take as many as its limits " +
          "allow), one activity-log line for the request, and the seats come back as Apple confirms. When the " +
          "list changed since the preview (a resync, a release Apple confirmed, a device that adopted its own), " +
          "a 409 `outside_changed` names the field (`body.expect`: another count; `body.fingerprint`: as many, " +
          "not the same) and nothing is queued. Sent again, an assignment already on its way is not queued " +
          "twice (`alreadyReleasing`).",
        params: accountParams,
        body: outsideReleaseAllBody,
        response: {
          200: outsideReleaseAllAnswerSchema,
          202: outsideReleaseAllAnswerSchema,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const { accountId } = request.params;
      const { adamId: app, dryRun, expect, fingerprint } = request.body;
      const releasing =
        dryRun !== true && (dryRun === false || expect !== undefined || fingerprint !== undefined);
      if (!releasing) {
        const preview = await previewReleaseAll(db, { spaceId, accountId, adamId: app });
        return reply.status(200).send({ preview: true, ...preview });
      }
      if (expect === undefined || fingerprint === undefined)
        throw unconfirmedPreview("release", { expect, fingerprint });
      try {
        const result = await releaseAllOutside(db, {
          spaceId,
          accountId,
          adamId: app,
          expect,
          fingerprint,
          actor: actorOf(request),
          now: now(),
        });
        return reply.status(202).send({ preview: false, ...result });
      } catch (error) {
        if (!(error instanceof OutsideListChangedError)) throw error;
        throw previewChanged("outside_changed", error);
      }
    },
  );
}
