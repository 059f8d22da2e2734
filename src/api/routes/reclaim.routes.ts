import { z } from "zod";
import { checkSubjectFilter } from "../../service/list-filters.js";
import {
  previewReclaim,
  RECLAIM_BATCH,
  RECLAIM_PREVIEW_ROWS,
  ReclaimChangedError,
  reclaimInactive,
} from "../../service/reclaim.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import { previewChanged, unconfirmedPreview } from "../preview-confirm.js";
import { problemResponses } from "../problem.js";
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
    .describe(
      "to reclaim, with `fingerprint`: the count the preview showed (then the previous answer's `next.expect`); without either, a preview",
    ),
  fingerprint: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "the preview's fingerprint: 64 lowercase hexadecimal digits")
    .optional()
    .describe(
      "to reclaim, with `expect`: the fingerprint the preview answered (then the previous answer's `next.fingerprint`), as it came",
    ),
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
    limit: z.number().int().describe(`the most licenses one reclaim request revokes (${RECLAIM_BATCH})`),
    capped: z
      .boolean()
      .describe(
        "more match than `limit`: the reclaim takes several requests, each the next `limit` by license id (`next`)",
      ),
    fingerprint: z
      .string()
      .describe("of all the licenses that match: send it back with `expect` to reclaim them"),
    reclaimed: z
      .number()
      .int()
      .optional()
      .describe(
        "licenses revoked by this request (a reclaim): at most `limit`; fewer when some subject came back meanwhile",
      ),
    remaining: z
      .number()
      .int()
      .optional()
      .describe(
        "licenses of the set this request left (a reclaim): the next request, with `next`, reclaims them",
      ),
    next: z
      .object({
        expect: z.number().int().describe("the count the next request sends as `expect`"),
        fingerprint: z.string().describe("the fingerprint the next request sends"),
      })
      .optional()
      .describe(
        "while `remaining` > 0: send the same body with these `expect` and `fingerprint` to reclaim the next batch",
      ),
    items: z
      .array(inactiveLicenseSchema)
      .describe(`the first ${RECLAIM_PREVIEW_ROWS} by license id: those found (a preview) or revoked`),
  })
  .meta({ id: "ReclaimAnswer" });

/**
 * Reclaim of the licenses held by inactive devices or users (service/reclaim.ts): a preview,
 * then the reclaim of exactly what the preview counted, a batch per request, each request
 * naming the rest the previous one left (`next`).
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
          "Only live licenses (`pending_assign`, `assigned`) of revocable assets are counted.\n\n" +
          "Without `expect` (or with `dryRun: true`) the answer is a preview: the count, the first " +
          `${RECLAIM_PREVIEW_ROWS} licenses and a \`fingerprint\` of the set, nothing revoked. To reclaim, send the ` +
          "same body with `expect` set to the previewed count and `fingerprint` to the previewed fingerprint (both " +
          "required): a different count, or as many licenses but not the same ones, is a 409 `reclaim_changed` " +
          "(`errors[0].field` says which) and nothing is revoked.\n\n" +
          `One request revokes ${RECLAIM_BATCH} licenses at most, the first by license id, in one transaction: ` +
          "above that, the preview says `capped`, and each reclaim answers how many of the set it left " +
          "(`remaining`) and `next`, the `expect` and `fingerprint` of the next request, until none is left. " +
          "A set that changed between two requests is a 409 `reclaim_changed` too, and that request revokes " +
          "nothing; a reclaim stopped between two requests keeps what it did.\n\n" +
          "Each license is revoked as `licenses/:licenseId/revoke` revokes it (Apple's release, the 30-day grace " +
          "on iOS, the waiting queue served: RV3, DB2, UB3), with an " +
          "activity-log line naming the reason. An `adamId` or `accountId` the space does not have is a 404 " +
          "naming the field.",
        params: spaceParams,
        body: reclaimBody,
        response: { 200: reclaimAnswer, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { inactiveDays, adamId: app, accountId, type, dryRun, expect, fingerprint } = request.body;
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
      const reclaiming =
        dryRun !== true && (dryRun === false || expect !== undefined || fingerprint !== undefined);
      if (!reclaiming) {
        const preview = await previewReclaim(db, { spaceId, filter, now: now() });
        return { preview: true, ...preview };
      }
      if (expect === undefined || fingerprint === undefined)
        throw unconfirmedPreview("reclaim", { expect, fingerprint });
      try {
        const result = await reclaimInactive(
          { db, licenses },
          { spaceId, filter, expect, fingerprint, actor: actorOf(request), now: now() },
        );
        return { preview: false, ...result };
      } catch (error) {
        if (!(error instanceof ReclaimChangedError)) throw error;
        throw previewChanged("reclaim_changed", error);
      }
    },
  );
}
