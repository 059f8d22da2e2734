import { z } from "zod";
import { withInvitations } from "../../service/invitations.js";
import { type Db, withTransaction } from "../../store/database.js";
import {
  type DeviceRecord,
  findDevicesBySerial,
  getDeviceByRef,
  sharedIpadRefusal,
  usersDeleted,
} from "../../store/device.repo.js";
import { reviveKeptSerial, reviveKeptSerials } from "../../store/device-revival.repo.js";
import { DEVICE_SORTS, listDevicesView, updateDevice } from "../../store/directory.repo.js";
import { createDevice, createDevices, NotFoundError, StoreError } from "../../store/index.js";
import { normalizeSerial } from "../../store/serial-number.js";
import { rulesNamingSubject } from "../../store/subject-rules.repo.js";
import { deviceInstalledApps } from "../../store/usage.repo.js";
import { listWaitingOfSubject } from "../../store/waiting-view.repo.js";
import { type Api, type ApiContext, actorOf, can, locationOf, spaceOf } from "../context.js";
import { deviceParams } from "../device-ref.js";
import { ApiError, problemResponses } from "../problem.js";
import {
  deviceModel,
  deviceName,
  deviceSchema,
  deviceStatus,
  id,
  osVersion,
  pageOf,
  pageQuery,
  type platform,
  platformInput,
  searchText,
  serialNumber,
  spaceParams,
  subjectRuleSchema,
  subjectWaitingSchema,
  updatedSince,
} from "../schemas.js";
import { usageSchema } from "./directory.routes.js";

const newDevice = z
  .strictObject({
    serialNumber,
    platform: platformInput,
    sharedIpad: z.boolean().default(false),
    supervised: z.boolean().default(false),
    userId: id.optional(),
    name: deviceName.optional(),
    model: deviceModel.optional(),
    osVersion: osVersion.optional(),
  })
  .superRefine((d, ctx) => {
    const refused = sharedIpadRefusal(d);
    if (refused) ctx.addIssue({ code: "custom", path: ["sharedIpad"], message: refused });
  });
/** A device in the path: its id or `serial:` and its serial number (`devices/serial:C02D0000`). */
const status = deviceStatus;

/**
 * A device's user must be a user of the space: an unknown one is that field's 404
 * `not_found` ("user nope does not exist"), checked before writing; the database's
 * reference catches one removed meanwhile, answered the same way (errors.ts). A user the
 * MDM deleted (RV5: its row stays for the history) is given no device: the same 404, saying
 * so. A list filtered by such a user still lists the devices it had (`listing`).
 */
async function assertUsersExist(
  db: Db,
  spaceId: string,
  wanted: ReadonlyArray<{ userId: string | null | undefined; field: string }>,
  purpose: "assigning" | "listing" = "assigning",
): Promise<void> {
  const ids = [...new Set(wanted.flatMap((w) => (w.userId ? [w.userId] : [])))];
  if (ids.length === 0) return;
  const found = await usersDeleted(db, spaceId, ids);
  for (const { userId, field } of wanted) {
    if (!userId) continue;
    const deleted = found.get(userId);
    if (deleted === undefined) throw new NotFoundError("user", userId, field);
    if (deleted && purpose === "assigning")
      throw new NotFoundError("user", userId, field, "it was deleted: a deleted user is given no device");
  }
}

/** PATCH: the device as it would become is no Shared Mac (or tvOS...): a 400 naming the field that made it so. */
function assertSharedIpadOnIos(
  device: { platform: z.infer<typeof platform>; sharedIpad: boolean },
  change: { platform?: z.infer<typeof platform> | undefined; sharedIpad?: boolean | undefined },
): void {
  if (change.platform === undefined && change.sharedIpad === undefined) return;
  const refused = sharedIpadRefusal({
    platform: change.platform ?? device.platform,
    sharedIpad: change.sharedIpad ?? device.sharedIpad,
  });
  if (!refused) return;
  const field = change.sharedIpad ? "body.sharedIpad" : "body.platform";
  throw new ApiError(400, "validation_failed", refused, [{ field, message: refused }]);
}

/** Devices: create, bulk create, list, update, delete, and installed apps (VU3). */
export function registerDeviceRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;

  app.get(
    "/spaces/:spaceId/devices",
    {
      config: can.mdm.read,
      schema: {
        tags: ["devices"],
        summary:
          "Devices of the space, paged, filtered by user, status, platform or serial number, searchable by serial number and name (q)",
        description:
          "An unknown `user` is a 404 `not_found` naming `querystring.user`, not an empty list. `serial` is " +
          "an exact serial number, in any case (c02d0000 finds C02D0000); `q` finds the devices whose serial " +
          "number or name contains it, in any case (`q=ipad 12` finds Classroom iPad 12 and iPad 120). " +
          "To read only what changed since a previous read: `updatedSince=<that read's start>&sort=updatedAt`.",
        params: spaceParams,
        querystring: pageQuery(Object.keys(DEVICE_SORTS) as [keyof typeof DEVICE_SORTS]).extend({
          user: id.optional(),
          status: status.optional(),
          platform: platformInput.optional(),
          serial: serialNumber.optional().describe("exactly this serial number, in any case"),
          updatedSince,
        }),
        response: { 200: pageOf(deviceSchema), ...problemResponses },
      },
    },
    async (request) => {
      const { user, status: s, platform: p, serial, updatedSince: since, ...page } = request.query;
      await assertUsersExist(db, spaceOf(request), [{ userId: user, field: "querystring.user" }], "listing");
      return listDevicesView(
        db,
        spaceOf(request),
        { userId: user, status: s, platform: p, serialNumber: serial, updatedSince: since },
        page,
      );
    },
  );
  app.post(
    "/spaces/:spaceId/devices",
    {
      config: can.mdm.write,
      schema: {
        tags: ["devices"],
        summary:
          "Create a device (201 with Location), or set up again the kept device of its serial number (200); a serial number of an active device is a 409 naming it",
        description:
          "The serial number is kept trimmed and upper-case: c02d0000 is C02D0000, so creating it beside " +
          "an active C02D0000 is the 409. A serial number whose device the space keeps without it being " +
          "active (wiped, MDM profile removed or deleted with history, retired, inactive) is that device set " +
          "up again: the same id, active, with the platform, marks and user of this request (no `userId`: " +
          "none), answered 200 with its Location; nothing it lost is given back (RV1), its apps are decided " +
          "at its next check-in. A `userId` the space does not have, or a deleted user, is a 404 `not_found` " +
          "naming `body.userId`. `sharedIpad` on a platform other than iOS is a 400 naming `body.sharedIpad` " +
          "(Shared iPad is iPadOS only). `name`, `model` and `osVersion` are optional (a check-in may say them " +
          "later); a device set up again takes those given and keeps its own for those left out. One that is " +
          "empty once trimmed, too long, with a control character, or an `osVersion` that is not numbers " +
          "separated by dots, is a 400 naming it (`body.osVersion`).",
        params: spaceParams,
        body: newDevice,
        response: { 200: deviceSchema, 201: deviceSchema, ...problemResponses },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      await assertUsersExist(db, spaceId, [{ userId: request.body.userId, field: "body.userId" }]);
      const { userId, ...body } = request.body;
      const revived = await reviveKeptSerial(db, {
        spaceId,
        ...body,
        userId: userId ?? null,
        actor: actorOf(request),
        now: now(),
      });
      if (revived) return reply.status(200).header("location", locationOf(request, revived.id)).send(revived);
      const device = await createDevice(db, { spaceId, ...request.body, createdAt: now() });
      return reply.status(201).header("location", locationOf(request, device.id)).send(device);
    },
  );
  app.post(
    "/spaces/:spaceId/devices/bulk",
    {
      config: can.mdm.write,
      schema: {
        tags: ["devices"],
        summary: "Create up to 5,000 devices at once (all or none)",
        description:
          "Each device as `POST devices` takes it: a serial number whose device the space keeps without it " +
          "being active (wiped, retired…) is that device set up again (counted in `revived`). A serial number " +
          "of an active device of the space is a 409 `already_exists` naming every one (`body.devices.3.serialNumber`), " +
          "unless `existing=keep`: then that device is answered as it is, unchanged (counted in `existing`), so " +
          "the same list may be sent again after a timeout. A `userId` the space does not have (or deleted) is " +
          "a 404 `not_found` naming it (`body.devices.3.userId`); nothing is created.",
        params: spaceParams,
        querystring: z.object({
          existing: z
            .enum(["refuse", "keep"])
            .default("refuse")
            .describe(
              "an active device of a serial number sent: a 409 (`refuse`), or answered as it is (`keep`)",
            ),
        }),
        body: z.strictObject({ devices: z.array(newDevice).min(1).max(5000) }),
        response: {
          201: z.object({
            created: z.number().int(),
            revived: z.number().int().describe("kept devices of these serial numbers set up again"),
            existing: z
              .number()
              .int()
              .describe("active devices of these serial numbers, unchanged (`existing=keep`)"),
            items: z.array(deviceSchema).describe("in the request's order"),
          }),
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
      // withTransaction: what follows the commit runs (AC7: the new devices adopt what is listed for them).
      const { devices } = request.body;
      const { items, created, revived, existing } = await withTransaction(db, async (trx) => {
        const at = now();
        // The devices the space has of these serial numbers, read once.
        const found = await findDevicesBySerial(
          trx,
          spaceId,
          devices.map((d) => d.serialNumber),
        );
        // Active already (a list sent again after a timeout): every one named, or kept as it is.
        const present = new Map(
          devices.flatMap((d, i) => {
            const device = found.get(normalizeSerial(d.serialNumber));
            return device?.active ? [[i, device] as const] : [];
          }),
        );
        if (present.size > 0 && request.query.existing === "refuse") throw activeSerials(present);
        // As `POST devices`: a kept device of the serial number (wiped, retired…) is set up again.
        const again = await reviveKeptSerials(trx, {
          spaceId,
          devices: devices.map((d) => ({ ...d, userId: d.userId ?? null })),
          found,
          actor: actorOf(request),
          now: at,
        });
        // The others are created, each known by its index in the request.
        const isNew = (i: number) => !again.has(i) && !present.has(i);
        const origin = devices.flatMap((_, i) => (isNew(i) ? [i] : []));
        const fresh = devices.flatMap((d, i) => (isNew(i) ? [{ spaceId, ...d, createdAt: at }] : []));
        const made =
          fresh.length > 0
            ? await createDevices(trx, fresh).catch((error: unknown) => {
                throw ofBulkDevice(error, origin);
              })
            : [];
        const byIndex = new Map([
          ...present,
          ...again,
          ...origin.flatMap((i, k) => (made[k] ? [[i, made[k]] as const] : [])),
        ]);
        const all = devices.flatMap((_, i) => byIndex.get(i) ?? []);
        return { items: all, created: made.length, revived: again.size, existing: present.size };
      });
      return reply.status(201).send({ created, revived, existing, items });
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.mdm.read,
      schema: {
        tags: ["devices"],
        summary: "A device, by id or by serial number (`devices/serial:C02D0000`)",
        params: deviceParams,
        response: { 200: deviceSchema, ...problemResponses },
      },
    },
    async (request) => getDeviceByRef(db, spaceOf(request), request.params.deviceId),
  );
  app.patch(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["devices"],
        summary:
          "Change a device's name, model, OS version, user, shared iPad or supervised mark, or platform",
        description:
          "A `userId` the space does not have, or a deleted user, is a 404 `not_found` naming `body.userId` " +
          "(null clears the device's user). `name`, `model` and `osVersion` as `POST devices` takes them; null " +
          "clears one (the MDM's next check-in that reports it sets it again). A Shared iPad on a platform other than iOS is a 400 naming the " +
          "field that would make it one (`body.sharedIpad` or `body.platform`). A field the route does not " +
          "take is a 400 naming it.",
        params: deviceParams,
        body: z.strictObject({
          userId: id.nullable().optional(),
          sharedIpad: z.boolean().optional(),
          supervised: z.boolean().optional(),
          platform: platformInput.optional(),
          name: deviceName.nullable().optional(),
          model: deviceModel.nullable().optional(),
          osVersion: osVersion.nullable().optional(),
        }),
        response: { 200: deviceSchema, ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const device = await getDeviceByRef(db, spaceId, request.params.deviceId);
      assertSharedIpadOnIos(device, request.body);
      await assertUsersExist(db, spaceId, [{ userId: request.body.userId, field: "body.userId" }]);
      return updateDevice(db, spaceId, device.id, request.body, now());
    },
  );
  app.delete(
    "/spaces/:spaceId/devices/:deviceId",
    {
      config: can.mdm.write,
      schema: {
        tags: ["devices"],
        summary: "Delete a device (its device-based licenses are released first)",
        params: deviceParams,
        response: { 204: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const spaceId = spaceOf(request);
      const device = await getDeviceByRef(db, spaceId, request.params.deviceId);
      await ctx.deps.directory.deleteDevice(db, {
        spaceId,
        deviceId: device.id,
        actor: actorOf(request),
        now: now(),
      });
      return reply.status(204).send();
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId/installed-apps",
    {
      // The MDM reads back what its check-ins reported, as Orchard knows it (VU3).
      config: can.mdm.read,
      schema: {
        tags: ["devices"],
        summary: "VU3: managed apps with license type, searchable by name and bundle id (q)",
        params: deviceParams,
        querystring: z.object({ q: searchText.optional() }),
        response: { 200: z.object({ items: z.array(usageSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const device = await getDeviceByRef(db, spaceId, request.params.deviceId);
      return { items: await deviceInstalledApps(db, spaceId, device.id, request.query.q) };
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId/rules",
    {
      config: can.read,
      schema: {
        tags: ["devices"],
        summary: "The license rules naming the device: the apps reserved for it, per account (DB3)",
        params: deviceParams,
        response: { 200: z.object({ items: z.array(subjectRuleSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const device = await getDeviceByRef(db, spaceId, request.params.deviceId);
      return { items: await rulesNamingSubject(db, spaceId, { kind: "device", deviceId: device.id }) };
    },
  );
  app.get(
    "/spaces/:spaceId/devices/:deviceId/waiting",
    {
      config: can.mdm.read,
      schema: {
        tags: ["devices"],
        summary:
          "DB2, UB3: the apps the device waits for a license of, with its place in each app's queue, in the order it asked",
        params: deviceParams,
        response: { 200: z.object({ items: z.array(subjectWaitingSchema) }), ...problemResponses },
      },
    },
    async (request) => {
      const spaceId = spaceOf(request);
      const device = await getDeviceByRef(db, spaceId, request.params.deviceId);
      const rows = await listWaitingOfSubject(db, spaceId, { kind: "device", deviceId: device.id });
      return { items: await withInvitations(db, spaceId, rows, () => device.userId) };
    },
  );
}

/** Listed at most: past this many, the message says how many more. */
const CONFLICTS_LISTED = 100;

/** A 409 naming every index whose serial number is an active device's (the first CONFLICTS_LISTED). */
function activeSerials(present: ReadonlyMap<number, DeviceRecord>): ApiError {
  const entries = [...present];
  const more = entries.length - CONFLICTS_LISTED;
  return new ApiError(
    409,
    "already_exists",
    `${entries.length} of these serial numbers are active devices of the space already${more > 0 ? ` (the first ${CONFLICTS_LISTED} named)` : ""}: send existing=keep to have them answered as they are`,
    entries.slice(0, CONFLICTS_LISTED).map(([i, device]) => ({
      field: `body.devices.${i}.serialNumber`,
      message: `device ${device.id} has serial number ${device.serialNumber}`,
    })),
  );
}

/** A serial number taken, or given twice, names its device in the list: `devices.3.serialNumber`. */
function ofBulkDevice(error: unknown, origin: readonly number[]): unknown {
  const index = error instanceof StoreError ? error.details?.index : undefined;
  if (!(error instanceof StoreError) || typeof index !== "number" || index < 0) return error;
  return new StoreError(error.code, error.message, {
    ...error.details,
    // The index in the request's list (revived devices were not in the created ones).
    field: `devices.${origin[index] ?? index}.serialNumber`,
  });
}
