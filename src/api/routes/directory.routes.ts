import { z } from "zod";
import {
  deleteRow,
  listGroupMembers,
  listGroupsView,
  listUsersView,
  USER_SORTS,
  updateUser,
} from "../../store/directory.repo.js";
import {
  addGroupMembers,
  createGroup,
  createUser,
  getGroup,
  getUser,
  removeGroupMembers,
} from "../../store/index.js";
import { userLicenseUsage } from "../../store/usage.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import {
  dateTime,
  groupSchema,
  id,
  licenseState,
  licenseType,
  pageOf,
  pageQuery,
  spaceParams,
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
const userIds = z.object({ userIds: z.array(id).min(1).max(10_000) });

/** Users, groups and memberships of a space, and a user's License usage (VU1). */
export function registerDirectoryRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/users",
    {
      config: can.read,
      schema: {
        tags: ["users"],
        summary: "Users of the space, paged, searchable by name, email or Managed Apple Account (q)",
        params: spaceParams,
        querystring: pageQuery(Object.keys(USER_SORTS) as [keyof typeof USER_SORTS]),
        response: { 200: pageOf(userSchema), ...problemResponses },
      },
    },
    async (request) => listUsersView(db, spaceOf(request), request.query),
  );
  app.post(
    "/spaces/:spaceId/users",
    {
      config: can.write,
      schema: {
        tags: ["users"],
        summary: "Create a user (201 with Location)",
        params: spaceParams,
        body: z.object({
          name: z.string().trim().min(1).max(300),
          email: email.optional(),
          managedAppleId: z.string().max(320).optional(),
          externalId: z.string().max(300).optional(),
        }),
        response: { 201: userSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const user = await createUser(db, { spaceId: spaceOf(request), ...request.body });
      return reply.status(201).header("location", locationOf(request, user.id)).send(user);
    },
  );
  app.get(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.read,
      schema: {
        tags: ["users"],
        summary: "A user",
        params: withId("userId"),
        response: { 200: userSchema, ...problemResponses },
      },
    },
    async (request) => getUser(db, spaceOf(request), request.params.userId),
  );
  app.patch(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.write,
      schema: {
        tags: ["users"],
        summary: "Change a user's name, email or Managed Apple Account (null clears)",
        params: withId("userId"),
        body: z.object({
          name: z.string().trim().min(1).max(300).optional(),
          email: email.nullable().optional(),
          managedAppleId: z.string().max(320).nullable().optional(),
        }),
        response: { 200: userSchema, ...problemResponses },
      },
    },
    async (request) => updateUser(db, spaceOf(request), request.params.userId, request.body, now()),
  );
  app.delete(
    "/spaces/:spaceId/users/:userId",
    {
      config: can.write,
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
    "/spaces/:spaceId/groups",
    {
      config: can.read,
      schema: {
        tags: ["groups"],
        summary: "Groups of the space, paged",
        params: spaceParams,
        querystring: pageQuery(["name"] as const),
        response: { 200: pageOf(groupSchema), ...problemResponses },
      },
    },
    async (request) => listGroupsView(db, spaceOf(request), request.query),
  );
  app.post(
    "/spaces/:spaceId/groups",
    {
      config: can.write,
      schema: {
        tags: ["groups"],
        summary: "Create a group (201 with Location)",
        params: spaceParams,
        body: z.object({
          name: z.string().trim().min(1).max(300),
          externalId: z.string().max(300).optional(),
        }),
        response: { 201: groupSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const group = await createGroup(db, { spaceId: spaceOf(request), ...request.body });
      return reply.status(201).header("location", locationOf(request, group.id)).send(group);
    },
  );
  app.get(
    "/spaces/:spaceId/groups/:groupId",
    {
      config: can.read,
      schema: {
        tags: ["groups"],
        summary: "A group",
        params: withId("groupId"),
        response: { 200: groupSchema, ...problemResponses },
      },
    },
    async (request) => getGroup(db, spaceOf(request), request.params.groupId),
  );
  app.delete(
    "/spaces/:spaceId/groups/:groupId",
    {
      config: can.write,
      schema: {
        tags: ["groups"],
        summary: "Delete a group (its members stay)",
        params: withId("groupId"),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await deleteRow(db, "groups", spaceOf(request), request.params.groupId);
      return reply.status(204).send();
    },
  );
  app.get(
    "/spaces/:spaceId/groups/:groupId/members",
    {
      config: can.read,
      schema: {
        tags: ["groups"],
        summary: "Members of a group, paged",
        params: withId("groupId"),
        querystring: pageQuery(["name"] as const),
        response: { 200: pageOf(userSchema), ...problemResponses },
      },
    },
    async (request) => {
      await getGroup(db, spaceOf(request), request.params.groupId);
      return listGroupMembers(db, spaceOf(request), request.params.groupId, request.query);
    },
  );
  app.post(
    "/spaces/:spaceId/groups/:groupId/members",
    {
      config: can.write,
      schema: {
        tags: ["groups"],
        summary: "Add users to a group (those already in it stay; safe to send again)",
        params: withId("groupId"),
        body: userIds,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await getGroup(db, spaceOf(request), request.params.groupId);
      await addGroupMembers(db, spaceOf(request), request.params.groupId, [...new Set(request.body.userIds)]);
      return reply.status(204).send();
    },
  );
  app.delete(
    "/spaces/:spaceId/groups/:groupId/members",
    {
      config: can.write,
      schema: {
        tags: ["groups"],
        summary: "Remove users from a group (those not in it are ignored)",
        params: withId("groupId"),
        body: userIds,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await getGroup(db, spaceOf(request), request.params.groupId);
      await removeGroupMembers(db, spaceOf(request), request.params.groupId, request.body.userIds);
      return reply.status(204).send();
    },
  );
}
