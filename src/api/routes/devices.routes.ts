import { z } from "zod";
import type { Db } from "../../store/database.js";
import { DEVICE_SORTS, listDevicesView, updateDevice } from "../../store/directory.repo.js";
import { createDevice, createDevices, getDevice, NotFoundError } from "../../store/index.js";
import { deviceInstalledApps } from "../../store/usage.repo.js";
import { findUsers } from "../../store/user.repo.js";
import { listWaitingOfSubject } from "../../store/waiting-view.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import {
  dateTime,
  deviceSchema,
  deviceStatus,
  id,
  pageOf,
  pageQuery,
  platform,
  requestReason,
  searchText,
  spaceParams,
  withId,
} from "../schemas.js";
import { usageSchema } from "./directory.routes.js";

const newDevice = z.object({
  serialNumber: z.string().trim().min(1).max(100),
  platform,
  sharedIpad: z.boolean().default(false),
  supervised: z.boolean().default(false),
  userId: id.optional(),
});
const status = deviceStatus;

/**
 * A device's user must be a user of the space: an unknown one is that field's 404
 * `not_found` ("user nope does not exist"), checked before writing; the database's
 * reference catches one deleted meanwhile, answered the same way (errors.ts).
 */
async function assertUsersExist(
  db: Db,
  spaceId: string,
  wanted: ReadonlyArray<{ userId: string | null | undefined; field: string }>,
): Promise<void> {
  const ids = [...new Set(wanted.flatMap((w) => (w.userId ? [w.userId] : [])))];
  if (ids.length === 0) return;
  const found = new Set((await findUsers(db, spaceId, ids)).map((u) => u.id));
  const missing = wanted.find((w) => w.userId && !found.has(w.userId));
  if (missing?.userId) throw new NotFoundError("user", missing.userId, missing.field);
}
const deviceWaitingSchema = z
  .object({
    adamId: z.string(),
    name: z.string().optional(),
    position: z.number().int().describe("1 = served next, in the app's whole queue"),
    of: z.number().int().describe("requests waiting for the app"),
    why: requestReason,
    reason: z.enum(["not_enrolled", "no_license", "token_problem"]),
    ruleIds: z.array(z.string()),
    waitingSince: dateTime.describe("when the device first asked: the queue's order"),
  })
  .meta({ id: "DeviceWaiting" });

/** Devices: create, bulk create, list, update, delete, and installed apps (VU3). */
export function registerDeviceRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/devices",
    {
      config: can.read,
      schema: {
        tags: ["devices"],
        summary:
          "Devices of the space, paged, filtered by user, status or platform, searchable by serial number (q)",
        description: "An unknown `user` is a 404 `not_found` naming `querystring.user`, not an empty list.",
        params: spaceParams,
        querystring: pageQuery(Object.keys(DEVICE_SORTS) as [keyof typeof DEVICE_SORTS]).extend({
          user: id.optional(),
          status: status.optional(),
          platform: platform.optional(),
        }),
        response: { 200: pageOf(deviceSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { user, status: s, platform: p, ...page } = request.query;
      await assertUsersExist(db, spaceOf(request), [{ userId: user, field: "querystring.user" }]);
      return listDevicesView(db, spaceOf(request), { userId: user, status: s, platform: p }, page);
    },
  );
  app.post(
    "/spaces/:spaceId/devices",
    {
      config: can.write,
      schema: {
        tags: ["devices"],
        summary: "Create a device (201 with Location; a serial number taken in the space is a 409 naming it)",
        description: "A `userId` the space does not have is a 404 `not_found` naming `body.userId`.",
        params: spaceParams,
        body: newDevice,
        response: { 201: deviceSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      await assertUsersExist(db, spaceOf(request), [{ userId: request.body.userId, field: "body.userId" }]);
      const device = await createDevice(db, { spaceId: spaceOf(request), ...request.body });
      return reply.status(201).header("location", locationOf(request, device.id)).send(device);
    },
  );
  app.post(
    "/spaces/:spaceId/devices/bulk",
    {
      config: can.write,
      schema: {
        tags: ["devices"],
        summary: "Create up to 5,000 devices at once (all or none)",
        description:
          "A `userId` the space does not have is a 404 `not_found` naming it (`body.devices.3.userId`); " +
          "nothing is created.",
        params: spaceParams,
        body: z.object({ devices: z.array(newDevice).min(1).max(5000) }),
        response: {
          201: z.object({ created: z.number().int(), items: z.array(deviceSchema) }),
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      await assertUsersExist(
        db,
        spaceId,
        request.body.devices.map((d, i) => ({ userId: d.userId, field: `body.devices.${i}.userId` })),
      );
      const created = await db.transaction().execute((trx) =>
        createDevices(
          trx,
          request.body.devices.map((d) => ({ spaceId, ...d })),
        ),
      );
      return reply.status(201).send({ created: created.length, items: created });
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.read,
      schema: {
        tags: ["devices"],
        summary: "A device",
        params: withId("deviceId"),
        response: { 200: deviceSchema, ...problemResponses },
      },
    },
    async (request) => getDevice(db, spaceOf(request), request.params.deviceId),
  );
  app.patch(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.write,
      schema: {
        tags: ["devices"],
        summary: "Change a device's user, shared iPad or supervised mark, or platform",
        description:
          "A `userId` the space does not have is a 404 `not_found` naming `body.userId` (null clears the " +
          "device's user). A field the route does not take is a 400 naming it.",
        params: withId("deviceId"),
        body: z.strictObject({
          userId: id.nullable().optional(),
          sharedIpad: z.boolean().optional(),
          supervised: z.boolean().optional(),
          platform: platform.optional(),
        }),
        response: { 200: deviceSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      await getDevice(db, spaceId, request.params.deviceId);
      await assertUsersExist(db, spaceId, [{ userId: request.body.userId, field: "body.userId" }]);
      return updateDevice(db, spaceId, request.params.deviceId, request.body, now());
    },
  );
  app.delete(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.write,
      schema: {
        tags: ["devices"],
        summary: "Delete a device (its device-based licenses are released first)",
        params: withId("deviceId"),
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      await ctx.deps.directory.deleteDevice(db, {
        spaceId: spaceOf(request),
        deviceId: request.params.deviceId,
        actor: actorOf(request),
        now: now(),
      });
      return reply.status(204).send();
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId/installed-apps",
    {
      config: can.read,
      schema: {
        tags: ["devices"],
        summary: "VU3: managed apps with license type, searchable by name and bundle id (q)",
        params: withId("deviceId"),
        querystring: z.object({ q: searchText.optional() }),
        response: { 200: z.object({ items: z.array(usageSchema) }), ...problemResponses },
      },
    },
    async (request) => ({
      items: await deviceInstalledApps(db, spaceOf(request), request.params.deviceId, request.query.q),
    }),
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId/waiting",
    {
      config: can.read,
      schema: {
        tags: ["devices"],
        summary:
          "DB2, UB3: the apps the device waits for a license of, with its place in each app's queue, in the order it asked",
        params: withId("deviceId"),
        response: { 200: z.object({ items: z.array(deviceWaitingSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const device = await getDevice(db, spaceId, request.params.deviceId);
      return { items: await listWaitingOfSubject(db, spaceId, { kind: "device", deviceId: device.id }) };
    },
  );
}
