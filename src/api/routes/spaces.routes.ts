import { z } from "zod";
import { roleIn } from "../../auth/principal.js";
import {
  createSpace,
  getSpace,
  listSpaces,
  renameSpace,
  setAppsAndBooksEnabled,
  setRegisterWaitingUsers,
  setSendInvitationsToDevices,
} from "../../store/index.js";
import { applyInvitationSetting } from "../../store/invite-commands.repo.js";
import { resolveSpaceAlias } from "../authz.js";
import { type Api, type ApiContext, can, locationOf, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import { label, spaceParams, spaceSchema } from "../schemas.js";

const spaceWithRole = spaceSchema.extend({ role: z.enum(["manage", "read", "mdm"]) });
const spaceName = label;

/** Spaces: those the caller has a role in; owners create and rename them. */
export function registerSpaceRoutes(app: Api, ctx: ApiContext): void {
  const { db } = ctx.deps;

  app.get(
    "/spaces",
    {
      config: can.signedIn,
      schema: {
        tags: ["spaces"],
        summary: "The spaces the caller has a role in, with that role",
        response: { 200: z.object({ items: z.array(spaceWithRole) }), ...problemResponses },
      },
    },
    async (request) => {
      const all = await listSpaces(db);
      const items = all.flatMap((s) => {
        const role = request.principal && roleIn(request.principal, s.id);
        return role ? [{ ...s, role }] : [];
      });
      return { items };
    },
  );

  app.post(
    "/spaces",
    {
      config: can.owner,
      schema: {
        tags: ["spaces"],
        summary: "Create a space (owners only; 201 with Location)",
        body: z.strictObject({
          name: spaceName,
          appsAndBooksEnabled: z.boolean().default(true),
        }),
        response: { 201: spaceSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const space = await createSpace(db, request.body);
      return reply.status(201).header("location", locationOf(request, space.id)).send(space);
    },
  );

  app.get(
    "/spaces/:spaceId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["spaces"],
        summary: "A space (404 when the caller has no role in it, as when it does not exist)",
        params: spaceParams,
        response: { 200: spaceSchema, ...problemResponses },
      },
    },
    async (request) => getSpace(db, spaceOf(request)),
  );

  app.patch(
    "/spaces/:spaceId",
    {
      config: can.write,
      schema: {
        tags: ["spaces"],
        summary:
          "CA3: turn Apps and Books on or off in the space; UB2: register waiting users at Apple, send invitations to devices",
        description:
          "`appsAndBooksEnabled`: while off, every license request and check-in of the space is refused (CA3): no license is " +
          "assigned and no install is queued. Licenses already assigned stay; nothing is released or removed. " +
          "`registerWaitingUsers` (UB2): while on, a user a user-based request waits for (`not_enrolled`) whom Orchard " +
          "never registered is registered at Apple within a minute; the MDM then delivers the invitation link " +
          "(GET users/{userId} `invitationUrl`). `sendInvitationsToDevices` (UB2): while on, the MDM is told to " +
          "deliver it: each device of an invited user that takes Apple's InviteToProgram (active iOS, iPadOS or " +
          "macOS, not a Shared iPad) gets one `invite` command per link (`GET mdm/commands`, the webhook), when " +
          "Apple's answer invites the user and when such a device is enrolled; set on, the invited users' devices " +
          "not sent their link yet get it now; set off, the invites not delivered are cancelled.",
        params: spaceParams,
        body: z
          .strictObject({
            appsAndBooksEnabled: z.boolean().optional(),
            registerWaitingUsers: z.boolean().optional(),
            sendInvitationsToDevices: z.boolean().optional(),
          })
          .refine((b) => Object.values(b).some((v) => v !== undefined), {
            message:
              "give at least one of appsAndBooksEnabled, registerWaitingUsers, sendInvitationsToDevices",
          }),
        response: { 200: spaceSchema, ...problemResponses },
      },
    },
    async (request) => {
      const { appsAndBooksEnabled, registerWaitingUsers, sendInvitationsToDevices } = request.body;
      const spaceId = spaceOf(request);
      if (appsAndBooksEnabled !== undefined) await setAppsAndBooksEnabled(db, spaceId, appsAndBooksEnabled);
      if (registerWaitingUsers !== undefined)
        await setRegisterWaitingUsers(db, spaceId, registerWaitingUsers);
      if (sendInvitationsToDevices !== undefined) {
        await setSendInvitationsToDevices(db, spaceId, sendInvitationsToDevices);
        await applyInvitationSetting(db, { spaceId, on: sendInvitationsToDevices, now: ctx.deps.now() });
      }
      return getSpace(db, spaceId);
    },
  );

  app.put(
    "/spaces/:spaceId/name",
    {
      config: can.owner,
      schema: {
        tags: ["spaces"],
        summary: "Rename a space (owners only; its id stays)",
        params: spaceParams,
        body: z.strictObject({ name: spaceName }),
        response: { 200: spaceSchema, ...problemResponses },
      },
    },
    async (request) =>
      renameSpace(db, await resolveSpaceAlias(db, request.params.spaceId), request.body.name),
  );
}
