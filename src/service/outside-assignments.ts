import { sql } from "kysely";
import { type Db, withTransaction } from "../store/database.js";
import { getAccount } from "../store/index.js";
import {
  findOutside,
  heldByOrchard,
  listOutsidePage,
  type OutsideAssignment,
  outsideKey,
  outsideReleasesOf,
  refKey,
  releaseOf,
  requestOutsideReleases,
  subjectIdsOf,
} from "../store/outside-assignments.repo.js";
import type { Page } from "../store/paging.js";
import { lockAssets } from "../store/seats.js";
import { normalizeSerial } from "../store/serial-number.js";
import type { Actor } from "../store/sql-helpers.js";
import type { OutsideStatus } from "./outside-status.js";

export { OUTSIDE_STATUSES, type OutsideStatus } from "./outside-status.js";

/**
 * AC7: an account's assignments made outside Orchard (as its last full sync read them),
 * each with the device or user of the space it names now, and why it was not adopted; and
 * their release at Apple, one or many, on an administrator's request.
 */

export interface OutsideAssignmentView extends OutsideAssignment {
  appName?: string;
  device?: { id: string; serialNumber: string; status: string };
  user?: { id: string; name: string; deleted: boolean };
  status: OutsideStatus;
  /** A release asked for and not confirmed by Apple: on its way, or refused (Apple's reason). */
  release?: { state: "pending" | "failed"; at: Date; error?: string };
}

/** The account's list, paged (an unknown account: NotFoundError). `syncedAt`: when Apple was read. */
export async function listOutsideAssignments(
  db: Db,
  input: { spaceId: string; accountId: string; adamId?: string | undefined; page: number; pageSize: number },
): Promise<Page<OutsideAssignmentView> & { syncedAt?: Date }> {
  await getAccount(db, input.spaceId, input.accountId);
  const listed = await listOutsidePage(db, input);
  return { ...listed, items: await describe(db, input.spaceId, input.accountId, listed.items) };
}

/** The device or user each assignment names now, why it is outside, its release, its app's name. */
async function describe(
  db: Db,
  spaceId: string,
  accountId: string,
  items: readonly OutsideAssignment[],
): Promise<OutsideAssignmentView[]> {
  if (items.length === 0) return [];
  const serials = [
    ...new Set(items.flatMap((a) => (a.serialNumber ? [normalizeSerial(a.serialNumber)] : []))),
  ];
  const clientUserIds = [...new Set(items.flatMap((a) => (a.clientUserId ? [a.clientUserId] : [])))];
  const adamIds = [...new Set(items.map((a) => a.adamId))];
  const { rows: devices } = await sql<{ id: string; serial_number: string; status: string }>`
    select id, serial_number, status from devices
    where space_id = ${spaceId}
      and translate(serial_number, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') = any(${serials}::text[])`.execute(
    db,
  );
  const users = await db
    .selectFrom("users")
    .select(["id", "name", "apple_client_user_id", "deleted_at"])
    .where("space_id", "=", spaceId)
    .where("apple_client_user_id", "=", sql<string>`any(${clientUserIds}::text[])`)
    .execute();
  const deviceOf = new Map(devices.map((d) => [normalizeSerial(d.serial_number), d]));
  const userOf = new Map(users.map((u) => [u.apple_client_user_id ?? "", u]));
  const subjectIds = [...devices.map((d) => d.id), ...users.map((u) => u.id)];
  const live = await db
    .selectFrom("licenses")
    .select(["adam_id", "device_id", "user_id"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", sql<string>`any(${adamIds}::text[])`)
    .where("live", "=", true)
    .where((eb) =>
      eb.or([
        eb("device_id", "=", sql<string>`any(${subjectIds}::text[])`),
        eb("user_id", "=", sql<string>`any(${subjectIds}::text[])`),
      ]),
    )
    .execute();
  const holds = new Set(live.map((l) => `${l.adam_id}|${l.device_id ?? l.user_id}`));
  const names = await db
    .selectFrom("assets")
    .select(["adam_id", "name"])
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("adam_id", "=", sql<string>`any(${adamIds}::text[])`)
    .execute();
  const nameOf = new Map(names.flatMap((n) => (n.name ? [[n.adam_id, n.name] as const] : [])));
  const releases = await outsideReleasesOf(db, {
    spaceId,
    accountId,
    serialNumbers: items.flatMap((a) => (a.serialNumber ? [a.serialNumber] : [])),
    clientUserIds,
  });
  return items.map((a) => {
    const device = a.serialNumber ? deviceOf.get(normalizeSerial(a.serialNumber)) : undefined;
    const user = a.clientUserId ? userOf.get(a.clientUserId) : undefined;
    const subjectId = device?.id ?? user?.id;
    const status: OutsideStatus =
      device === undefined && user === undefined
        ? "unmatched"
        : device && device.status !== "active"
          ? "device_not_active"
          : user?.deleted_at
            ? "user_deleted"
            : holds.has(`${a.adamId}|${subjectId}`)
              ? "holds_license"
              : "adoptable";
    const release = releaseOf(a, releases);
    const appName = nameOf.get(a.adamId);
    return {
      ...a,
      ...(appName ? { appName } : {}),
      ...(device
        ? { device: { id: device.id, serialNumber: device.serial_number, status: device.status } }
        : {}),
      ...(user ? { user: { id: user.id, name: user.name, deleted: user.deleted_at !== null } } : {}),
      status,
      ...(release
        ? {
            release: {
              state: release.state,
              at: release.at,
              ...(release.error ? { error: release.error } : {}),
            },
          }
        : {}),
    };
  });
}

/** An assignment to release, as the list names it: the app, and the serial number or the clientUserId. */
export interface OutsideAssignmentRef {
  adamId: string;
  serialNumber?: string | undefined;
  clientUserId?: string | undefined;
}

export interface OutsideReleaseResult {
  /** Queued for Apple: the seat comes back once Apple confirms. */
  requested: OutsideAssignment[];
  /** Asked for already, and not confirmed yet: nothing is queued again. */
  alreadyReleasing: OutsideAssignment[];
  /** Not in the account's list (adopted, released, or never read from Apple): nothing is queued. */
  notListed: OutsideAssignmentRef[];
  /**
   * Listed, but the subject holds the app in this account through a license of Orchard's
   * (given since the list was read): Apple's one assignment is Orchard's now, not released.
   */
  heldByOrchard: OutsideAssignment[];
}

/**
 * AC7: releases assignments made outside Orchard at Apple (through the outbox, invariant 3;
 * the activity log says who asked, invariant 4). Only assignments the account's list holds
 * are released (never one of Orchard's licenses: those are revoked), and never one whose
 * subject holds the app in the account through a license of Orchard's (`heldByOrchard`);
 * one already on its way is not asked twice.
 */
export async function releaseOutsideAssignments(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    assignments: readonly OutsideAssignmentRef[];
    actor: Actor;
    now: Date;
  },
): Promise<OutsideReleaseResult> {
  const { spaceId, accountId } = input;
  await getAccount(db, spaceId, accountId);
  return withTransaction(db, async (trx) => {
    // The apps' seats, as a grant locks them: no grant of Orchard's lands between the check
    // of heldByOrchard below and the queued releases.
    await lockAssets(
      trx,
      spaceId,
      [...new Set(input.assignments.map((a) => a.adamId))].map((adamId) => ({ accountId, adamId })),
    );
    const found = await findOutside(trx, { spaceId, accountId, wanted: input.assignments });
    const foundKeys = new Set(found.map(refKey));
    const notListed = input.assignments.filter((w) => !foundKeys.has(refKey(w)));
    const releases = await outsideReleasesOf(trx, {
      spaceId,
      accountId,
      serialNumbers: found.flatMap((a) => (a.serialNumber ? [a.serialNumber] : [])),
      clientUserIds: found.flatMap((a) => (a.clientUserId ? [a.clientUserId] : [])),
    });
    const held = await heldByOrchard(trx, { spaceId, accountId, assignments: found });
    const heldByOrchardList = found.filter((a) => held.has(outsideKey(a)));
    const open = found.filter((a) => !held.has(outsideKey(a)));
    const alreadyReleasing = open.filter((a) => releaseOf(a, releases)?.state === "pending");
    const releasing = new Set(alreadyReleasing.map(outsideKey));
    const requested = open.filter((a) => !releasing.has(outsideKey(a)));
    await requestOutsideReleases(trx, {
      spaceId,
      accountId,
      assignments: requested,
      subjectIds: await subjectIdsOf(trx, spaceId, requested),
      actor: input.actor,
      now: input.now,
    });
    return { requested, alreadyReleasing, notListed, heldByOrchard: heldByOrchardList };
  });
}
