import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { LicenseRequest, LicenseType } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { type Db, withTransaction } from "./database.js";
import {
  holdsAny,
  type OutsideAssignment,
  outsideReleasesOf,
  unlistOutside,
} from "./outside-assignments.repo.js";
import { lockAssets } from "./seats.js";
import { serialKey } from "./serial-key.js";
import { normalizeSerial } from "./serial-number.js";

/**
 * AC7: assignments Apple holds that Orchard did not make (a previous MDM's, Apple Business
 * Manager's) become Orchard's licenses when they name a device of the space (its serial
 * number in any case) or a user (its clientUserId), as Jamf and Intune reconcile them: the
 * license is `assigned` at once (Apple holds it), its type Apple's (LT1), whatever the
 * rules say (Apple holds the seat either way; refusing it would only leave the subject
 * waiting for a seat it has). See docs/RULES.md AC7 for what is adopted and what is not.
 */

/** The devices and users of a space an assignment may name, keyed as Apple names them. */
export interface AdoptionSubjects {
  /** By serial number upper-cased (normalizeSerial); null when two devices share the key (left by 0026). */
  devices: Map<string, { id: string; active: boolean; userId?: string; appleSerial?: string } | null>;
  /** Users not deleted, by clientUserId. */
  users: Map<string, { id: string }>;
}

/**
 * Every device and user of the space an assignment could name: Orchard's size, read once per
 * walk. With `naming`, only those these serial numbers (normalizeSerial) and clientUserIds
 * name: an incremental sync's page, a device just created (index look-ups, whatever the
 * space's size).
 */
export async function loadAdoptionSubjects(
  db: Db,
  spaceId: string,
  naming?: { serialKeys: readonly string[]; clientUserIds: readonly string[] },
): Promise<AdoptionSubjects> {
  const devices: AdoptionSubjects["devices"] = new Map();
  const deviceRows =
    naming?.serialKeys.length === 0
      ? []
      : await db
          .selectFrom("devices")
          .select(["id", "serial_number", "apple_serial_number", "status", "user_id"])
          .where("space_id", "=", spaceId)
          .$if(naming !== undefined, (q) =>
            q.where(
              serialKey("serial_number"),
              "=",
              sql<string>`any(${[...(naming?.serialKeys ?? [])]}::text[])`,
            ),
          )
          .execute();
  for (const d of deviceRows) {
    const key = normalizeSerial(d.serial_number);
    devices.set(
      key,
      devices.has(key)
        ? null
        : {
            id: d.id,
            active: d.status === "active",
            ...(d.user_id ? { userId: d.user_id } : {}),
            ...(d.apple_serial_number ? { appleSerial: d.apple_serial_number } : {}),
          },
    );
  }
  const users: AdoptionSubjects["users"] = new Map();
  const userRows =
    naming?.clientUserIds.length === 0
      ? []
      : await db
          .selectFrom("users")
          .select(["id", "apple_client_user_id"])
          .where("space_id", "=", spaceId)
          .where("apple_client_user_id", "is not", null)
          .where("deleted_at", "is", null)
          .$if(naming !== undefined, (q) =>
            q.where(
              "apple_client_user_id",
              "=",
              sql<string>`any(${[...(naming?.clientUserIds ?? [])]}::text[])`,
            ),
          )
          .execute();
  for (const u of userRows) if (u.apple_client_user_id) users.set(u.apple_client_user_id, { id: u.id });
  return { devices, users };
}

/** An assignment made outside Orchard that names a device or a user of the space. */
export interface AdoptionCandidate {
  assignment: OutsideAssignment;
  deviceId?: string;
  userId?: string;
  /** The device is active (retired, wiped, inactive and unenrolled devices are not adopted). */
  active: boolean;
  /** The device's user (DI4 prohibits users: a device-based license of theirs is flagged too). */
  deviceUserId?: string;
}

/** The candidate an assignment is, when it names a subject of the space. */
export function candidateOf(subjects: AdoptionSubjects, a: OutsideAssignment): AdoptionCandidate | undefined {
  if (a.serialNumber !== undefined) {
    const device = subjects.devices.get(normalizeSerial(a.serialNumber));
    if (!device) return undefined;
    return {
      assignment: a,
      deviceId: device.id,
      active: device.active,
      ...(device.userId ? { deviceUserId: device.userId } : {}),
    };
  }
  const user = a.clientUserId === undefined ? undefined : subjects.users.get(a.clientUserId);
  return user ? { assignment: a, userId: user.id, active: true } : undefined;
}

export interface AdoptedLicense {
  id: string;
  adamId: string;
  type: LicenseType;
  deviceId?: string;
  userId?: string;
  prohibited: boolean;
}

/**
 * Adopts one app's candidates of an account, in one transaction under the app's asset row
 * lock (the lock allocation takes): each becomes an `assigned` license with its activity-log
 * line (invariant 4: Apple's, AC7). Not adopted, and left outside (returned in `left`):
 * - a subject that holds a live license for the app (invariant 2: one per subject and app,
 *   the schema's unique index has the last word), or whose license of the app changed since
 *   the walk began (`startedAt`: Apple's pages may predate a release Apple just confirmed);
 * - a device that is not active (its seat is better released: RV1);
 * - one whose release at Apple is on its way (an administrator asked for it);
 * - beyond the account's total for the app (invariant 1: Orchard never holds more licenses
 *   than Apple's total; one of Orchard's associations Apple will refuse still holds a seat).
 * A reserved subject's license uses its reservation (DI6); a prohibited user's is adopted
 * all the same and its line says so (DI4), for the administrator to revoke.
 *
 * `unlist`: the adopted ones leave the account's list in the same transaction, so a seat is
 * counted once (`used` is Orchard's seat-holding licenses plus the assignments outside: one
 * moves from the second to the first, `used` stays), and a release of the list never
 * reaches an adopted license. A full sync need not: its new list replaces the old one.
 * `listedOnly`: only the candidates the account's list holds (as it spells them) are
 * adopted, read under the lock: a device created after the list was read adopts what Apple
 * still holds, not what a release Apple just confirmed took out of it.
 */
export async function adoptAssignments(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    adamId: string;
    candidates: readonly AdoptionCandidate[];
    startedAt: Date;
    now: Date;
    unlist?: boolean;
    listedOnly?: boolean;
  },
): Promise<{ adopted: AdoptedLicense[]; left: OutsideAssignment[] }> {
  const { spaceId, accountId, adamId, now } = input;
  if (input.candidates.length === 0) return { adopted: [], left: [] };
  await recordAppleSpellings(db, spaceId, input.candidates);
  return withTransaction(db, async (trx) => {
    await lockAssets(trx, spaceId, [{ accountId, adamId }]);
    const listed = input.listedOnly ? await listedSubjects(trx, input) : undefined;
    const asset = await trx
      .selectFrom("assets")
      .select("total_count")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .where("adam_id", "=", adamId)
      .executeTakeFirst();
    const deviceIds = input.candidates.flatMap((c) => (c.deviceId ? [c.deviceId] : []));
    const userIds = input.candidates.flatMap((c) => (c.userId ? [c.userId] : []));
    const { rows: heldRows } = await sql<{ n: number }>`select count(*)::int as n from licenses
      where space_id = ${spaceId} and account_id = ${accountId} and adam_id = ${adamId} and holds_seat`.execute(
      trx,
    );
    const { rows: busy } = await sql<{ device_id: string | null; user_id: string | null }>`
      select device_id, user_id from licenses
      where space_id = ${spaceId} and adam_id = ${adamId}
        and (device_id = any(${deviceIds}::text[]) or user_id = any(${userIds}::text[]))
        and (live or updated_at >= ${input.startedAt.toISOString()}::timestamptz)`.execute(trx);
    const busyIds = new Set(busy.flatMap((b) => [b.device_id, b.user_id]).filter((id) => id !== null));
    const releasing = await outsideReleasesOf(trx, {
      spaceId,
      accountId,
      serialNumbers: input.candidates.flatMap((c) =>
        c.assignment.serialNumber ? [c.assignment.serialNumber] : [],
      ),
      clientUserIds: input.candidates.flatMap((c) =>
        c.assignment.clientUserId ? [c.assignment.clientUserId] : [],
      ),
    });
    const releasingKeys = new Set(
      releasing
        .filter((r) => r.state === "pending" && (r.adamId === undefined || r.adamId === adamId))
        .map((r) => r.serialNumber ?? r.clientUserId),
    );
    let room = asset ? Math.max(0, asset.total_count - Number(heldRows[0]?.n ?? 0)) : 0;
    const taken: AdoptionCandidate[] = [];
    const left: OutsideAssignment[] = [];
    const seen = new Set<string>();
    for (const c of input.candidates) {
      const id = c.deviceId ?? c.userId ?? "";
      const subject = c.assignment.serialNumber ?? c.assignment.clientUserId;
      // The same subject twice (two pricings of the app): one license, the other stays outside.
      const unlisted = listed !== undefined && !listed.has(outsideSubjectKey(c.assignment));
      if (
        !c.active ||
        unlisted ||
        busyIds.has(id) ||
        seen.has(id) ||
        releasingKeys.has(subject) ||
        room === 0
      ) {
        left.push(c.assignment);
        continue;
      }
      seen.add(id);
      taken.push(c);
      room -= 1;
    }
    if (taken.length === 0) return { adopted: [], left };
    const rules = await rulesOf(trx, spaceId, accountId, adamId);
    const planned = taken.map((c) => {
      const type: LicenseType = c.deviceId ? "device" : "user";
      const ruleUser = c.userId ?? c.deviceUserId;
      const prohibited = ruleUser !== undefined && rules.prohibitedUsers.has(ruleUser);
      const reserved = c.deviceId
        ? rules.reservedDevices.has(c.deviceId)
        : rules.reservedUsers.has(c.userId ?? "");
      return { id: randomUUID(), candidate: c, type, prohibited, reserved };
    });
    const at = now.toISOString();
    const inserted = new Set<string>();
    for (const type of ["device", "user"] as const) {
      const ofType = planned.filter((p) => p.type === type);
      if (ofType.length === 0) continue;
      const subject = sql.ref(type === "device" ? "device_id" : "user_id");
      const { rows } = await sql<{
        id: string;
      }>`insert into licenses (space_id, id, account_id, adam_id, type,
          ${subject}, state, reserved, rule_ids, created_at, updated_at, assigned_at, requested_at)
        select ${spaceId}, t.id, ${accountId}, ${adamId}, ${type}, t.subject, 'assigned', t.reserved,
          string_to_array(t.rules, ','), ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
        from unnest(${ofType.map((p) => p.id)}::text[],
          ${ofType.map((p) => p.candidate.deviceId ?? p.candidate.userId ?? "")}::text[],
          ${ofType.map((p) => p.reserved)}::boolean[], ${ofType.map((p) => ruleIdsOf(p).join(","))}::text[])
          as t(id, subject, reserved, rules)
        on conflict (space_id, adam_id, ${subject}) where live and ${subject} is not null do nothing
        returning id`.execute(trx);
      for (const r of rows) inserted.add(r.id);
    }
    const adopted = planned.filter((p) => inserted.has(p.id));
    left.push(...planned.filter((p) => !inserted.has(p.id)).map((p) => p.candidate.assignment));
    if (input.unlist) {
      for (const kind of ["device", "user"] as const) {
        const subjects = adopted
          .map((p) => p.candidate.assignment)
          .filter((a) => (a.serialNumber !== undefined) === (kind === "device"))
          .map((a) => a.serialNumber ?? a.clientUserId ?? "");
        await unlistOutside(trx, { spaceId, accountId, adamId, kind, subjects });
      }
    }
    await appendActivity(
      trx,
      adopted.map((p) => ({
        spaceId,
        actor: { kind: "apple" } as const,
        action: "license.adopted",
        ...(p.candidate.deviceId ? { deviceId: p.candidate.deviceId } : { userId: p.candidate.userId }),
        adamId,
        accountId,
        licenseId: p.id,
        ruleIds: ruleIdsOf(p),
        message: activityMessage(p.prohibited ? "license.adopted_prohibited" : "license.adopted"),
        details: { ...p.candidate.assignment },
        at: now,
      })),
    );
    return {
      adopted: adopted.map((p) => ({
        id: p.id,
        adamId,
        type: p.type,
        ...(p.candidate.deviceId ? { deviceId: p.candidate.deviceId } : {}),
        ...(p.candidate.userId ? { userId: p.candidate.userId } : {}),
        prohibited: p.prohibited,
      })),
      left,
    };
  });
}

/** An assignment's subject as a list spells it, with its pricing and kind. */
const outsideSubjectKey = (a: OutsideAssignment) =>
  `${a.pricingParam}|${a.serialNumber !== undefined ? `s|${a.serialNumber}` : `u|${a.clientUserId ?? ""}`}`;

/** Which of the candidates the account's list (its last complete generation) holds for the app, as spelled. */
async function listedSubjects(
  trx: Db,
  input: { spaceId: string; accountId: string; adamId: string; candidates: readonly AdoptionCandidate[] },
): Promise<Set<string>> {
  const subjects = input.candidates.map((c) => c.assignment.serialNumber ?? c.assignment.clientUserId ?? "");
  const { rows } = await sql<{ pricing_param: string; kind: string; subject: string }>`
    select o.pricing_param, o.kind, x.subject
    from outside_assignments o
    join outside_assignment_snapshots n on n.space_id = o.space_id and n.account_id = o.account_id
      and n.generation = o.generation
    cross join lateral unnest(o.subjects) as x(subject)
    where o.space_id = ${input.spaceId} and o.account_id = ${input.accountId} and o.adam_id = ${input.adamId}
      and ${holdsAny(sql<string[]>`o.subjects`, subjects)} and x.subject in (select unnest(${subjects}::text[]))`.execute(
    trx,
  );
  return new Set(
    rows.map((r) =>
      outsideSubjectKey({
        adamId: input.adamId,
        pricingParam: r.pricing_param,
        ...(r.kind === "device" ? { serialNumber: r.subject } : { clientUserId: r.subject }),
      }),
    ),
  );
}

/** AC7 and LT1 (Apple's assignment decides the type); DI6 for a reserved subject, DI4 for a prohibited one. */
function ruleIdsOf(p: { reserved: boolean; prohibited: boolean }): string[] {
  return ["AC7", "LT1", ...(p.reserved ? ["DI6"] : []), ...(p.prohibited ? ["DI4"] : [])];
}

async function rulesOf(db: Db, spaceId: string, accountId: string, adamId: string) {
  const users = await db
    .selectFrom("rule_users")
    .select(["user_id", "role"])
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("adam_id", "=", adamId)
    .execute();
  const devices = await db
    .selectFrom("rule_devices")
    .select("device_id")
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("adam_id", "=", adamId)
    .execute();
  return {
    prohibitedUsers: new Set(users.filter((u) => u.role === "prohibited").map((u) => u.user_id)),
    reservedUsers: new Set(users.filter((u) => u.role === "reserved").map((u) => u.user_id)),
    reservedDevices: new Set(devices.map((d) => d.device_id)),
  };
}

/**
 * A device Apple knows under another spelling than Orchard's (c02d… for C02D…) keeps
 * Apple's (`apple_serial_number`, 0026): Orchard's later releases reach the assignment.
 * Written before the adoption, outside its lock: it is true whether or not the license is
 * adopted.
 */
async function recordAppleSpellings(
  db: Db,
  spaceId: string,
  candidates: readonly AdoptionCandidate[],
): Promise<void> {
  const spelled = candidates.flatMap((c) =>
    c.deviceId && c.assignment.serialNumber !== undefined
      ? [{ id: c.deviceId, serial: c.assignment.serialNumber }]
      : [],
  );
  if (spelled.length === 0) return;
  await sql`update devices d set apple_serial_number = t.serial
    from unnest(${spelled.map((s) => s.id)}::text[], ${spelled.map((s) => s.serial)}::text[]) as t(id, serial)
    where d.space_id = ${spaceId} and d.id = t.id and d.apple_serial_number is null
      and d.serial_number <> t.serial`.execute(db);
}

/**
 * DB2, UB3: the waiting requests of an app that adopted licenses now serve: those of the
 * adopted devices, of the adopted users and of their devices (LT4: a user's license serves
 * their devices), in order of request. Decided again, they keep the license (and the MDM
 * installs the app where it is missing).
 */
export async function waitingOfAdopted(
  db: Db,
  spaceId: string,
  adamId: string,
  adopted: { deviceIds: readonly string[]; userIds: readonly string[] },
): Promise<LicenseRequest[]> {
  if (adopted.deviceIds.length + adopted.userIds.length === 0) return [];
  const { rows } = await sql<{
    user_id: string | null;
    device_id: string | null;
    why: LicenseRequest["why"];
  }>`
    select q.user_id, q.device_id, q.why from license_queue q
    left join devices d on d.space_id = q.space_id and d.id = q.device_id
    where q.space_id = ${spaceId} and q.adam_id = ${adamId}
      and (q.device_id = any(${[...adopted.deviceIds]}::text[]) or q.user_id = any(${[...adopted.userIds]}::text[])
        or d.user_id = any(${[...adopted.userIds]}::text[]))
    order by q.requested_at, q.seq`.execute(db);
  return rows.map((r) => ({
    spaceId,
    adamId,
    subject: r.user_id
      ? { kind: "user", userId: r.user_id }
      : { kind: "device", deviceId: r.device_id ?? "" },
    why: r.why,
  }));
}
