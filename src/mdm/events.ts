import { type Consequences, consequencesOf, type LicenseEvent, type RuleId } from "../licensing/index.js";
import { type LicenseScope, loadEventWorld } from "../store/event-world.js";
import {
  type Actor,
  findCatalogApp,
  getDevice,
  getUser,
  releaseLicenses,
  type Trx,
  withTransaction,
} from "../store/index.js";
import { queueMdmCommands } from "../store/mdm-command.repo.js";
import {
  applySideEffects,
  deviceStatusAfter,
  isExcludedFromDistribution,
  lockEventSubject,
  type MdmEvent,
} from "../store/mdm-events.repo.js";
import { listDelegatedSpaces } from "../store/mdm-query.repo.js";
import type { MdmDeps } from "./deps.js";

export type { MdmEvent };

/**
 * Applies an event: the engine says which licenses go and which devices uninstall
 * (consequencesOf), and this makes it real in one transaction: releases queued for
 * Apple (with the 30-day grace where iOS keeps the app), MDM remove commands queued,
 * and the event's own change recorded (device status, user deleted, catalog).
 *
 * An event about a device or a user of no such id in the space is a NotFoundError. One
 * whose own change is in effect already, with no license left for it to release (an MDM
 * sending it again after a timeout), changes nothing, queues nothing and logs nothing.
 */
export async function applyEvent(deps: MdmDeps, event: MdmEvent, actor: Actor): Promise<Consequences> {
  const now = deps.now();
  return withTransaction(deps.db, async (trx) => {
    await lockEventSubject(trx, event);
    const repeated = await inEffect(trx, event);
    const { scope, licenseEvent } = await resolve(trx, event);
    const world = await loadEventWorld(trx, { scope, now, ...extras(event) });
    const consequences = consequencesOf(licenseEvent, world);
    if (repeated && consequences.releases.length === 0) return { releases: [], commands: [] };
    await release(trx, consequences, world.licenses, actor, now);
    const serials = new Map(
      world.devices.map((d) => [d.id, { serialNumber: d.serialNumber, spaceId: d.spaceId }]),
    );
    await queueMdmCommands(
      trx,
      consequences.commands.flatMap((c) => {
        const device = serials.get(c.deviceId);
        return device
          ? [
              {
                spaceId: device.spaceId,
                kind: c.kind,
                deviceId: c.deviceId,
                serialNumber: device.serialNumber,
                adamId: c.adamId,
                ruleIds: c.because,
                now,
              },
            ]
          : [];
      }),
    );
    await applySideEffects(trx, event, actor, now);
    return consequences;
  });
}

/**
 * What the event would do, done nowhere: the releases and the remove commands applyEvent
 * would make now (the console warns with them before a catalog removal, PB1).
 */
export function previewEvent(deps: MdmDeps, event: MdmEvent): Promise<Consequences> {
  return withTransaction(deps.db, async (trx) => {
    const repeated = await inEffect(trx, event);
    const { scope, licenseEvent } = await resolve(trx, event);
    const world = await loadEventWorld(trx, { scope, now: deps.now(), ...extras(event) });
    const consequences = consequencesOf(licenseEvent, world);
    return repeated && consequences.releases.length === 0 ? { releases: [], commands: [] } : consequences;
  });
}

/**
 * Whether the event's own change is in effect already: the device has the status it
 * leaves, the app is out of the user's distribution, or out of the catalog. Throws
 * NotFoundError for a device or user the space does not have.
 */
async function inEffect(trx: Trx, event: MdmEvent): Promise<boolean> {
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed":
      return (await getDevice(trx, event.spaceId, event.deviceId)).status === deviceStatusAfter(event.kind);
    case "app_removed_from_distribution":
      await getUser(trx, event.spaceId, event.userId);
      return isExcludedFromDistribution(trx, event);
    case "app_deleted":
      return !(await findCatalogApp(trx, event.spaceId, event.adamId))?.inCatalog;
    default:
      return false;
  }
}

async function resolve(
  trx: Trx,
  event: MdmEvent,
): Promise<{ scope: LicenseScope; licenseEvent: LicenseEvent }> {
  const space = [event.spaceId];
  switch (event.kind) {
    case "device_retired":
    case "device_wiped":
    case "device_inactive":
    case "mdm_profile_removed":
      return {
        scope: { spaceIds: space, deviceId: event.deviceId },
        licenseEvent: { kind: event.kind, deviceId: event.deviceId },
      };
    case "user_deleted":
      return {
        scope: { spaceIds: space, userId: event.userId },
        licenseEvent: { kind: "user_deleted", userId: event.userId },
      };
    case "account_deleted":
      return {
        scope: { spaceIds: space, accountId: event.accountId },
        licenseEvent: { kind: "account_deleted", accountId: event.accountId },
      };
    case "license_revoked":
      return {
        scope: { spaceIds: space, licenseId: event.licenseId },
        licenseEvent: { kind: "license_revoked", licenseId: event.licenseId },
      };
    case "app_revoked":
      return {
        scope: { spaceIds: space, adamId: event.adamId },
        licenseEvent: { kind: "app_revoked", spaceId: event.spaceId, adamId: event.adamId },
      };
    case "app_removed_from_distribution":
      return {
        scope: { spaceIds: space, adamId: event.adamId },
        licenseEvent: {
          kind: "app_removed_from_distribution",
          spaceId: event.spaceId,
          adamId: event.adamId,
          userId: event.userId,
        },
      };
    case "app_deleted": {
      const delegatedSpaceIds = await listDelegatedSpaces(trx, event.spaceId, event.adamId);
      return {
        scope: { spaceIds: [event.spaceId, ...delegatedSpaceIds], adamId: event.adamId },
        licenseEvent: {
          kind: "app_deleted",
          spaceId: event.spaceId,
          adamId: event.adamId,
          delegatedSpaceIds,
        },
      };
    }
    case "app_undelegated":
      return {
        scope: { spaceIds: event.spaceIds, adamId: event.adamId },
        licenseEvent: { kind: "app_undelegated", adamId: event.adamId, spaceIds: event.spaceIds },
      };
  }
}

function extras(event: MdmEvent): { extraDeviceIds?: string[]; extraUserIds?: string[] } {
  if ("deviceId" in event) return { extraDeviceIds: [event.deviceId] };
  if ("userId" in event) return { extraUserIds: [event.userId] };
  return {};
}

/** Releases grouped by space, grace end and rules: one releaseLicenses call each. */
async function release(
  trx: Trx,
  consequences: Consequences,
  licenses: readonly { id: string; spaceId: string }[],
  actor: Actor,
  now: Date,
): Promise<void> {
  const spaceOf = new Map(licenses.map((l) => [l.id, l.spaceId]));
  const groups = new Map<string, { spaceId: string; graceUntil?: Date; because: RuleId[]; ids: string[] }>();
  for (const r of consequences.releases) {
    const spaceId = spaceOf.get(r.licenseId);
    if (!spaceId) continue;
    const key = `${spaceId}|${r.graceUntil?.toISOString() ?? ""}|${r.because.join(",")}`;
    const group = groups.get(key) ?? {
      spaceId,
      ...(r.graceUntil ? { graceUntil: r.graceUntil } : {}),
      because: r.because,
      ids: [],
    };
    group.ids.push(r.licenseId);
    groups.set(key, group);
  }
  for (const g of groups.values()) {
    await releaseLicenses(trx, {
      spaceId: g.spaceId,
      licenseIds: g.ids,
      actor,
      now,
      because: g.because,
      ...(g.graceUntil ? { graceUntil: g.graceUntil } : {}),
    });
  }
}
