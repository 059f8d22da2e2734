import { z } from "zod";
import { userWithRegistration, withInvitations, withRegistration } from "../../service/invitations.js";
import { clientUserIdInput } from "../../store/client-user-id-input.js";
import { type Db, type Trx, withTransaction } from "../../store/database.js";
import {
  listGroupMembers,
  listGroupsView,
  listUsersView,
  USER_SORTS,
  updateUser,
} from "../../store/directory.repo.js";
import {
  type GroupChange,
  groupsOfUser,
  logGroupChange,
  renameGroup,
  rulesUsingGroups,
  takeGroupExternalId,
  takeGroupName,
} from "../../store/group.repo.js";
import {
  addGroupMembers,
  createGroup,
  createUser,
  deleteGroup,
  type Group,
  type GroupRuleUse,
  getGroup,
  getUser,
  getUsers,
  removeGroupMembers,
} from "../../store/index.js";
import { REGISTRATION_FILTERS } from "../../store/registration.js";
import { rulesNamingSubject } from "../../store/subject-rules.repo.js";
import { userLicenseUsage } from "../../store/usage.repo.js";
import { listWaitingOfSubject } from "../../store/waiting-view.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { sendProblem } from "../errors.js";
import { ApiError, problem, problemResponses, problemSchema } from "../problem.js";
import {
  dateTime,
  entityName,
  externalIdChange,
  externalIdInput,
  groupSchema,
  id,
  licenseState,
  licenseType,
  pageOf,
  pageQuery,
  plainText,
  spaceParams,
  subjectRuleSchema,
  subjectWaitingSchema,
  updatedSince,
  userSchema,
  withId,
} from "../schemas.js";

export const usageSchema = z
  .object({
    adamId: z.string().optional(),
    bundleId: z.string().optional(),
    name: z.string().optional(),
    version: z.string().optional(),
    platform: z.string().optional(),
    deviceId: z.string().optional(),
    serialNumber: z.string().optional(),
    source: z.string().optional(),
    sizeBytes: z.number().optional(),
    installedAt: dateTime.optional(),
    price: z.number().optional(),
    currency: z.string().optional(),
    license: z
      .object({
        id: z.string(),
        type: licenseType,
        state: licenseState,
        assignedAt: dateTime.optional(),
        serialNumber: z.string().optional(),
      })
      .optional(),
  })
  .meta({ id: "AppUsageRow" });
const email = z.email().max(320);
/** A user as `POST users` and `POST users/bulk` take one. */
export const newUser = z.strictObject({
  name: entityName,
  email: email.optional(),
  managedAppleId: plainText(320).optional(),
  externalId: externalIdInput.optional(),
  clientUserId: clientUserIdInput
    .optional()
    .describe(
      "AC7: the id the user is registered under at Apple (by a previous MDM): their assignments are adopted, they are not registered again; unique in the space",
    ),
});
const userIds = z.strictObject({ userIds: z.array(id).min(1).max(10_000) });

/** The license rules a group is one of the FCFS groups of: a group as listed and read, a refused deletion. */
const USED_BY_SHOWN = 20;
const usedBySchema = z.object({
  total: z.number().int().describe("license rules (account, app) whose FCFS groups include the group"),
  rules: z
    .array(
      z.object({
        accountId: z.string(),
        accountName: z.string(),
        adamId: z.string(),
        appName: z.string().optional(),
      }),
    )
    .describe(`the first ${USED_BY_SHOWN}, by app name`),
});
const groupInUseProblem = problemSchema
  .extend({
    usedBy: usedBySchema.optional().describe("`group_in_use`: the rules that use the group"),
  })
  .meta({
    id: "GroupInUseProblem",
    description:
      "A problem; `group_in_use` also names the license rules that use the group (`usedBy`). " +
      "`built_in_group`: All Users cannot be deleted, renamed nor its members changed.",
  });
const groupViewSchema = groupSchema
  .extend({ usedBy: usedBySchema.describe("the license rules that use the group (FCFS)") })
  .meta({
    id: "GroupView",
    description: "A group as listed and read: with the license rules that use it (`usedBy`)",
  });

/** Groups with the rules that use them: one read for the whole page. */
async function withUse<G extends Group>(db: Db, spaceId: string, groups: G[]) {
  const uses = await rulesUsingGroups(
    db,
    spaceId,
    groups.map((g) => g.id),
    USED_BY_SHOWN,
  );
  return groups.map((g) => ({ ...g, usedBy: uses.get(g.id) ?? { total: 0, rules: [] } }));
}

/** All Users (AC1, DI7) is every user of the space: it is never deleted nor edited. */
function refuseBuiltIn(group: Group, change: "deleted" | "renamed" | "members"): never {
  throw new ApiError(
    409,
    "built_in_group",
    change === "deleted"
      ? `${group.name} is built in: it always holds every user of the space, and automatic distribution (AC1) gives it first come, first served on the account's apps; it cannot be deleted. To stop giving an app to everyone, remove ${group.name} from that app's FCFS groups.`
      : change === "renamed"
        ? `${group.name} is built in: it always holds every user of the space, and each console names it in its own language; it cannot be renamed. Create a group of your own to name it.`
        : `${group.name} is built in: it always holds every user of the space, so its members cannot be added or removed. Use another group to choose users.`,
  );
}

function ruleName(r: GroupRuleUse): string {
  return `${r.appName ?? "app"} (${r.adamId}) in ${r.accountName}`;
}

function groupInUse(group: Group, rules: readonly GroupRuleUse[]) {
  const shown = rules.slice(0, 3).map(ruleName).join(", ");
  const more = rules.length > 3 ? ` and ${rules.length - 3} more` : "";
  return {
    ...problem(
      409,
      "group_in_use",
      "The group is used by license rules",
      `${group.name} is one of the FCFS groups of ${rules.length} license rule${rules.length === 1 ? "" : "s"}: ${shown}${more}. ` +
        "Deleting it removes it from those rules (a rule left without groups gives no license first come, first served): " +
        "its members are no longer eligible through it for new licenses; licenses already held stay. " +
        "To delete it anyway, send confirm with the group's exact name.",
    ),
    usedBy: { total: rules.length, rules: rules.slice(0, USED_BY_SHOWN) },
  };
}

/** Users, groups and memberships of a space, and a user's License usage (VU1). */
export function registerDirectoryRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/users",
    {
      config: can.mdm.read,
      schema: {
        tags: ["users"],
        summary: "Users of the space, paged, searchable by name, email or Managed Apple Account (q)",
        description:
          "`externalId` finds the user of that id in the MDM's directory, exactly: after a create that " +
          "timed out (a 409 `already_exists` naming `body.externalId` when sent again), the user it made.",
        params: spaceParams,
        querystring: pageQuery(Object.keys(USER_SORTS) as [keyof typeof USER_SORTS]).extend({
          externalId: plainText(300).optional().describe("exactly this id of the MDM's directory"),
          updatedSince,
          registration: z
            .enum(REGISTRATION_FILTERS)
            .optional()
            .describe(
              "UB2: a registration (enrolled, invited, registering, not_registered, retired: the users' `registration`), or not_invited (those an invitation would register: not_registered, registering and retired)",
            ),
        }),
        response: { 200: pageOf(userSchema), ...problemResponses },
      },
    },
    async (request) => {
      const page = await listUsersView(db, spaceOf(request), request.query);
      return { ...page, items: await withRegistration(db, spaceOf(request), page.items) };
    },
  );
  app.post(
    "/spaces/:spaceId/users",
    {
      config: can.mdm.write,
      schema: {
        tags: ["users"],
        summary: "Create a user (201 with Location)",
        params: spaceParams,
        body: newUser,
        response: { 201: userSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const { clientUserId, ...fields } = request.body;
      const user = await createUser(db, {
        spaceId: spaceOf(request),
        ...fields,
        ...(clientUserId !== undefined ? { appleClientUserId: clientUserId } : {}),
        createdAt: now(),
      });
      return reply
        .status(201)
        .header("location", locationOf(request, user.id))
        .send(await userWithRegistration(db, spaceOf(request), user));
    },
  );
  app.get(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["users"],
        summary: "A user",
        params: withId("userId"),
        response: { 200: userSchema, ...problemResponses },
      },
    },
    async (request) =>
      userWithRegistration(db, spaceOf(request), await getUser(db, spaceOf(request), request.params.userId)),
  );
  app.patch(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["users"],
        summary:
          "Change a user's name, email, Managed Apple Account or externalId (null clears); give their Apple clientUserId",
        description:
          "`clientUserId` (AC7) is set once: Apple never changes a user's id, so a user that has one keeps it " +
          "(another value is a 409 `client_user_id_set`; the same value changes nothing). Unique in the space. " +
          "`externalId`, the user's id in the MDM's directory, is unique in the space too (another user's is a " +
          "409 `already_exists` naming `body.externalId`): given to a user created without one, it lets " +
          "`GET users?externalId=` find them.",
        params: withId("userId"),
        body: z.strictObject({
          name: entityName.optional(),
          email: email.nullable().optional(),
          managedAppleId: plainText(320).nullable().optional(),
          externalId: externalIdChange.optional(),
          clientUserId: clientUserIdInput.optional(),
        }),
        response: { 200: userSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const { clientUserId } = request.body;
      if (clientUserId !== undefined) {
        const held = (await getUser(db, spaceId, request.params.userId)).appleClientUserId;
        if (held !== undefined && held !== clientUserId)
          throw new ApiError(
            409,
            "client_user_id_set",
            `this user is registered at Apple as ${held}: Apple never changes a user's clientUserId`,
            [{ field: "body.clientUserId", message: `already ${held}` }],
          );
      }
      return userWithRegistration(
        db,
        spaceId,
        await updateUser(db, spaceId, request.params.userId, request.body, now()),
      );
    },
  );
  app.delete(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["users"],
        summary: "Delete a user (RV5: their user-based licenses go)",
        params: withId("userId"),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await ctx.deps.directory.deleteUser(db, {
        spaceId: spaceOf(request),
        userId: request.params.userId,
        actor: actorOf(request),
        now: now(),
      });
      return reply.status(204).send();
    },
  );
  app.get(
    "/spaces/:spaceId/users/:userId/rules",
    {
      config: can.read,
      schema: {
        tags: ["users"],
        summary:
          "The license rules naming the user: the apps reserved for them or prohibited to them, per account",
        params: withId("userId"),
        response: { 200: z.object({ items: z.array(subjectRuleSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const user = await getUser(db, spaceId, request.params.userId);
      return { items: await rulesNamingSubject(db, spaceId, { kind: "user", userId: user.id }) };
    },
  );
  app.get(
    "/spaces/:spaceId/users/:userId/license-usage",
    {
      config: can.read,
      schema: {
        tags: ["users"],
        summary: "VU1: apps on the user's devices and their licenses",
        params: withId("userId"),
        response: { 200: z.object({ items: z.array(usageSchema) }), ...problemResponses },
      },
    },
    async (request) => ({ items: await userLicenseUsage(db, spaceOf(request), request.params.userId) }),
  );
  app.get(
    "/spaces/:spaceId/users/:userId/groups",
    {
      config: can.mdm.read,
      schema: {
        tags: ["users"],
        summary: "The groups the user is in: All Users first (DI7: every user of the space), then by name",
        params: withId("userId"),
        response: { 200: z.object({ items: z.array(groupSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const user = await getUser(db, spaceId, request.params.userId);
      return { items: await groupsOfUser(db, spaceId, user.id) };
    },
  );
  app.get(
    "/spaces/:spaceId/users/:userId/waiting",
    {
      config: can.mdm.read,
      schema: {
        tags: ["users"],
        summary:
          "DB2, UB3: the apps the user waits for a user-based license of, with their place in each app's queue, in the order they asked",
        description: "The rows of the device page's list (GET …/devices/{deviceId}/waiting), for a user.",
        params: withId("userId"),
        response: { 200: z.object({ items: z.array(subjectWaitingSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const user = await getUser(db, spaceId, request.params.userId);
      const rows = await listWaitingOfSubject(db, spaceId, { kind: "user", userId: user.id });
      return { items: await withInvitations(db, spaceId, rows, () => user.id) };
    },
  );

  app.get(
    "/spaces/:spaceId/groups",
    {
      config: can.mdm.read,
      schema: {
        tags: ["groups"],
        summary:
          "Groups of the space, paged, with their number of members (All Users: every user of the space) and the license rules that use each",
        params: spaceParams,
        querystring: pageQuery(["name"] as const).extend({
          externalId: plainText(300).optional().describe("exactly this id of the MDM's directory"),
        }),
        response: { 200: pageOf(groupViewSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { externalId, ...query } = request.query;
      const page = await listGroupsView(db, spaceOf(request), query, { externalId });
      return { ...page, items: await withUse(db, spaceOf(request), page.items) };
    },
  );
  app.post(
    "/spaces/:spaceId/groups",
    {
      config: can.mdm.write,
      schema: {
        tags: ["groups"],
        summary: "Create a group (201 with Location)",
        params: spaceParams,
        body: z.strictObject({
          name: entityName,
          externalId: externalIdInput.optional(),
        }),
        response: { 201: groupSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const group = await withTransaction(db, async (trx) => {
        await takeGroupName(trx, spaceId, request.body.name);
        if (request.body.externalId !== undefined)
          await takeGroupExternalId(trx, spaceId, request.body.externalId);
        const created = await createGroup(trx, { spaceId, ...request.body });
        await logGroupChange(trx, {
          spaceId,
          group: created,
          change: { kind: "created" },
          actor: actorOf(request),
          now: now(),
        });
        return created;
      });
      return reply.status(201).header("location", locationOf(request, group.id)).send(group);
    },
  );
  app.get(
    "/spaces/:spaceId/groups/:groupId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["groups"],
        summary: "A group, with the license rules that use it",
        params: withId("groupId"),
        response: { 200: groupViewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const group = await getGroup(db, spaceOf(request), request.params.groupId);
      const [view] = await withUse(db, spaceOf(request), [group]);
      return view;
    },
  );
  app.patch(
    "/spaces/:spaceId/groups/:groupId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["groups"],
        summary:
          "Rename a group (the rules that use it follow: they refer to it by id); not All Users (409 `built_in_group`)",
        params: withId("groupId"),
        body: z.strictObject({ name: entityName }),
        response: { 200: groupViewSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const group = await getGroup(db, spaceId, request.params.groupId);
      if (group.builtIn) refuseBuiltIn(group, "renamed");
      const renamed =
        request.body.name === group.name
          ? group // the same name: nothing written, nothing logged
          : await withTransaction(db, async (trx) => {
              await takeGroupName(trx, spaceId, request.body.name, group.id);
              const after = await renameGroup(trx, spaceId, group.id, request.body.name);
              const change = { kind: "renamed" as const, from: group.name };
              await logGroupChange(trx, {
                spaceId,
                group: after,
                change,
                actor: actorOf(request),
                now: now(),
              });
              return after;
            });
      const [view] = await withUse(db, spaceId, [renamed]);
      return view;
    },
  );
  app.delete(
    "/spaces/:spaceId/groups/:groupId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["groups"],
        summary:
          "Delete a group (its members stay users). All Users cannot be deleted (409 `built_in_group`). " +
          "A group that license rules use is refused (409 `group_in_use`, naming the rules in `usedBy`) " +
          "unless `confirm` repeats its name: it then leaves those rules (DI1, logged), licenses already held stay",
        params: withId("groupId"),
        querystring: z.object({
          confirm: z
            .string()
            .min(1)
            .max(300)
            .optional()
            .describe("the group's exact name: delete it even though license rules use it"),
        }),
        response: { 204: z.undefined(), ...problemResponses, 409: groupInUseProblem },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const group = await getGroup(db, spaceId, request.params.groupId);
      if (group.builtIn) refuseBuiltIn(group, "deleted");
      const { confirm } = request.query;
      if (confirm !== undefined && confirm !== group.name) {
        throw new ApiError(422, "confirmation_mismatch", "confirm must repeat the group's name exactly", [
          { field: "querystring.confirm", message: "does not match the group's name" },
        ]);
      }
      const result = await deleteGroup(db, {
        spaceId,
        groupId: group.id,
        confirmed: confirm !== undefined,
        actor: actorOf(request),
        now: now(),
      });
      if (result.outcome === "built_in") refuseBuiltIn(result.group, "deleted");
      if (result.outcome === "in_use") {
        const p = groupInUse(result.group, result.rules);
        request.log.info({ code: p.code, status: p.status }, "request refused");
        sendProblem(request, reply, p);
        return reply;
      }
      return reply.status(204).send();
    },
  );
  app.get(
    "/spaces/:spaceId/groups/:groupId/members",
    {
      config: can.mdm.read,
      schema: {
        tags: ["groups"],
        summary: "Members of a group (users not deleted), paged; All Users: every user of the space",
        params: withId("groupId"),
        querystring: pageQuery(["name"] as const),
        response: { 200: pageOf(userSchema), ...problemResponses },
      },
    },
    async (request) => {
      await getGroup(db, spaceOf(request), request.params.groupId);
      const page = await listGroupMembers(db, spaceOf(request), request.params.groupId, request.query);
      return { ...page, items: await withRegistration(db, spaceOf(request), page.items) };
    },
  );
  // Members added or removed: the same route but for the method, its words and its change.
  const membersRoute = (
    method: "post" | "delete",
    summary: string,
    change: (trx: Trx, group: Group, userIds: string[]) => Promise<GroupChange>,
  ) =>
    app[method](
      "/spaces/:spaceId/groups/:groupId/members",
      {
        config: can.mdm.write,
        schema: {
          tags: ["groups"],
          summary,
          params: withId("groupId"),
          body: userIds,
          response: { 204: z.undefined(), ...problemResponses },
        },
      },
      async (request, reply) => {
        const group = await getGroup(db, spaceOf(request), request.params.groupId);
        if (group.builtIn) refuseBuiltIn(group, "members");
        await withTransaction(db, async (trx) => {
          await logGroupChange(trx, {
            spaceId: group.spaceId,
            group,
            change: await change(trx, group, request.body.userIds),
            actor: actorOf(request),
            now: now(),
          });
        });
        return reply.status(204).send();
      },
    );
  membersRoute(
    "post",
    "Add users to a group (those already in it stay; safe to send again); not All Users (409 `built_in_group`)",
    async (trx, group, ids) => ({
      kind: "members_added",
      userIds: await addGroupMembers(trx, group.spaceId, group.id, [...new Set(ids)]),
    }),
  );
  membersRoute(
    "delete",
    "Remove users from a group (those not in it are ignored); not All Users (409 `built_in_group`)",
    async (trx, group, ids) => {
      // Not a member is ignored (sent again, it removes nothing); no such user is a typo, its 404.
      await getUsers(trx, group.spaceId, ids);
      return {
        kind: "members_removed",
        userIds: await removeGroupMembers(trx, group.spaceId, group.id, ids),
      };
    },
  );
}
