import type { FastifyReply } from "fastify";
import { z } from "zod";
import { roleIn } from "../../auth/principal.js";
import { withInvitations } from "../../service/invitations.js";
import { cancelWaiting, WAITING_SUBJECT_WORDS } from "../../service/waiting.js";
import { findCatalogDescription, listCatalogDelegations } from "../../store/catalog.repo.js";
import { deviceIdsOfRefs } from "../../store/device.repo.js";
import { findCatalogApp, getAccount, getAppOfSpace, getAsset, NotFoundError } from "../../store/index.js";
import { editAppRules } from "../../store/rules.repo.js";
import {
  APP_SORTS,
  LICENSE_SORTS,
  listAppsView,
  listLicensesView,
  rulesView,
} from "../../store/views.repo.js";
import { listWaitingView, WAITING_SORTS } from "../../store/waiting-view.repo.js";
import { type Api, type ApiContext, actorOf, can, spaceOf } from "../context.js";
import { reservedDeviceRefs } from "../device-ref.js";
import { ifMatchOf, notModified, setEtag } from "../preconditions.js";
import { ApiError, problemResponses, problemSchema } from "../problem.js";
import { refuseReservedAndProhibited, ruleFields, ruleIds } from "../rules.schema.js";
import {
  adamId,
  appRowSchema,
  id,
  licenseRowSchema,
  licenseType,
  pageOf,
  pageQuery,
  spaceIdParam,
  spaceParams,
  waitingRowSchema,
} from "../schemas.js";

const appParams = z.object({ spaceId: spaceIdParam, adamId });
const accountAppParams = z.object({ spaceId: spaceIdParam, accountId: id, adamId });
const named = z.object({ id: z.string(), name: z.string() });
const rulesSchema = z
  .object({
    fcfs: z
      .object({ groups: z.array(named), requestedType: licenseType, mandatoryType: licenseType })
      .optional(),
    reservedUsers: z.array(named),
    reservedDevices: z.array(z.object({ id: z.string(), serialNumber: z.string() })),
    prohibitedUsers: z.array(named),
    version: z
      .string()
      .describe("the rules' version, also sent as the ETag: name it in If-Match to change these rules only"),
  })
  .meta({ id: "LicenseRules" });
/** The rules' answers: a 412 when If-Match names a version they no longer have. */
const rulesResponses = { 200: rulesSchema, 412: problemSchema, ...problemResponses };
/**
 * DI1, DI2, DI7: the three lists of one (account, app). Strict: a field the route does not
 * take (`reservedUsers` for `reservedUserIds`) is a 400 naming it, never a list silently
 * emptied by its default.
 */
const rulesBody = z.strictObject(ruleFields).superRefine(refuseReservedAndProhibited);
const catalogSchema = z
  .object({
    adamId: z.string(),
    name: z.string().optional(),
    inCatalog: z.boolean(),
    installOnDevice: z.boolean(),
    updateMode: z.enum(["immediate", "automatic"]),
    description: z.string().optional().describe("CA1's optional description"),
    delegatedFromSpaceId: z.string().optional().describe("the default space, when it delegated the app here"),
    delegatedTo: z
      .array(z.string())
      .describe("the spaces (of those the caller sees) this space delegated the app to, in their catalog"),
  })
  .meta({ id: "CatalogApp" });

/** Apps of a space: VU4, the catalog (CA1), rules per account (DI1, VU2), usage (VU5) and the log (DI5). */
export function registerAppRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/apps",
    {
      // An MDM builds its catalog (self-service, bundle ids, books) from it.
      config: can.mdm.read,
      schema: {
        tags: ["apps"],
        summary: "VU4: every bought app with price per license, total, available and used",
        params: spaceParams,
        querystring: pageQuery(Object.keys(APP_SORTS) as [keyof typeof APP_SORTS]),
        response: { 200: pageOf(appRowSchema), ...problemResponses },
      },
    },
    async (request) => listAppsView(db, spaceOf(request), {}, request.query),
  );

  app.get(
    "/spaces/:spaceId/catalog/:adamId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["apps"],
        summary: "The app's catalog entry in the space (404 when it was never added)",
        params: appParams,
        response: { 200: catalogSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const found = await findCatalogApp(db, spaceId, request.params.adamId);
      if (!found) throw new NotFoundError("app", request.params.adamId);
      const description = await findCatalogDescription(db, spaceId, request.params.adamId);
      const principal = request.principal;
      // Invariant 6: a space the caller has no role in is not named.
      const delegatedTo = (await listCatalogDelegations(db, spaceId, request.params.adamId)).filter(
        (id) => principal && roleIn(principal, id),
      );
      return { ...found, ...(description ? { description } : {}), delegatedTo };
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/apps/:adamId/rules",
    {
      config: can.read,
      schema: {
        tags: ["apps"],
        summary: "VU2: FCFS, Reserved and Prohibited tabs",
        description:
          "The ETag (also `version`) names these rules as they are, for a change's If-Match; with " +
          "If-None-Match naming it, a 304 without a body.",
        params: accountAppParams,
        response: { 200: rulesSchema, 304: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      await getAsset(db, spaceId, request.params.accountId, request.params.adamId);
      const rules = withEtag(
        reply,
        await rulesView(db, spaceId, request.params.accountId, request.params.adamId),
      );
      // A client holding this version already: nothing to send again.
      return notModified(request, rules.version) ? reply.status(304).send() : rules;
    },
  );

  app.put(
    "/spaces/:spaceId/accounts/:accountId/apps/:adamId/rules",
    {
      config: { ...can.write, ifMatch: true },
      schema: {
        tags: ["apps"],
        summary: "DI1: set the license rules of one (account, app); DI6, DI7 checked",
        description:
          "The lists sent replace the current ones; a list left out is emptied. A field the route does not " +
          "take is a 400 `validation_failed` naming it (`body.reservedUsers`). A user, device or group the " +
          "space does not have is a 404 `not_found`. A reserved device is named by its id or by " +
          "`serial:C02D0000`; an unknown serial number is a 404 naming it and its place " +
          "(`body.reservedDeviceIds.3`). With If-Match naming the version read (the GET's ETag), rules " +
          "changed since are a 412 `rules_changed`, not overwritten.",
        params: accountAppParams,
        body: rulesBody,
        response: rulesResponses,
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const { accountId, adamId: app } = request.params;
      const ifVersion = ifMatchOf(request);
      const reservedDeviceIds = await deviceIdsOfRefs(
        db,
        spaceId,
        request.body.reservedDeviceIds,
        (i) => `body.reservedDeviceIds.${i}`,
      );
      await editAppRules(
        db,
        { spaceId, accountId, adamId: app, ...(ifVersion ? { ifVersion } : {}) },
        () => ({ ...request.body, reservedDeviceIds }),
        actorOf(request),
        now(),
      );
      return withEtag(reply, await rulesView(db, spaceId, accountId, app));
    },
  );

  app.post(
    "/spaces/:spaceId/accounts/:accountId/apps/:adamId/rules/reservations",
    {
      config: { ...can.write, ifMatch: true },
      schema: {
        tags: ["apps"],
        summary: "DI3: reserve licenses for these users and devices, the app's other rules as they are",
        description:
          "Adds to the Reserved lists (one already reserved is left as it is), under the app's lock: an " +
          "edit made meanwhile is kept, where a PUT built from an earlier read would undo it. DI6 (no more " +
          "reservations than licenses) and DI7 (a prohibited user is not reserved) are 409s/400s as for the " +
          "PUT; a device by its id or `serial:C02D0000`. If-Match is honoured as by the PUT.",
        params: accountAppParams,
        body: z
          .strictObject({ userIds: ruleIds.default([]), deviceIds: reservedDeviceRefs })
          .refine((b) => b.userIds.length + b.deviceIds.length > 0, { message: "name a user or a device" }),
        response: rulesResponses,
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const { accountId, adamId: app } = request.params;
      const ifVersion = ifMatchOf(request);
      const deviceIds = await deviceIdsOfRefs(
        db,
        spaceId,
        request.body.deviceIds,
        (i) => `body.deviceIds.${i}`,
      );
      await editAppRules(
        db,
        { spaceId, accountId, adamId: app, ...(ifVersion ? { ifVersion } : {}) },
        (current) => ({
          ...current,
          reservedUserIds: [...new Set([...current.reservedUserIds, ...request.body.userIds])],
          reservedDeviceIds: [...new Set([...current.reservedDeviceIds, ...deviceIds])],
        }),
        actorOf(request),
        now(),
      );
      return withEtag(reply, await rulesView(db, spaceId, accountId, app));
    },
  );

  app.get(
    "/spaces/:spaceId/accounts/:accountId/apps/:adamId/log",
    {
      config: can.read,
      schema: {
        tags: ["apps"],
        summary: "DI5, VU2: per license: user or device, type, assignment date, last action",
        params: accountAppParams,
        querystring: pageQuery(Object.keys(LICENSE_SORTS) as [keyof typeof LICENSE_SORTS]),
        response: { 200: pageOf(licenseRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      await getAccount(db, spaceId, request.params.accountId);
      await getAppOfSpace(db, spaceId, request.params.adamId);
      return listLicensesView(
        db,
        spaceId,
        { accountId: request.params.accountId, adamId: request.params.adamId },
        request.query,
      );
    },
  );

  app.get(
    "/spaces/:spaceId/apps/:adamId/waiting",
    {
      config: can.mdm.read,
      schema: {
        tags: ["apps"],
        summary:
          "DB2, UB3: the app's waiting queue, in the order it is served (first asked, first served): " +
          "who waits, why, and since when; searchable by user name, serial number or device name (q)",
        params: appParams,
        querystring: pageQuery(Object.keys(WAITING_SORTS) as [keyof typeof WAITING_SORTS]),
        response: { 200: pageOf(waitingRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { adamId: app } = request.params;
      await getAppOfSpace(db, spaceId, app);
      const page = await listWaitingView(db, spaceId, app, request.query);
      // UB2: a wait for enrolment names the invitation it waits on (the user's, or the device's user's).
      return {
        ...page,
        items: await withInvitations(db, spaceId, page.items, (w) => w.userId ?? w.deviceUserId),
      };
    },
  );

  app.delete(
    "/spaces/:spaceId/apps/:adamId/waiting/:subject",
    {
      config: can.mdm.write,
      schema: {
        tags: ["apps"],
        summary: "DB2: cancel a subject's waiting request for the app (logged with the administrator)",
        description:
          "The request leaves the queue with a `queue.cancelled` line in the activity log naming who cancelled " +
          "it; the others keep their places. A subject that does not wait for the app is a 404 naming it (so a " +
          "second cancel is a 404); an unknown serial number is a 404 naming it; a bare id that a waiting user " +
          "and a waiting device both have is a 400: say `user:` or `device:`.",
        params: appParams.extend({ subject: id.describe(WAITING_SUBJECT_WORDS) }),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const outcome = await cancelWaiting(db, {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        ref: request.params.subject,
        actor: actorOf(request),
        now: now(),
      });
      if ("notWaiting" in outcome) throw new ApiError(404, "not_found", outcome.notWaiting);
      return reply.status(204).send();
    },
  );

  app.get(
    "/spaces/:spaceId/apps/:adamId/license-usage",
    {
      config: can.read,
      schema: {
        tags: ["apps"],
        summary: "VU5: the app's licenses, searchable by user name (q)",
        params: appParams,
        querystring: pageQuery(Object.keys(LICENSE_SORTS) as [keyof typeof LICENSE_SORTS]),
        response: { 200: pageOf(licenseRowSchema), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      await getAppOfSpace(db, spaceId, request.params.adamId);
      return listLicensesView(db, spaceId, { adamId: request.params.adamId }, request.query);
    },
  );
}

/** The rules, with their version as the ETag. */
function withEtag<T extends { version: string }>(reply: FastifyReply, rules: T): T {
  setEtag(reply, rules.version);
  return rules;
}
