import { z } from "zod";
import { checkSubjectFilter } from "../../service/list-filters.js";
import {
  previewReclaim,
  RECLAIM_PREVIEW_ROWS,
  ReclaimChangedError,
  reclaimInactive,
} from "../../service/reclaim.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import { ApiError, problemResponses } from "../problem.js";
import { adamId, dateTime, id, licenseState, licenseType, spaceParams } from "../schemas.js";

/** The most days of inactivity a reclaim takes: ten years. */
export const MAX_INACTIVE_DAYS = 3650;

const reclaimBody = z.strictObject({
  inactiveDays: z
    .number()
    .int()
    .min(1)
    .max(MAX_INACTIVE_DAYS)
    .describe("a subject not seen for this many days (or more) is inactive"),
  adamId: adamId.optional().describe("only this app's licenses"),
  accountId: id.optional().describe("only licenses given by this account"),
  type: licenseType.optional().describe("only licenses of this type (LT1)"),
  dryRun: z.boolean().optional().describe("true: preview only, whatever `expect` says"),
  expect: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe("to reclaim: the count the preview showed; without it, the request is a preview"),
});

const inactiveLicenseSchema = z
  .object({
    id: z.string().describe("the license's id"),
    adamId: z.string(),
    appName: z.string().optional(),
    accountId: z.string(),
    accountName: z.string(),
    type: licenseType,
    state: licenseState,
    userId: z.string().optional(),
    userName: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    lastCheckInAt: dateTime
      .optional()
      .describe("the device's last check-in; for a user license, the latest of the user's devices'"),
    inactiveSince: dateTime.describe("the last sign of life compared: a check-in, else a creation"),
  })
  .meta({ id: "InactiveLicense" });

const reclaimAnswer = z
  .object({
    preview: z.boolean().describe("true: nothing was revoked"),
    inactiveDays: z.number().int(),
    inactiveBefore: dateTime.describe("subjects last seen at or before this instant are inactive"),
    count: z.number().int().describe("licenses held by inactive subjects, when the request came"),
    reclaimed: z.number().int().optional().describe("licenses revoked (a reclaim): at most `count`"),
    items: z
      .array(inactiveLicenseSchema)
      .describe(`the first ${RECLAIM_PREVIEW_ROWS} by license id: those found (a preview) or revoked`),
  })
  .meta({ id: "ReclaimAnswer" });

/**
 * Reclaim of the licenses held by inactive devices or users (service/reclaim.ts): a preview,
 * then the reclaim of exactly what the preview counted.
 */
export function registerReclaimRoutes(app: Api, ctx: ApiContext): void {
  const { db, now, licenses } = ctx.deps;

  app.post(
    "/spaces/:spaceId/licenses/reclaim",
    {
      config: can.write,
      schema: {
        tags: ["licenses"],
        summary: "RV2, RV3: preview, then reclaim, the licenses of devices and users inactive for N days",
        description:
          "A device is inactive when it has not checked in for `inactiveDays` days (one that never checked in: " +
          "since it was created). A user is inactive when none of their devices checked in within that time and " +
          "the user was created that long ago: Apple does not tell Orchard when a user last opened an app. " +
          "Only live licenses (`pending_assign`, `assigned`) are counted.\n\n" +
          "Without `expect` (or with `dryRun: true`) the answer is a preview: the count and the first " +
          `${RECLAIM_PREVIEW_ROWS} licenses, nothing revoked. To reclaim, send the same body with \`expect\` set ` +
          "to the previewed count: a different count now is a 409 `reclaim_changed` and nothing is revoked. " +
          "Each license is revoked as `licenses/:licenseId/revoke` revokes it (Apple's release, the 30-day grace " +
          "on iOS, the waiting queue served: RV3, DB2, UB3), in batches that commit on their own, with an " +
          "activity-log line naming the reason. An `adamId` or `accountId` the space does not have is a 404 " +
          "naming the field.",
        params: spaceParams,
        body: reclaimBody,
        response: { 200: reclaimAnswer, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { inactiveDays, adamId: app, accountId, type, dryRun, expect } = request.body;
      await checkSubjectFilter(
        db,
        spaceId,
        { app, account: accountId },
        {
          field: (name) =>
            name === "app" ? "body.adamId" : name === "account" ? "body.accountId" : undefined,
          bySerial: (s) => `serial=${s}`,
        },
      );
      const filter = { inactiveDays, adamId: app, accountId, type };
      if (dryRun === true || expect === undefined) {
        if (dryRun === false)
          throw new ApiError(400, "validation_failed", "expect is required to reclaim (dryRun is false)", [
            {
              field: "body.expect",
              message: "required to reclaim: the count the preview showed",
              rule: "invalid_type",
            },
          ]);
        const preview = await previewReclaim(db, { spaceId, filter, now: now() });
        return { preview: true, ...preview };
      }
      try {
        const result = await reclaimInactive(
          { db, licenses },
          { spaceId, filter, expect, actor: actorOf(request), now: now() },
        );
        return { preview: false, ...result };
      } catch (error) {
        if (!(error instanceof ReclaimChangedError)) throw error;
        throw new ApiError(409, "reclaim_changed", error.message, [
          {
            field: "body.expect",
            message: error.message,
            rule: "reclaim_changed",
            limits: { expected: error.expected, count: error.count },
          },
        ]);
      }
    },
  );
}
