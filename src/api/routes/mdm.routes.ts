import { z } from "zod";
import { authorize } from "../../auth/principal.js";
import {
  addToDistribution,
  applyEvent,
  checkIn,
  delegateApp,
  enrollDevice,
  inviteGroup,
  inviteUsers,
  moveDevice,
  previewCatalogRemoval,
  publishAppVersion,
  putCatalogApp,
  removeFromCatalog,
  undelegateApp,
} from "../../mdm/index.js";
import { deviceIdOfRef, getDevice, getDeviceByRef } from "../../store/device.repo.js";
import { reportedIdentity, reportedText } from "../../store/device-identity-input.js";
import {
  acknowledgeMdmCommands,
  countMdmCommands,
  listMdmCommands,
  listMdmCommandsView,
  MDM_COMMAND_SORTS,
  retryFailedMdmCommands,
} from "../../store/mdm-command.repo.js";
import { type Api, type ApiContext, actorOf, can, heldLicense, spaceOf } from "../context.js";
import { deviceParams, deviceRefFor } from "../device-ref.js";
import { CHECK_IN_BODY_LIMIT_BYTES } from "../limits.js";
import { mdmCommandKind, mdmCommandTargetFields, mdmInvitationFields } from "../mdm-command-target.js";
import { ApiError, problemResponses } from "../problem.js";
import {
  adamId,
  dateTime,
  deviceModel,
  deviceName,
  deviceStatus,
  flag,
  id,
  optionalQueryInt,
  osVersion,
  pageOf,
  pageQuery,
  queryInt,
  ruleId,
  serialNumber,
  spaceIdParam,
} from "../schemas.js";

const appParams = z.object({ spaceId: spaceIdParam, adamId });
const consequencesSchema = z
  .object({
    releases: z.array(
      z.object({ licenseId: z.string(), graceUntil: dateTime.optional(), because: z.array(ruleId) }),
    ),
    commands: z.array(
      z.object({
        kind: z.enum(["install", "remove"]),
        deviceId: z.string(),
        adamId: z.string(),
        because: z.array(ruleId),
      }),
    ),
  })
  .meta({ id: "Consequences" });
const catalogAppSchema = z
  .object({
    adamId: z.string(),
    name: z.string().optional(),
    inCatalog: z.boolean(),
    installOnDevice: z.boolean(),
    updateMode: z.enum(["immediate", "automatic"]),
    delegatedFromSpaceId: z.string().optional(),
  })
  .meta({ id: "CatalogEntry" });
const removalPreviewSchema = z
  .object({
    licenses: z.number().int().describe("licenses that would be revoked (RV1, PB1)"),
    devices: z
      .number()
      .int()
      .describe("devices that would get a remove command (iOS, PB1; never a Mac, PB2)"),
  })
  .meta({ id: "CatalogRemovalPreview" });
const installedApp = z.strictObject({
  bundleId: z
    .string()
    .min(1)
    .max(300)
    .describe("as Apple's InstalledApplicationList gives it (`Identifier`)"),
  adamId: adamId
    .optional()
    .describe(
      "when the MDM knows it; without it, the app of the space's assets with this bundle id (in any case) once " +
        "their metadata is known (the one that runs on the device, when several do)",
    ),
  name: z.string().max(300).optional(),
  version: z.string().max(100).optional(),
  source: z.string().max(100).optional(),
  sizeBytes: z.number().int().min(0).optional(),
  installedAt: dateTime.optional(),
});
const commandFields = z.object({
  id: z.string(),
  seq: z.number().int(),
  spaceId: z.string(),
  kind: mdmCommandKind,
  deviceId: z.string(),
  serialNumber: z.string(),
  adamId: z.string().nullable().describe("the app of an install or a remove; null for an invite"),
  ...mdmInvitationFields,
  licenseId: z.string().optional(),
  appVersion: z.string().optional(),
  ruleIds: z.array(z.string()),
  because: z.array(z.string()).describe("The rule ids again, as the webhook's message names them"),
  state: z.enum(["pending", "delivered", "cancelled", "failed"]),
  awaitingLicense: z
    .boolean()
    .describe("A pending install whose license Apple has not confirmed yet: do not act on it (LT2)"),
  attempts: z.number().int(),
  lastError: z.string().optional(),
  createdAt: dateTime,
});
// Every field of the webhook's message (src/mdm/deliver.ts) under the same name, and its state:
// an MDM that polls and one that is pushed to read commands with one parser.
const commandSchema = commandFields.extend(mdmCommandTargetFields).meta({ id: "MdmCommand" });

/**
 * What an MDM sends and receives: check-ins with inventory (DB2, LT2), device events
 * (RV1, RV5), moves between spaces (TR1, TR2), catalog changes (CA1, CA3, PB1, PB2),
 * new app versions (DB4), and the queue of install/remove commands for MDMs that poll
 * instead of receiving the signed webhook.
 */
export function registerMdmRoutes(app: Api, ctx: ApiContext): void {
  const mdm = () => ({ db: ctx.deps.db, now: ctx.deps.now });

  app.put(
    "/spaces/:spaceId/catalog/:adamId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["catalog"],
        summary: "CA1, CA3, DB4: add a bought app to the space's catalog, or change its options",
        params: appParams,
        body: z.strictObject({
          name: z.string().max(300).optional(),
          description: z.string().max(4000).optional(),
          installOnDevice: z.boolean().optional().describe("CA1 'Install on device': the app is mandatory"),
          updateMode: z.enum(["immediate", "automatic"]).optional().describe("DB4"),
        }),
        response: { 200: catalogAppSchema, ...problemResponses },
      },
    },
    async (request) =>
      putCatalogApp(mdm(), {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        ...request.body,
        actor: actorOf(request),
      }),
  );

  app.delete(
    "/spaces/:spaceId/catalog/:adamId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["catalog"],
        summary:
          "RV1, PB1, PB2: delete the app from the catalog (licenses revoked; iOS devices uninstall it)",
        params: appParams,
        response: { 200: consequencesSchema, ...problemResponses },
      },
    },
    async (request) =>
      removeFromCatalog(mdm(), {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        actor: actorOf(request),
      }),
  );

  const delegation = z.strictObject({ spaceIds: z.array(id).min(1).max(1000) });
  app.post(
    "/spaces/:spaceId/catalog/:adamId/delegations",
    {
      config: can.mdm.write,
      schema: {
        tags: ["catalog"],
        summary: "Delegate an app of the default space to custom spaces",
        description:
          "The app joins each space's catalog. A space delegated the app before (the delegation taken back) " +
          "gets back the options it had set: Install on device, updates, description (CA1). The default " +
          "space itself is a 400.",
        params: appParams,
        body: delegation,
        response: { 204: z.null(), ...problemResponses },
      },
    },
    async (request, reply) => {
      for (const target of request.body.spaceIds) requireAlso(request, target);
      await delegateApp(mdm(), {
        fromSpaceId: spaceOf(request),
        adamId: request.params.adamId,
        toSpaceIds: request.body.spaceIds,
        actor: actorOf(request),
      });
      return reply.status(204).send(null);
    },
  );

  app.delete(
    "/spaces/:spaceId/catalog/:adamId/delegations",
    {
      config: can.mdm.write,
      schema: {
        tags: ["catalog"],
        summary: "PB1: stop delegating (the spaces losing it uninstall on iOS)",
        description:
          "The app leaves those spaces' catalogs; each keeps its catalog options for a later delegation (CA1), " +
          "and its `GET catalog/:adamId` answers them with `inCatalog` false.",
        params: appParams,
        body: delegation,
        response: { 200: consequencesSchema, ...problemResponses },
      },
    },
    async (request) => {
      for (const target of request.body.spaceIds) requireAlso(request, target);
      return undelegateApp(mdm(), {
        fromSpaceId: spaceOf(request),
        adamId: request.params.adamId,
        spaceIds: request.body.spaceIds,
        actor: actorOf(request),
      });
    },
  );

  app.get(
    "/spaces/:spaceId/catalog/:adamId/removal-preview",
    {
      config: can.mdm.read,
      schema: {
        tags: ["catalog"],
        summary: "PB1: what taking the app out would do, done nowhere (the console's warning)",
        description:
          "Without `undelegate`: deleting the app from the space's catalog (from the default space, also " +
          "where it was delegated). With it: undelegating it from those spaces, each of which the caller " +
          "must see (else 404, as if absent) and the default space must have delegated the app to.",
        params: appParams,
        querystring: z.object({
          undelegate: z
            .string()
            .max(30_000)
            .transform((v) => v.split(",").filter((s) => s !== ""))
            .pipe(z.array(id).min(1).max(1000))
            .optional()
            .describe("comma-separated space ids"),
        }),
        response: { 200: removalPreviewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const undelegate = request.query.undelegate;
      for (const target of undelegate ?? []) requireAlso(request, target);
      const { releases, commands } = await previewCatalogRemoval(mdm(), {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        ...(undelegate ? { undelegate } : {}),
      });
      const removing = new Set(commands.filter((c) => c.kind === "remove").map((c) => c.deviceId));
      return { licenses: releases.length, devices: removing.size };
    },
  );

  app.post(
    "/spaces/:spaceId/mdm/check-in",
    {
      config: can.mdm.write,
      bodyLimit: CHECK_IN_BODY_LIMIT_BYTES,
      schema: {
        tags: ["mdm"],
        summary:
          "DB2, LT2: a device checked in with its managed apps; mandatory and installed apps are decided again",
        params: z.object({ spaceId: spaceIdParam }),
        body: z.strictObject({
          serialNumber: serialNumber.describe(
            "as the device was created, in any case and with spaces around it or not; a control character, or nothing once trimmed, is a 400 naming `body.serialNumber`",
          ),
          installed: z.array(installedApp).max(5000).optional(),
          // Described as devices take them; a value they refuse is ignored, not a 400 (reportedIdentity).
          name: reportedText
            .optional()
            .describe(
              `the device's name as the MDM knows it (DeviceName): recorded; left out or null, the device keeps its own. ${deviceName.description} (else ignored, named in \`ignored\`)`,
            ),
          model: reportedText
            .optional()
            .describe(
              `ModelName ("iPad (10th generation)") or ProductName ("iPad13,18"): recorded; left out or null, kept. ${deviceModel.description} (else ignored, named in \`ignored\`)`,
            ),
          osVersion: reportedText
            .optional()
            .describe(
              `OSVersion: recorded; left out or null, kept. ${osVersion.description} (else ignored, named in \`ignored\`)`,
            ),
        }),
        response: {
          200: z.object({
            deviceId: z.string(),
            status: deviceStatus.describe(
              "the device's status after this check-in: active, or retired (retired by the MDM, or moved to another space: TR1), where it gets no license",
            ),
            decisions: z.array(
              z.object({
                adamId: z.string(),
                outcome: z
                  .enum(["grant", "keep", "wait", "refuse"])
                  .describe(
                    "keep: the device holds a license already (a check-in sent again takes no other)",
                  ),
                reason: z.string().optional().describe("why it waits or is refused (e.g. no_license)"),
                because: z.array(ruleId),
                licenseId: z
                  .string()
                  .optional()
                  .describe("the license the device holds for the app after this check-in (granted or kept)"),
                installQueued: z
                  .boolean()
                  .describe("an install was queued by this check-in (never twice for one license)"),
              }),
            ),
            updatesQueued: z.number().int(),
            ignored: z
              .array(z.object({ field: z.string(), message: z.string() }))
              .optional()
              .describe(
                "what the check-in reported of the device and Orchard did not record (an OS version written another way): the check-in and its decisions went through",
              ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { name, model, osVersion: reportedVersion, ...body } = request.body;
      const { identity, ignored } = reportedIdentity({ name, model, osVersion: reportedVersion });
      const result = await checkIn(mdm(), {
        spaceId: spaceOf(request),
        ...body,
        ...identity,
        actor: actorOf(request),
      });
      return {
        ...result,
        ...(ignored.length > 0 ? { ignored } : {}),
        decisions: result.decisions.map((d) => {
          const licenseId = heldLicense(d);
          return {
            adamId: d.adamId,
            outcome: d.decision.outcome,
            ...("reason" in d.decision ? { reason: d.decision.reason } : {}),
            because: d.decision.because,
            ...(licenseId ? { licenseId } : {}),
            installQueued: d.installQueued,
          };
        }),
      };
    },
  );

  app.post(
    "/spaces/:spaceId/devices/:deviceId/events",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary:
          "RV1, RV5: the device was retired, wiped, went inactive or lost its MDM profile, or enrolled (again)",
        description:
          "Safe to send again: an event the device is in already (its status is the one the event leaves) " +
          "with no license left to release changes nothing and logs nothing, and answers empty lists. " +
          "`enrolled` (a wiped iPad set up again, a Mac enrolled again, a retired device back in service) makes " +
          "the device active again, logged once, and releases nothing; its apps are decided at its next check-in. " +
          "A device of no such id or serial number (`devices/serial:C02D0000`) in the space is a 404.",
        params: deviceParams,
        body: z.strictObject({
          kind: z.enum(["retired", "wiped", "inactive", "mdm_profile_removed", "enrolled"]),
        }),
        response: {
          200: consequencesSchema.extend({
            status: deviceStatus.describe("the device's status after the event"),
            previousStatus: deviceStatus.describe(
              "its status before: the same when the event changed nothing",
            ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const deviceId = await deviceIdOfRef(ctx.deps.db, spaceId, request.params.deviceId);
      const previousStatus = (await getDevice(ctx.deps.db, spaceId, deviceId)).status;
      const asked = request.body.kind;
      let consequences: Awaited<ReturnType<typeof applyEvent>> = { releases: [], commands: [] };
      if (asked === "enrolled") await enrollDevice(mdm(), { spaceId, deviceId, actor: actorOf(request) });
      else {
        const kind = asked === "mdm_profile_removed" ? "mdm_profile_removed" : (`device_${asked}` as const);
        consequences = await applyEvent(mdm(), { kind, spaceId, deviceId }, actorOf(request));
      }
      // What the MDM mirrors: the status the event left, beside the one it found.
      const { status } = await getDevice(ctx.deps.db, spaceId, deviceId);
      return { ...consequences, status, previousStatus };
    },
  );

  app.post(
    "/spaces/:spaceId/devices/:deviceId/move",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary: "TR1, TR2: move the device to another space (assign there first, then release here)",
        description:
          "Safe to send again: a device that has moved to that space already answers 200 with no steps. " +
          "The target space needs the write role too (else 404, as if it did not exist). The device is named " +
          "by id or by serial number (`devices/serial:C02D0000`); an unknown one is a 404.",
        params: deviceParams,
        body: z.strictObject({ toSpaceId: id, userId: id.optional() }),
        response: {
          200: z.object({
            steps: z.array(
              z.object({ kind: z.enum(["assign", "release"]), adamId: z.string(), because: z.array(ruleId) }),
            ),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      requireAlso(request, request.body.toSpaceId);
      const fromSpaceId = spaceOf(request);
      const steps = await moveDevice(mdm(), {
        fromSpaceId,
        deviceId: await deviceIdOfRef(ctx.deps.db, fromSpaceId, request.params.deviceId),
        toSpaceId: request.body.toSpaceId,
        ...(request.body.userId ? { userId: request.body.userId } : {}),
        actor: actorOf(request),
      });
      return { steps: steps.map((s) => ({ kind: s.kind, adamId: s.adamId, because: s.because })) };
    },
  );

  app.post(
    "/spaces/:spaceId/users/:userId/apps/:adamId/remove-from-distribution",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary: "PB1, PB2: the app left this user's catalog distribution: revoked, uninstalled on iOS",
        description:
          "Safe to send again: once the app is out of the user's distribution, the same call releases, " +
          "queues and logs nothing more, and answers empty lists. A user of no such id in the space is a 404.",
        params: z.object({ spaceId: spaceIdParam, userId: id, adamId }),
        response: { 200: consequencesSchema, ...problemResponses },
      },
    },
    async (request) =>
      applyEvent(
        mdm(),
        {
          kind: "app_removed_from_distribution",
          spaceId: spaceOf(request),
          adamId: request.params.adamId,
          userId: request.params.userId,
        },
        actorOf(request),
      ),
  );

  app.post(
    "/spaces/:spaceId/users/:userId/apps/:adamId/add-to-distribution",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary: "PB1 undone: the app is back in this user's catalog distribution",
        params: z.object({ spaceId: spaceIdParam, userId: id, adamId }),
        response: { 200: z.object({ changed: z.boolean() }), ...problemResponses },
      },
    },
    async (request) => ({
      changed: await addToDistribution(mdm(), {
        spaceId: spaceOf(request),
        adamId: request.params.adamId,
        userId: request.params.userId,
        actor: actorOf(request),
      }),
    }),
  );

  app.post(
    "/spaces/:spaceId/users/invite",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary:
          "UB2: invite users to Apps and Books (registered at Apple; each accepts Apple's invitation link)",
        description:
          "`userIds`: these users; `groupId`: every user of the group whom Apple has not registered (never invited, " +
          "not retired; `all-users`: the whole space), by batches of 500 that commit one by one (sent again, it " +
          "invites the rest). Each is registered in every usable account of the space; the outbox sends them to " +
          "Apple in batches of its maxUsers. `invited` counts the users registered by this call: an enrolled or " +
          "invited user, or one whose registration is still on its way to Apple (the same call sent again), is not " +
          "registered twice. Once Apple answers, GET users/{userId} gives `registration: invited` and `invitationUrl`, " +
          "the link the MDM opens on the user's device (or the administrator sends); accepting it enrols them (UB4).",
        params: z.object({ spaceId: spaceIdParam }),
        body: z
          .strictObject({
            userIds: z.array(id).min(1).max(1000).optional().describe("these users"),
            groupId: id.optional().describe("the group whose users not registered yet are invited"),
          })
          .refine((b) => (b.userIds === undefined) !== (b.groupId === undefined), {
            message:
              "give either userIds (these users) or groupId (a group's users not invited yet), not both",
          }),
        response: {
          200: z.object({ invited: z.number().int(), accounts: z.number().int() }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { userIds, groupId } = request.body;
      const input = { spaceId: spaceOf(request), actor: actorOf(request) };
      return groupId !== undefined
        ? inviteGroup(mdm(), { ...input, groupId })
        : inviteUsers(mdm(), { ...input, userIds: userIds ?? [] });
    },
  );

  app.post(
    "/apps/:adamId/versions",
    {
      config: can.owner,
      schema: {
        tags: ["mdm"],
        summary:
          "DB4: a new version of the app is known ('automatic' apps update now, 'immediate' at next check-in)",
        params: z.object({ adamId }),
        body: z.strictObject({ version: z.string().min(1).max(100) }),
        response: { 200: z.object({ updatesQueued: z.number().int() }), ...problemResponses },
      },
    },
    async (request) => ({
      updatesQueued: await publishAppVersion(mdm(), {
        adamId: request.params.adamId,
        version: request.body.version,
      }),
    }),
  );

  app.get(
    "/spaces/:spaceId/mdm/commands",
    {
      config: can.mdm.read,
      schema: {
        tags: ["mdm"],
        summary:
          "Install/remove/invite commands for the MDM (for MDMs that poll rather than receive the webhook)",
        description:
          "To poll: list `ready=true` from the start, act on the commands, acknowledge them " +
          "(`POST …/mdm/commands/ack`); acknowledged commands leave the list. Page with `after` within one " +
          "poll only: an install waiting for Apple keeps its seq and becomes ready later, behind a cursor " +
          "kept across polls.",
        params: z.object({ spaceId: spaceIdParam }),
        querystring: z.object({
          state: z.enum(["pending", "delivered", "cancelled", "failed"]).optional(),
          ready: flag
            .optional()
            .describe(
              "Only the pending commands to act on now: installs wait until Apple confirms the license",
            ),
          device: deviceRefFor("only this device's commands").optional(),
          after: optionalQueryInt(0, Number.MAX_SAFE_INTEGER).describe(
            "only commands after this seq: the last seq of the previous page (oldest first)",
          ),
          limit: queryInt(1, 1000, 200),
        }),
        response: {
          200: z.object({
            items: z.array(commandSchema).describe("oldest first (by seq)"),
            hasMore: z.boolean().describe("more commands match: ask again with after = the last item's seq"),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const spaceId = spaceOf(request);
      // A device the space does not have (a bare serial number for one) is a 404 naming the
      // filter, not an empty list an MDM would poll forever; its commands went with it.
      const device =
        q.device && (await getDeviceByRef(ctx.deps.db, spaceId, q.device, "querystring.device")).id;
      const items = await listMdmCommands(ctx.deps.db, spaceId, {
        ...(q.state ? { state: q.state } : {}),
        ...(device ? { deviceId: device } : {}),
        ...(q.ready ? { ready: true } : {}),
        ...(q.after !== undefined ? { afterSeq: q.after } : {}),
        limit: q.limit + 1,
      });
      return {
        items: items
          .slice(0, q.limit)
          .map(({ target, ...c }) => ({ ...c, ...target, adamId: c.adamId ?? null, because: c.ruleIds })),
        hasMore: items.length > q.limit,
      };
    },
  );

  app.post(
    "/spaces/:spaceId/mdm/commands/ack",
    {
      config: can.mdm.write,
      schema: {
        tags: ["mdm"],
        summary: "The MDM took these commands: they are delivered",
        description:
          "Pending commands, and failed ones (Orchard gave up delivering them, the MDM took them after " +
          "all), become delivered; a failed one's twin queued since (the same install asked again) is " +
          "cancelled when nothing came between them, so it is not sent twice. A seq of a delivered, " +
          "cancelled or unknown command, or of an install still awaiting its license (`awaitingLicense`: " +
          "not ready to send), is left as it is and listed in `skipped` with why, so the same call may " +
          "be sent again.",
        params: z.object({ spaceId: spaceIdParam }),
        body: z.strictObject({ seqs: z.array(z.number().int().min(1)).min(1).max(1000) }),
        response: {
          200: z.object({
            acknowledged: z.number().int().describe("how many commands became delivered"),
            seqs: z.array(z.number().int()).describe("their seqs"),
            skipped: z.array(ackSkipSchema).describe("the others, and why"),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const result = await acknowledgeMdmCommands(ctx.deps.db, {
        spaceId,
        seqs: request.body.seqs,
        now: ctx.deps.now(),
      });
      return { acknowledged: result.acknowledged.length, seqs: result.acknowledged, skipped: result.skipped };
    },
  );

  registerMdmCommandAdministration(app, ctx);
}

const commandState = z.enum(["pending", "delivered", "cancelled", "failed"]);
const commandViewSchema = commandFields
  .extend({
    appName: z.string().optional().describe("the app's name, when the space knows it"),
    notBefore: dateTime.optional().describe("a pending command that failed is not tried again before then"),
    updatedAt: dateTime,
  })
  .meta({ id: "MdmCommandView" });
const retryBody = z
  .strictObject({
    seqs: z.array(z.number().int().min(1)).min(1).max(1000).optional().describe("these failed commands"),
    all: z.literal(true).optional().describe("every failed command of the space"),
  })
  .refine((b) => (b.seqs === undefined) !== (b.all === undefined), {
    message: "give either seqs (the failed commands to send again) or all: true, not both",
  });
/** A seq the space has no command of: skipped by a retry or an acknowledgement alike. */
const seqNotFound = z
  .object({ seq: z.number().int(), reason: z.literal("not_found") })
  .describe("no such command in the space");
const retrySkipSchema = z.discriminatedUnion("reason", [
  z
    .object({ seq: z.number().int(), reason: z.literal("license_not_live") })
    .describe("LT2: an install whose license was released or refused since: cancelled, not sent"),
  z
    .object({ seq: z.number().int(), reason: z.literal("superseded"), by: z.number().int() })
    .describe("a newer command for the same device and app (`by`) is not cancelled: this one is, not sent"),
  z
    .object({ seq: z.number().int(), reason: z.literal("not_failed"), state: commandState })
    .describe("not failed: left as it is"),
  seqNotFound,
]);
const ackSkipSchema = z.discriminatedUnion("reason", [
  z
    .object({ seq: z.number().int(), reason: z.literal("awaiting_license") })
    .describe("LT2: an install whose license Apple has not confirmed yet: not to act on, left pending"),
  z
    .object({ seq: z.number().int(), reason: z.literal("not_open"), state: commandState })
    .describe("delivered already (acknowledged before) or cancelled (its license gone, superseded)"),
  seqNotFound,
]);
const webhookTestSchema = z
  .discriminatedUnion("outcome", [
    z.object({
      outcome: z.literal("delivered"),
      id: z.string().describe("the test message's `test.id`"),
      status: z.number().int().describe("the MDM's HTTP answer (2xx)"),
      latencyMs: z.number().int(),
    }),
    z.object({
      outcome: z.literal("failed"),
      id: z.string(),
      status: z.number().int().optional().describe("the MDM's HTTP answer, when it answered"),
      error: z
        .string()
        .describe(
          "why, in English: `the MDM webhook answered HTTP 401`, `… could not be reached (ECONNREFUSED)`",
        ),
      retryable: z
        .boolean()
        .describe(
          "a real delivery failing so would be tried again (unreachable, 408, 429, 5xx); else it fails at once",
        ),
      latencyMs: z.number().int(),
    }),
  ])
  .meta({ id: "MdmWebhookTest" });

/**
 * What an administrator does about the MDM commands: list them for the console, send failed
 * ones again once the MDM's webhook is fixed, and check the webhook with a test message.
 */
function registerMdmCommandAdministration(app: Api, ctx: ApiContext): void {
  app.get(
    "/spaces/:spaceId/mdm/commands/overview",
    {
      config: can.read,
      schema: {
        tags: ["mdm"],
        summary: "The space's MDM commands for the console: paged, with app names and counts per state",
        description:
          "By default (`sort=attention`) failed commands come first, then pending ones, then the rest, newest " +
          "first within each. `q` matches a serial number (part of it) or an app's id. An MDM polls " +
          "`GET mdm/commands?ready=true` instead.",
        params: z.object({ spaceId: spaceIdParam }),
        querystring: pageQuery(MDM_COMMAND_SORTS).extend({
          state: z
            .string()
            .max(100)
            .transform((v) => (v === "" ? [] : v.split(",")))
            .pipe(z.array(commandState))
            .optional()
            .describe("comma-separated states (failed,pending); absent: every state"),
          device: deviceRefFor("only this device's commands").optional(),
        }),
        response: {
          200: pageOf(commandViewSchema).extend({
            counts: z
              .object({
                pending: z.number().int(),
                delivered: z.number().int(),
                cancelled: z.number().int(),
                failed: z.number().int(),
              })
              .describe("the space's commands in each state, whatever the filter"),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const { state, device: ref, q, ...page } = request.query;
      const spaceId = spaceOf(request);
      const device = ref && (await getDeviceByRef(ctx.deps.db, spaceId, ref, "querystring.device")).id;
      const [list, counts] = await Promise.all([
        listMdmCommandsView(
          ctx.deps.db,
          spaceId,
          {
            ...(state ? { states: state } : {}),
            ...(device ? { deviceId: device } : {}),
            ...(q ? { q } : {}),
          },
          page,
        ),
        countMdmCommands(ctx.deps.db, spaceId),
      ]);
      return {
        ...list,
        items: list.items.map((c) => ({ ...c, adamId: c.adamId ?? null, because: c.ruleIds })),
        counts,
      };
    },
  );

  app.post(
    "/spaces/:spaceId/mdm/commands/retry",
    {
      config: can.write,
      schema: {
        tags: ["mdm"],
        summary: "Sends failed commands again, once the MDM's webhook is fixed",
        description:
          "The failed commands given (`seqs`), or every failed command of the space (`all: true`), go back to " +
          "pending from their first attempt, for the delivery (or the MDM's poll). Two kinds are cancelled " +
          "instead, as a delivery would: an install whose license is no longer live (LT2), and a command with a " +
          "newer one for the same device and app that is not cancelled (the same install queued again by a " +
          "later check-in, a remove since): sending it too would reach the MDM twice or out of order. A seq " +
          "not failed, or unknown, is skipped and left as it is. Each command sent again or cancelled is in " +
          "the activity log.",
        params: z.object({ spaceId: spaceIdParam }),
        body: retryBody,
        response: {
          200: z.object({
            retried: z.number().int().describe("how many went back to pending"),
            seqs: z.array(z.number().int()).describe("those commands, oldest first"),
            skipped: z.array(retrySkipSchema).describe("the others, and why"),
          }),
          ...problemResponses,
        },
      },
    },
    async (request) => {
      const result = await retryFailedMdmCommands(ctx.deps.db, {
        spaceId: spaceOf(request),
        seqs: request.body.seqs ?? "all",
        actor: actorOf(request),
        now: ctx.deps.now(),
      });
      return { retried: result.retried.length, seqs: result.retried, skipped: result.skipped };
    },
  );

  app.post(
    "/spaces/:spaceId/mdm/webhook/test",
    {
      config: can.write,
      schema: {
        tags: ["mdm"],
        summary: "Sends one signed test message to the MDM's webhook and says what came of it",
        description:
          'Signed and sent as every delivery is (`webhooks.mdmWebhookTest`: `type: "test"`, no command), ' +
          "once, not retried: `delivered` with the MDM's HTTP status and the time it took, or `failed` with " +
          "why. A server without MDM_WEBHOOK_URL answers 409 `mdm_webhook_not_configured`.",
        params: z.object({ spaceId: spaceIdParam }),
        response: { 200: webhookTestSchema, ...problemResponses },
      },
    },
    async (request) => {
      const test = ctx.mdmWebhookTest;
      if (!test)
        throw new ApiError(
          409,
          "mdm_webhook_not_configured",
          "No MDM webhook is configured on this server (MDM_WEBHOOK_URL and MDM_WEBHOOK_SECRET): " +
            "the MDM polls GET mdm/commands instead",
        );
      return test({ spaceId: spaceOf(request) });
    },
  );
}

/**
 * A second space a route acts on must grant there what the route needs (write, read; an `mdm`
 * token, an MDM route); else it does not exist (invariant 6).
 */
function requireAlso(request: Parameters<typeof spaceOf>[0], spaceId: string): void {
  const principal = request.principal;
  const permission = request.routeOptions.config.permission;
  if (!principal || !permission || authorize(principal, permission, spaceId) !== "allow") {
    throw new ApiError(404, "not_found", "Not found");
  }
}
