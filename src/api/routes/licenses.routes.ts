import { z } from "zod";
import { checkSubjectFilter } from "../../service/list-filters.js";
import type { Db } from "../../store/database.js";
import { NotFoundError } from "../../store/index.js";
import {
  findLicenseView,
  LICENSE_SORTS,
  type LicenseFilter,
  listLicensesView,
} from "../../store/views.repo.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import { deviceRef } from "../device-ref.js";
import { ApiError, problemResponses } from "../problem.js";
import {
  adamId,
  id,
  licenseRowSchema,
  licenseState,
  licenseType,
  pageOf,
  pageQuery,
  serialNumber,
  spaceIdParam,
  spaceParams,
  withId,
} from "../schemas.js";

const licenseSchema = z
  .object({
    id: z.string(),
    accountId: z.string(),
    adamId: z.string(),
    type: licenseType,
    userId: z.string().optional(),
    deviceId: z.string().optional(),
    state: licenseState,
    reserved: z.boolean(),
    ruleIds: z.array(z.string()),
  })
  .meta({ id: "LicenseChange" });

/** The filters of the licenses list, as the list and the export (exports.routes.ts) take them. */
export const licenseFilterQuery = z.object({
  app: adamId.optional(),
  user: id.optional(),
  device: deviceRef.optional(),
  serial: serialNumber.optional().describe("a device's serial number, in any case"),
  account: id.optional(),
  type: licenseType.optional(),
  state: licenseState.optional(),
});

/** The filters as the store takes them: an id the space does not have is a 404 naming its parameter. */
export async function licenseFilterOf(
  db: Db,
  spaceId: string,
  query: z.infer<typeof licenseFilterQuery>,
): Promise<LicenseFilter> {
  const { app, user, device, serial, account, type, state } = query;
  const { deviceId } = await checkSubjectFilter(
    db,
    spaceId,
    { app, user, device, serial, account },
    { field: (name) => `querystring.${name}`, bySerial: (s) => `serial=${s}` },
  );
  return { adamId: app, userId: user, deviceId, accountId: account, type, state };
}

/** Licenses: filtered lists, revoke one (RV2, RV4), revoke all of an app in the space (MA4). */
export function registerLicenseRoutes(app: Api, ctx: ApiContext): void {
  const { db, now, licenses } = ctx.deps;

  app.get(
    "/spaces/:spaceId/licenses",
    {
      config: can.mdm.read,
      schema: {
        tags: ["licenses"],
        summary: "Licenses of the space, paged, filtered by app, user, device, account, type or state",
        description:
          "A filter naming what the space does not have (an account, a user or a device id of another space " +
          "or of none, an app neither in the space's catalog nor bought by its accounts) is a 404 `not_found` " +
          "whose `errors[].field` names the parameter (`querystring.device`), not an empty list. A device is " +
          "filtered by its id (`device`), by `device=serial:C02D0000`, or by its serial number (`serial`, as " +
          "check-in knows it); a bare serial number sent as `device` is a 404 that says to use `serial`. " +
          "`q` finds the licenses whose user's name, device's serial number or name, device's user's name " +
          "or app's name contains it, in any case.",
        params: spaceParams,
        querystring: pageQuery(Object.keys(LICENSE_SORTS) as [keyof typeof LICENSE_SORTS]).extend(
          licenseFilterQuery.shape,
        ),
        response: { 200: pageOf(licenseRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { app: adam, user, device, serial, account, type, state, ...page } = request.query;
      const spaceId = spaceOf(request);
      const filter = await licenseFilterOf(db, spaceId, {
        app: adam,
        user,
        device,
        serial,
        account,
        type,
        state,
      });
      return listLicensesView(db, spaceId, filter, page);
    },
  );

  app.get(
    "/spaces/:spaceId/licenses/:licenseId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["licenses"],
        summary: "A license, as the list shows it: its state, names, dates and latest action",
        params: withId("licenseId"),
        response: { 200: licenseRowSchema, ...problemResponses },
      },
    },
    async (request) => {
      const license = await findLicenseView(db, spaceOf(request), request.params.licenseId);
      if (!license) throw new NotFoundError("license", request.params.licenseId);
      return license;
    },
  );

  app.post(
    "/spaces/:spaceId/licenses/:licenseId/revoke",
    {
      config: can.write,
      schema: {
        tags: ["licenses"],
        summary:
          "RV2 (from the log) or RV4 (from the app's License usage tab): revoke one license; RV3 grace on iOS",
        description:
          "A license no longer live (revoked already, e.g. by the same call sent again) is a 409 " +
          "`invalid_transition`; its state is in `GET licenses/:licenseId`. A book's license is a 409 " +
          "`not_revocable`: Apple never takes it back (`revocable` false in the list).",
        params: withId("licenseId"),
        body: z.strictObject({ from: z.enum(["log", "usage"]).default("log") }).default({ from: "log" }),
        response: { 200: z.object({ revoked: z.array(licenseSchema) }), ...problemResponses },
      },
    },
    async (request) => ({
      revoked: await licenses.revoke(db, {
        spaceId: spaceOf(request),
        licenseId: request.params.licenseId,
        because: request.body.from === "usage" ? ["RV4"] : ["RV2"],
        actor: actorOf(request),
        now: now(),
      }),
    }),
  );

  app.post(
    "/spaces/:spaceId/apps/:adamId/revoke-all",
    {
      config: can.write,
      schema: {
        tags: ["licenses"],
        summary: "MA4, RV2: revoke every license of the app in every account of this space (only this space)",
        description: "A book is a 409 `not_revocable`: Apple never takes its licenses back.",
        params: z.object({ spaceId: spaceIdParam, adamId }),
        body: z.strictObject({ confirm: z.literal(true).describe("must be true: this cannot be undone") }),
        response: { 200: z.object({ revoked: z.number().int() }), ...problemResponses },
      },
    },
    async (request) => {
      if (request.body.confirm !== true)
        throw new ApiError(422, "confirmation_required", "confirm must be true");
      const revoked = await licenses.revokeAllForApp(db, {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        actor: actorOf(request),
        now: now(),
      });
      return { revoked: revoked.length };
    },
  );
}
