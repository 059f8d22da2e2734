import { z } from "zod";
import { checkSubjectFilter } from "../../service/list-filters.js";
import {
  abandonReleases,
  listRefusals,
  REFUSALS_LIMIT,
  retryReleases,
  retryRequests,
} from "../../service/refusals.js";
import type { Db } from "../../store/database.js";
import type { LicenseRecord } from "../../store/index.js";
import type { Actor } from "../../store/sql-helpers.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import { ApiError, problemResponses } from "../problem.js";
import {
  adamId,
  dateTime,
  id,
  licenseState,
  licenseType,
  spaceIdParam,
  spaceParams,
  withId,
} from "../schemas.js";

const releasedLicenseSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    adamId: z.string(),
    type: licenseType,
    userId: z.string().optional(),
    deviceId: z.string().optional(),
    state: licenseState,
  })
  .meta({ id: "RefusedReleaseLicense" });

const refusedRequestSchema = z
  .object({
    adamId: z.string(),
    appName: z.string().optional(),
    userId: z.string().optional(),
    userName: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    accountId: z.string().optional().describe("the account whose association Apple refused"),
    accountName: z.string().optional(),
    errorNumber: z.number().int().describe("Apple's error number; 0: Orchard had nothing to send"),
    message: z.string().optional(),
    refusedAt: dateTime,
    waitingSince: dateTime.describe("when the subject first asked: its place in the queue"),
  })
  .meta({ id: "RefusedRequest" });

const refusedReleaseSchema = z
  .object({
    licenseId: z.string(),
    adamId: z.string(),
    appName: z.string().optional(),
    accountId: z.string(),
    accountName: z.string().optional(),
    userId: z.string().optional(),
    userName: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    seq: z.number().int().describe("the failed operation (the account's Apple work lists it)"),
    error: z.string().describe("Apple's error number and message"),
    failedAt: dateTime,
  })
  .meta({ id: "RefusedRelease" });

/**
 * Apple's refusals for good and an administrator's answers: the list, refused requests
 * sent again (DB2, UB3), refused releases sent again or abandoned (RV1-RV5).
 */
export function registerRefusalRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/refusals",
    {
      config: can.read,
      schema: {
        tags: ["licenses"],
        summary:
          "What Apple refused for good and waits for an administrator: requests (DB2, UB3) and releases (RV1-RV5)",
        description:
          "Requests: Apple refused the subject from an account and no other eligible account can serve it (MA2: " +
          "an account Apple refused is passed over for that subject, another may serve it); it waits with Apple's " +
          "reason (`reason: apple_refused` in the waiting lists) until sent again (POST " +
          "…/apps/{adamId}/waiting/retry): the refusing account is never asked again by itself. A refusal of 9709 (not enough licenses) is not listed: that subject waits for a " +
          "seat as any other. Releases: Apple refused the release and still holds the assignment (one it no " +
          "longer holds is released at once); the license holds its seat until sent again " +
          "(…/licenses/{licenseId}/release/retry) or abandoned (…/release/abandon). Newest first, at most " +
          `${REFUSALS_LIMIT} of each; \`total\` counts them all.`,
        params: spaceParams,
        querystring: z.object({
          app: adamId.optional().describe("only this app's"),
          account: id.optional().describe("only this account's"),
        }),
        response: {
          200: z.object({
            requests: z.object({ total: z.number().int(), items: z.array(refusedRequestSchema) }),
            releases: z.object({ total: z.number().int(), items: z.array(refusedReleaseSchema) }),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { app: adam, account } = request.query;
      await checkSubjectFilter(
        db,
        spaceId,
        { app: adam, account },
        { field: (name) => `querystring.${name}`, bySerial: (s) => `serial=${s}` },
      );
      return listRefusals(db, {
        spaceId,
        ...(adam !== undefined ? { adamId: adam } : {}),
        ...(account !== undefined ? { accountId: account } : {}),
        limit: REFUSALS_LIMIT,
      });
    },
  );

  app.post(
    "/spaces/:spaceId/apps/:adamId/waiting/retry",
    {
      config: can.write,
      schema: {
        tags: ["apps"],
        summary:
          "DB2, UB3: send again requests of the app that Apple refused (all of them, or these subjects')",
        description:
          "Apple's refusals of each subject for the app are lifted (every account may serve it again, MA2); one " +
          "waiting for an administrator waits again as any other, in its place (when it first asked), and is " +
          "served in its turn: at once when a license is free. Apple may refuse it again; it then waits with the " +
          "new reason. A user or device named whom Apple refused nothing for the app is a 409 `not_refused`, " +
          "and nothing is sent again.",
        params: z.object({ spaceId: spaceIdParam, adamId }),
        body: z
          .strictObject({
            userIds: z.array(id).max(1000).optional(),
            deviceIds: z.array(id).max(1000).optional(),
          })
          .default({}),
        response: {
          200: z.object({
            retried: z.array(
              z.object({
                adamId: z.string(),
                userId: z.string().optional(),
                deviceId: z.string().optional(),
              }),
            ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { userIds, deviceIds } = request.body;
      const retried = await retryRequests(
        db,
        {
          spaceId: spaceOf(request),
          adamId: request.params.adamId,
          ...(userIds ? { userIds } : {}),
          ...(deviceIds ? { deviceIds } : {}),
          actor: actorOf(request),
          now: now(),
        },
        { userIds: "body.userIds", deviceIds: "body.deviceIds" },
      );
      return { retried };
    },
  );

  registerReleaseAction(app, ctx, {
    action: "retry",
    summary:
      "RV1-RV5: send again a release Apple refused (the license still holds its seat until Apple confirms)",
    description:
      "A license whose release Apple has not refused (live, released, or its release on its way) is a 409 " +
      "`not_refused`.",
    act: retryReleases,
  });

  registerReleaseAction(app, ctx, {
    action: "abandon",
    summary: "RV1-RV5: abandon a release Apple refused: the license is released here and its seat given back",
    description:
      "For an assignment gone at Apple, or a seat given up on. The activity log names the administrator and " +
      "Apple's refusal. Should Apple still hold the assignment, the next sync counts it as made outside " +
      "Orchard (`used` stays right). The app's waiting queue is served (DB2). A license whose release " +
      "Apple has not refused is a 409 `not_refused`.",
    body: z.strictObject({
      confirm: z.literal(true).describe("must be true: the license is released here"),
    }),
    act: abandonReleases,
  });
}

/**
 * RV1-RV5: `POST …/licenses/:licenseId/release/<action>`: an administrator's answer to a
 * release Apple refused, for one license (retryReleases or abandonReleases); the license as
 * it stands after, or a 409 `not_refused` when Apple refused no release of it.
 */
function registerReleaseAction(
  app: Api,
  ctx: ApiContext,
  route: {
    action: "retry" | "abandon";
    summary: string;
    description: string;
    /** What the action asks for in its body (abandon: a confirmation); unset, no body is read. */
    body?: z.ZodType;
    act: (
      db: Db,
      input: { spaceId: string; licenseIds: readonly string[]; actor: Actor; now: Date },
    ) => Promise<LicenseRecord[]>;
  },
): void {
  const { db, now } = ctx.deps;
  app.post(
    `/spaces/:spaceId/licenses/:licenseId/release/${route.action}`,
    {
      config: can.write,
      schema: {
        tags: ["licenses"],
        summary: route.summary,
        description: route.description,
        params: withId("licenseId"),
        ...(route.body ? { body: route.body } : {}),
        response: { 200: z.object({ license: releasedLicenseSchema }), ...problemResponses },
      },
    },
    async (request) => {
      const [license] = await route.act(db, {
        spaceId: spaceOf(request),
        licenseIds: [request.params.licenseId],
        actor: actorOf(request),
        now: now(),
      });
      if (!license) throw new ApiError(409, "not_refused", "Apple refused no release of this license");
      return { license };
    },
  );
}
