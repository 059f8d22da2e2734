import { sql } from "kysely";
import type { Db } from "./database.js";
import { invitationLink, invitationTemplate } from "./invitations.repo.js";
import { cancelCommandsDevicesNoLongerTake } from "./mdm-command.repo.js";
import type { AppleUserStatus } from "./space.table.js";

/**
 * UB2, the invitation delivered by the MDM: with the space's `sendInvitationsToDevices` on,
 * an invited user's devices get an `invite` command carrying Apple's link, which the MDM
 * sends as Apple's InviteToProgram (ProgramID `com.apple.cloudvpp`, InvitationURL).
 *
 * Apple takes InviteToProgram on iOS and iPadOS (Orchard's `iOS`) and on macOS (the user
 * channel), nowhere else (tvOS, visionOS, watchOS: n/a). A Shared iPad is left out: its
 * licenses are device-based whatever the type (LT5), and Orchard cannot tell which of its
 * users is signed in. Apple refuses it in User Enrollment; Orchard does not know how a
 * device enrolled, so that refusal is the MDM's to see.
 */
export const INVITE_PLATFORMS = ["iOS", "macOS"] as const;

/** Why an open invite was cancelled (`lastError`; the console words each, web/src/mdm/command-error.ts). */
export const INVITE_CANCELLED = {
  enrolled: "user enrolled",
  userDeleted: "user deleted",
  retired: "user retired at Apple",
  deviceLeft: "device no longer active",
  deviceChanged: "device changed: its user or platform no longer takes the invitation",
  newerLink: "superseded: a newer invitation link",
  turnedOff: "invitations to devices turned off",
} as const;

/** Users per statement when a whole space's invited users are sent the link (the setting turned on). */
const SPACE_BATCH = 500;

/**
 * Queues an invite for each device of these users (or these devices) that can accept it
 * (active, iOS or macOS, not a Shared iPad) and was never sent the user's current link:
 * one per device and link, ever (a delivered one stands for "sent"; `mdm_commands_invite_once`
 * makes two callers at once queue one). The users must be invited (Registered, not deleted)
 * with a known link; an open invite of an older link of theirs is cancelled. Nothing while
 * the space's setting is off. Runs in the caller's transaction; returns how many were queued.
 */
export async function queueInvitations(
  db: Db,
  input: { spaceId: string; userIds?: readonly string[]; deviceIds?: readonly string[]; now: Date },
): Promise<number> {
  const { spaceId } = input;
  if ((input.userIds?.length ?? 0) === 0 && (input.deviceIds?.length ?? 0) === 0) return 0;
  if (!(await sendsInvitations(db, spaceId))) return 0;
  const template = await invitationTemplate(db, spaceId);
  if (!template) return 0;
  let users = db
    .selectFrom("users as u")
    .select(["u.id", "u.invite_code"])
    .where("u.space_id", "=", spaceId)
    .where("u.apple_status", "=", "Registered")
    .where("u.deleted_at", "is", null)
    .where("u.invite_code", "is not", null);
  if (input.userIds) users = users.where("u.id", "=", sql<string>`any(${[...input.userIds]}::text[])`);
  if (input.deviceIds)
    users = users.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("devices as d")
          .select("d.id")
          .whereRef("d.space_id", "=", "u.space_id")
          .whereRef("d.user_id", "=", "u.id")
          .where("d.id", "=", sql<string>`any(${[...(input.deviceIds ?? [])]}::text[])`),
      ),
    );
  const links = (await users.execute()).flatMap((u) => {
    const url = u.invite_code ? invitationLink(template, u.invite_code) : undefined;
    return url ? [{ userId: u.id, url }] : [];
  });
  if (links.length === 0) return 0;
  const at = input.now.toISOString();
  const onlyDevices = input.deviceIds ? sql`and d.id = any(${[...input.deviceIds]}::text[])` : sql``;
  const { rows } = await sql<{ seq: string }>`with t as (
      select * from unnest(${links.map((l) => l.userId)}::text[], ${links.map((l) => l.url)}::text[])
        as t(user_id, url)
    ), superseded as (
      update mdm_commands m set state = 'cancelled', claimed_until = null, updated_at = ${at}::timestamptz,
        last_error = ${INVITE_CANCELLED.newerLink}
      from t
      where m.space_id = ${spaceId} and m.user_id = t.user_id and m.kind = 'invite'
        and m.state in ('pending', 'failed') and m.invitation_url <> t.url
    )
    insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, user_id, invitation_url,
      rule_ids, created_at, updated_at)
    select ${spaceId}, gen_random_uuid()::text, 'invite', d.id, d.serial_number, null, t.user_id, t.url,
      array['UB2'], ${at}::timestamptz, ${at}::timestamptz
    from t
    join devices d on d.space_id = ${spaceId} and d.user_id = t.user_id
    where d.status = 'active' and d.platform = any(${[...INVITE_PLATFORMS]}::text[]) and not d.shared_ipad
      ${onlyDevices}
    order by t.user_id, d.id
    on conflict (space_id, device_id, invitation_url) where kind = 'invite' and state <> 'cancelled' do nothing
    returning seq`.execute(db);
  return rows.length;
}

/**
 * Cancels the open invites (pending, or failed: never to be sent again) of these users or
 * these devices, saying why. Runs in the caller's transaction; returns how many.
 */
export async function cancelInvitations(
  db: Db,
  input: {
    spaceId: string;
    userIds?: readonly string[];
    deviceIds?: readonly string[];
    reason: string;
    now: Date;
  },
): Promise<number> {
  const userIds = input.userIds ?? [];
  const deviceIds = input.deviceIds ?? [];
  if (userIds.length === 0 && deviceIds.length === 0) return 0;
  const result = await db
    .updateTable("mdm_commands")
    .set({ state: "cancelled", claimed_until: null, last_error: input.reason, updated_at: input.now })
    .where("space_id", "=", input.spaceId)
    .where("kind", "=", "invite")
    .where("state", "in", ["pending", "failed"])
    .where((eb) =>
      eb.or([
        ...(userIds.length > 0 ? [eb("user_id", "=", sql<string>`any(${[...userIds]}::text[])`)] : []),
        ...(deviceIds.length > 0 ? [eb("device_id", "=", sql<string>`any(${[...deviceIds]}::text[])`)] : []),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * What Apple telling users' new statuses means for their invites, in the caller's
 * transaction: the newly invited are sent the link; an open invite of a user who enrolled
 * (accepted it) or whom Apple retired is cancelled.
 */
export async function followRegistrations(
  db: Db,
  spaceId: string,
  changed: ReadonlyArray<{ id: string; status: AppleUserStatus }>,
  now: Date,
): Promise<void> {
  const of = (status: AppleUserStatus) => changed.filter((u) => u.status === status).map((u) => u.id);
  await cancelInvitations(db, { spaceId, userIds: of("Associated"), reason: INVITE_CANCELLED.enrolled, now });
  await cancelInvitations(db, { spaceId, userIds: of("Retired"), reason: INVITE_CANCELLED.retired, now });
  await queueInvitations(db, { spaceId, userIds: of("Registered"), now });
}

/**
 * These devices changed (created, set up again, given another user or platform, out of
 * service): their open invites that no longer fit are cancelled (the device not active, not
 * the invite's user's any more, not an iOS or macOS device, a Shared iPad), so are their
 * installs and removes that no longer fit (cancelCommandsDevicesNoLongerTake), and the
 * device's user, when invited, is sent the link on it. In the caller's transaction; returns
 * how many invites were queued.
 */
export async function followDevices(
  db: Db,
  input: { spaceId: string; deviceIds: readonly string[]; now: Date },
): Promise<number> {
  const { spaceId, deviceIds } = input;
  if (deviceIds.length === 0) return 0;
  await sql`update mdm_commands m set state = 'cancelled', claimed_until = null,
      updated_at = ${input.now.toISOString()}::timestamptz,
      last_error = case when d.status <> 'active' then ${INVITE_CANCELLED.deviceLeft}
        else ${INVITE_CANCELLED.deviceChanged} end
    from devices d
    where m.space_id = ${spaceId} and m.device_id = any(${[...deviceIds]}::text[])
      and m.kind = 'invite' and m.state in ('pending', 'failed')
      and d.space_id = m.space_id and d.id = m.device_id
      and (d.status <> 'active' or d.user_id is distinct from m.user_id or d.shared_ipad
        or not (d.platform = any(${[...INVITE_PLATFORMS]}::text[])))`.execute(db);
  await cancelCommandsDevicesNoLongerTake(db, input);
  return queueInvitations(db, input);
}

/** Whether the space has its MDM deliver invitation links (`sendInvitationsToDevices`). */
async function sendsInvitations(db: Db, spaceId: string): Promise<boolean> {
  const row = await db
    .selectFrom("spaces")
    .select("send_invitations_to_devices")
    .where("id", "=", spaceId)
    .executeTakeFirst();
  return row?.send_invitations_to_devices ?? false;
}

/**
 * The setting was set. On: every invited user of the space is sent the link on the devices
 * that were never sent it (batches of SPACE_BATCH users, each its own statement: a large space
 * commits as it goes, and set on again sends the rest). Off: open invites are cancelled.
 * Returns how many invites were queued or cancelled.
 */
export async function applyInvitationSetting(
  db: Db,
  input: { spaceId: string; on: boolean; now: Date },
): Promise<number> {
  const { spaceId, now } = input;
  if (!input.on) {
    const result = await db
      .updateTable("mdm_commands")
      .set({
        state: "cancelled",
        claimed_until: null,
        last_error: INVITE_CANCELLED.turnedOff,
        updated_at: now,
      })
      .where("space_id", "=", spaceId)
      .where("kind", "=", "invite")
      .where("state", "in", ["pending", "failed"])
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
  let queued = 0;
  let afterId: string | undefined;
  for (;;) {
    let page = db
      .selectFrom("users")
      .select("id")
      .where("space_id", "=", spaceId)
      .where("apple_status", "=", "Registered")
      .where("deleted_at", "is", null);
    if (afterId !== undefined) page = page.where("id", ">", afterId);
    const ids = (await page.orderBy("id").limit(SPACE_BATCH).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    queued += await queueInvitations(db, { spaceId, userIds: ids, now });
    if (ids.length < SPACE_BATCH) break;
    afterId = ids[ids.length - 1];
  }
  return queued;
}
