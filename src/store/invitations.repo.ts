import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { ALL_USERS } from "../licensing/index.js";
import { listAccounts } from "./account.repo.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import type { Db } from "./database.js";
import { StoreError } from "./errors.js";
import { lockUsers, registeringAtApple, registrationKey } from "./mdm-users.repo.js";
import { appendOutbox } from "./outbox.repo.js";
import type { Registration } from "./registration.js";
import { registrationAwaited } from "./registration-awaited.js";
import type { Actor } from "./sql-helpers.js";
import { findUsers, getUsers, type UserRecord } from "./user.repo.js";

export { REGISTRATIONS, type Registration } from "./registration.js";

export interface UserRegistration {
  registration: Registration;
  /** `invited`: Apple's invitation link, for the MDM to show on the user's device or the admin to send. */
  invitationUrl?: string;
}

/** The placeholder of Apple's invitationEmail URL (`%25inviteCode%25`; also read decoded). */
const INVITE_CODE = /%(?:25)?inviteCode%(?:25)?/;

/**
 * Apple's invitation link: the service config's `urls.invitationEmail` with the user's
 * `inviteCode` in place of `%25inviteCode%25` (APPLE-API.md, managing-users). A template
 * without the placeholder gives no link rather than a link that invites nobody.
 */
export function invitationLink(template: string, inviteCode: string): string | undefined {
  if (!INVITE_CODE.test(template)) return undefined;
  return template.replace(INVITE_CODE, encodeURIComponent(inviteCode));
}

/** Keeps Apple's invitation URL template as this account's users sync read it. */
export async function recordInvitationTemplate(
  db: Db,
  account: { spaceId: string; id: string },
  template: string,
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({ invitation_url_template: template })
    .where("space_id", "=", account.spaceId)
    .where("id", "=", account.id)
    .where((eb) =>
      eb.or([eb("invitation_url_template", "is", null), eb("invitation_url_template", "!=", template)]),
    )
    .execute();
}

/** The space's invitation URL template: Apple's one service gives every account the same; the first account's known one. */
export async function invitationTemplate(db: Db, spaceId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("accounts")
    .select("invitation_url_template")
    .where("space_id", "=", spaceId)
    .where("invitation_url_template", "is not", null)
    .orderBy("priority")
    .limit(1)
    .executeTakeFirst();
  return row?.invitation_url_template ?? undefined;
}

type RegistrationFacts = Pick<UserRecord, "id" | "appleStatus" | "appleClientUserId" | "inviteCode">;

/** Each user's registration and, when invited, invitation link: two reads at most, whatever the number of users. */
export async function registrationsOf(
  db: Db,
  spaceId: string,
  users: readonly RegistrationFacts[],
): Promise<Map<string, UserRegistration>> {
  // A registration on its way matters to users Apple does not hold (yet, or any more).
  const asked = users.filter(
    (u) => u.appleClientUserId && (u.appleStatus === undefined || u.appleStatus === "Retired"),
  );
  const registering = await registrationsAwaited(db, spaceId, asked);
  const template = users.some((u) => u.appleStatus === "Registered" && u.inviteCode)
    ? await invitationTemplate(db, spaceId)
    : undefined;
  const out = new Map<string, UserRegistration>();
  for (const u of users) {
    if (u.appleStatus === "Associated") out.set(u.id, { registration: "enrolled" });
    else if (u.appleStatus === "Registered") {
      const url = template && u.inviteCode ? invitationLink(template, u.inviteCode) : undefined;
      out.set(u.id, { registration: "invited", ...(url ? { invitationUrl: url } : {}) });
    } else if (registering.has(u.id)) out.set(u.id, { registration: "registering" });
    else out.set(u.id, { registration: u.appleStatus === "Retired" ? "retired" : "not_registered" });
  }
  return out;
}

/** Those of these users whose registration Apple has not told yet (registrationAwaited). */
async function registrationsAwaited(
  db: Db,
  spaceId: string,
  users: readonly RegistrationFacts[],
): Promise<Set<string>> {
  if (users.length === 0) return new Set();
  const { rows } = await sql<{ id: string }>`select u.id from users u
    where u.space_id = ${spaceId} and u.id = any(${users.map((u) => u.id)}::text[])
      and ${registrationAwaited("u")}`.execute(db);
  return new Set(rows.map((r) => r.id));
}

/** `registrationsOf` for users named by id (those of the space; others are left out). */
export async function registrationsOfIds(
  db: Db,
  spaceId: string,
  userIds: readonly string[],
): Promise<Map<string, UserRegistration>> {
  return registrationsOf(db, spaceId, await findUsers(db, spaceId, [...new Set(userIds)]));
}

/**
 * UB2: registers these users at Apple in every usable account of the space (Apple knows
 * users per location): each gets the id Orchard gives Apple (clientUserId) once, and a
 * create_user operation per account, which the outbox sends in batches of Apple's maxUsers.
 * An enrolled or invited user is not registered again, nor one in an account where their
 * registration is still on its way (a retry). Runs in the caller's transaction. Answers how many
 * users were registered and in how many accounts.
 */
export async function registerAtApple(
  trx: Db,
  input: { spaceId: string; userIds: readonly string[]; actor: Actor; now: Date },
): Promise<{ invited: number; accounts: number }> {
  const { spaceId, now } = input;
  const accounts = (await listAccounts(trx, spaceId)).filter((a) => a.usable);
  if (accounts.length === 0) {
    throw new StoreError(
      "invalid_request",
      "the space has no usable Apps and Books account to invite users to",
      {
        field: "spaceId",
      },
    );
  }
  const userIds = [...new Set(input.userIds)];
  await lockUsers(trx, spaceId, userIds);
  const found = new Map((await getUsers(trx, spaceId, userIds)).map((u) => [u.id, u]));
  // Enrolled, or invited already: Apple holds them (9716 if registered again); the link is on the user.
  // Deleted (RV5): retired at Apple, never registered again.
  const deleted = await deletedUsers(trx, spaceId, userIds);
  const users = [...found.values()].filter(
    (u) => u.appleStatus !== "Associated" && u.appleStatus !== "Registered" && !deleted.has(u.id),
  );
  const registering = await registeringAtApple(
    trx,
    spaceId,
    users.flatMap((u) => (u.appleClientUserId ? [u.appleClientUserId] : [])),
  );
  const clientIds = await giveClientUserIds(
    trx,
    spaceId,
    users.filter((u) => !u.appleClientUserId).map((u) => u.id),
    now,
  );
  const operations = [];
  const invited: string[] = [];
  for (const user of users) {
    const clientUserId = user.appleClientUserId ?? clientIds.get(user.id) ?? "";
    const toRegister = accounts.filter((a) => !registering.has(registrationKey(a.id, clientUserId)));
    if (toRegister.length === 0) continue;
    invited.push(user.id);
    for (const a of toRegister)
      operations.push({ spaceId, accountId: a.id, kind: "create_user" as const, clientUserId, now });
  }
  if (operations.length > 0) await appendOutbox(trx, operations);
  if (invited.length > 0)
    await trx
      .updateTable("users")
      .set({ registration_requested_at: now })
      .where("space_id", "=", spaceId)
      .where("id", "=", sql<string>`any(${invited}::text[])`)
      .execute();
  await appendActivity(
    trx,
    invited.map((userId) => ({
      spaceId,
      actor: input.actor,
      action: "user.invited",
      userId,
      ruleIds: ["UB2"],
      message: activityMessage("user.invited"),
      at: now,
    })),
  );
  return { invited: invited.length, accounts: accounts.length };
}

async function deletedUsers(trx: Db, spaceId: string, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await trx
    .selectFrom("users")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("id", "=", sql<string>`any(${[...userIds]}::text[])`)
    .where("deleted_at", "is not", null)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * A clientUserId for each of these users who has none: the one they hold stays (Apple would
 * otherwise see a second person). Answers every user's id as stored.
 */
async function giveClientUserIds(
  trx: Db,
  spaceId: string,
  userIds: readonly string[],
  now: Date,
): Promise<Map<string, string>> {
  if (userIds.length === 0) return new Map();
  const fresh = userIds.map(() => `orchard-${randomUUID()}`);
  const { rows } = await sql<{ id: string; apple_client_user_id: string }>`
    update users u set apple_client_user_id = coalesce(u.apple_client_user_id, t.client_user_id), updated_at = ${now}
    from unnest(${[...userIds]}::text[], ${fresh}::text[]) as t(id, client_user_id)
    where u.space_id = ${spaceId} and u.id = t.id
    returning u.id, u.apple_client_user_id`.execute(trx);
  return new Map(rows.map((r) => [r.id, r.apple_client_user_id]));
}

/**
 * Users of a group (All Users: of the space) not registered at Apple, never enrolled nor
 * retired, and not deleted (RV5), by id after `afterId`: the bulk invitation's next batch.
 */
export async function unregisteredMembers(
  db: Db,
  spaceId: string,
  groupId: string,
  page: { afterId?: string | undefined; limit: number },
): Promise<string[]> {
  let query = db
    .selectFrom("users as u")
    .select("u.id")
    .where("u.space_id", "=", spaceId)
    .where("u.deleted_at", "is", null)
    .where("u.apple_status", "is", null);
  if (groupId !== ALL_USERS)
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom("group_members as m")
          .select("m.user_id")
          .whereRef("m.space_id", "=", "u.space_id")
          .whereRef("m.user_id", "=", "u.id")
          .where("m.group_id", "=", groupId),
      ),
    );
  if (page.afterId !== undefined) query = query.where("u.id", ">", page.afterId);
  const rows = await query.orderBy("u.id").limit(page.limit).execute();
  return rows.map((r) => r.id);
}

/**
 * Spaces where users a user-based request waits for are registered at Apple on their own,
 * and can be: one without a usable account (its token to fix) waits for it.
 */
export async function spacesRegisteringWaitingUsers(db: Db): Promise<string[]> {
  const rows = await db
    .selectFrom("spaces as s")
    .select("s.id")
    .where("s.register_waiting_users", "=", true)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom("accounts as a")
          .select("a.id")
          .whereRef("a.space_id", "=", "s.id")
          .where("a.health", "=", "ok"),
      ),
    )
    .orderBy("s.id")
    .execute();
  return rows.map((r) => r.id);
}

/**
 * UB2, UB3: users a request of the space waits for to enrol (`not_enrolled`: the user's own
 * request, or one of their device's) whom Orchard never registered at Apple (no clientUserId
 * yet: a registration Apple refused is the administrator's to send again, not retried here).
 */
export async function usersAwaitingRegistration(db: Db, spaceId: string, limit: number): Promise<string[]> {
  const { rows } = await sql<{ id: string }>`
    select distinct u.id from license_queue q
      left join devices d on d.space_id = q.space_id and d.id = q.device_id
      join users u on u.space_id = q.space_id and u.id = coalesce(q.user_id, d.user_id)
    where q.space_id = ${spaceId} and q.reason = 'not_enrolled'
      and u.apple_client_user_id is null and u.apple_status is null and u.deleted_at is null
    order by u.id limit ${limit}`.execute(db);
  return rows.map((r) => r.id);
}
