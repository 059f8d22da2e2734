import { z } from "zod";
import { DEVICE_SORTS, listDevicesView, updateDevice } from "../../store/directory.repo.js";
import { createDevice, createDevices, getDevice } from "../../store/index.js";
import { deviceInstalledApps } from "../../store/usage.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { problemResponses } from "../problem.js";
import {
  deviceSchema,
  deviceStatus,
  id,
  pageOf,
  pageQuery,
  platform,
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
        params: spaceParams,
        body: newDevice,
        response: { 201: deviceSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
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
        params: withId("deviceId"),
        body: z.object({
          userId: id.nullable().optional(),
          sharedIpad: z.boolean().optional(),
          supervised: z.boolean().optional(),
          platform: platform.optional(),
        }),
        response: { 200: deviceSchema, ...problemResponses },
      },
    },
    async (request) => updateDevice(db, spaceOf(request), request.params.deviceId, request.body, now()),
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
}
