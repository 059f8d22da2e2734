import { sql } from "kysely";
import { ALL_USERS, LIVE_STATES } from "../licensing/index.js";
import type { AccountHealth } from "./account.table.js";
import { appendActivity } from "./activity.repo.js";
import type { ActivityAction } from "./activity-actions.js";
import type { ActivityMessage } from "./activity-messages.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import { ensureAllUsersGroup } from "./group.repo.js";
import { toLicense } from "./license.repo.js";
import { lockAssetsOfAccount } from "./seats.js";
import type { Actor } from "./sql-helpers.js";
import { type LicenseAtApple, seatHoldingLicensesOfAccount } from "./sync-licenses.repo.js";

/**
 * AC1 "Automatically distribute to all users": FCFS for All Users on every app of the
 * account (or on `adamIds` of them: the apps a sync just added) that has no rule yet (an
 * admin's own rules are left alone).
 */
export async function ensureAllUsersRules(
  db: Db,
  spaceId: string,
  accountId: string,
  now: Date,
  adamIds?: readonly string[],
): Promise<number> {
  if (adamIds?.length === 0) return 0;
  // The rules below name All Users: never fail on a space that lost it (before it was protected).
  await ensureAllUsersGroup(db, spaceId);
  const only = adamIds ? sql`and a.adam_id = any(${[...adamIds]}::text[])` : sql``;
  // One statement whatever the number of apps (an account with 10,000 books): the rules are
  // chosen and written by the database, not sent back as rows of bound parameters
  // (7 per app, and PostgreSQL takes 65,535). The All Users group goes with each new rule.
  const { rows } = await sql<{ n: number }>`with missing as (
      insert into app_rules (space_id, account_id, adam_id, fcfs_enabled, fcfs_requested_type,
        fcfs_mandatory_type, updated_at)
      select a.space_id, a.account_id, a.adam_id, true, 'user', 'device', ${now.toISOString()}::timestamptz
      from assets a
      where a.space_id = ${spaceId} and a.account_id = ${accountId} ${only}
      -- An app with a rule keeps it. Not an anti-join with app_rules: the statement adds to
      -- that table, and a nested loop over its index then reads every row added so far.
      on conflict (space_id, account_id, adam_id) do nothing
      returning space_id, account_id, adam_id
    ), all_users as (
      insert into rule_groups (space_id, account_id, adam_id, group_id)
      select space_id, account_id, adam_id, ${ALL_USERS}::text from missing
    )
    select count(*)::int as n from missing`.execute(db);
  return rows[0]?.n ?? 0;
}

/**
 * AC2 with another location and "clear all previous license data": the account's
 * licenses belonged to the old location; they end here (seats with them), logged.
 * The account's asset rows are locked first, as allocation locks an app's: a grant from
 * this account commits before (its license is ended with the others) or after (it counts
 * from zero), never in between, where its license would miss the UPDATE and its Apple
 * operation would still go with the account's (invariant 3: a license left pending with
 * nothing to send). Locks: lockAccountWork.
 */
export async function endLicensesOfAccount(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    actor: Actor;
    now: Date;
    action: ActivityAction;
    ruleIds: readonly string[];
    message: ActivityMessage;
  },
): Promise<number> {
  return withTransaction(db, async (trx) => {
    await lockAccountWork(trx, input.spaceId, input.accountId);
    const rows = await trx
      .updateTable("licenses")
      .set({ state: "released", released_at: input.now, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "in", [...LIVE_STATES, "pending_release", "in_grace"])
      .returningAll()
      .execute();
    await trx
      .updateTable("assets")
      .set({ used: 0, updated_at: input.now })
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .execute();
    await trx
      .deleteFrom("outbox")
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .where("state", "=", "pending")
      .execute();
    await trx
      .deleteFrom("apple_calls")
      .where("space_id", "=", input.spaceId)
      .where("account_id", "=", input.accountId)
      .execute();
    await appendActivity(
      trx,
      rows.map(toLicense).map((l) => ({
        spaceId: l.spaceId,
        actor: input.actor,
        action: input.action,
        userId: l.userId,
        deviceId: l.deviceId,
        adamId: l.adamId,
        accountId: l.accountId,
        licenseId: l.id,
        ruleIds: input.ruleIds,
        message: input.message,
        at: input.now,
      })),
    );
    return rows.length;
  });
}

/**
 * Locks what an account owes Apple and its seats: its Apple calls and pending operations
 * first, as Apple's answers lock them before the asset rows (outcomes.ts), then its asset
 * rows by app, as allocation locks an app's by account. Nothing that answers Apple or
 * grants from the account runs beside the caller, and nothing waits for it in a cycle.
 */
async function lockAccountWork(trx: Trx, spaceId: string, accountId: string): Promise<void> {
  await trx
    .selectFrom("apple_calls")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .orderBy("id")
    .forUpdate()
    .execute();
  await trx
    .selectFrom("outbox")
    .select("seq")
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where("state", "=", "pending")
    .orderBy("seq")
    .forUpdate()
    .execute();
  await lockAssetsOfAccount(trx, spaceId, accountId);
}

/**
 * AC5, first step of a deletion: the account is marked `deleting`, which stops its Apple
 * work (claims and call forming take only healthy accounts, and lock the account row
 * FOR KEY SHARE SKIP LOCKED while they do) and its grants (decisions use healthy accounts
 * only). The row is locked FOR UPDATE first: forming or claiming under way ends before the
 * mark, so every call a worker holds afterwards is visible to `callsInFlight`. Returns the
 * health before (to put back if the deletion fails) and when it was set; undefined for an
 * unknown account.
 */
export async function markAccountDeleting(
  db: Db,
  spaceId: string,
  accountId: string,
  now: Date,
): Promise<{ health: AccountHealth; since: Date } | undefined> {
  return withTransaction(db, async (trx) => {
    const row = await trx
      .selectFrom("accounts")
      .select(["health", "updated_at"])
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return undefined;
    await trx
      .updateTable("accounts")
      .set({ health: "deleting", updated_at: now })
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .execute();
    return { health: row.health, since: row.updated_at };
  });
}

/**
 * A deletion that failed: the account goes back as it was (its health, and when that was
 * set: one that was already marked can be deleted again at once), if still marked.
 */
export async function unmarkAccountDeleting(
  db: Db,
  spaceId: string,
  accountId: string,
  before: { health: AccountHealth; since: Date },
): Promise<void> {
  await db
    .updateTable("accounts")
    .set({ health: before.health, updated_at: before.since })
    .where("space_id", "=", spaceId)
    .where("id", "=", accountId)
    .where("health", "=", "deleting")
    .execute();
}

/**
 * The account's Apple work a deletion waits for: calls a worker holds and has not sent yet
 * (a lease that ran out holds nothing), and associations Apple accepted and has not
 * answered. Apple does not promise to finish events in order: a release sent while an
 * association is pending could be applied first, and the association then outlive it.
 */
export async function callsInFlight(db: Db, spaceId: string, accountId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom("apple_calls")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .where((eb) =>
      eb.or([
        eb.and([eb("state", "=", "sending"), eb("claimed_until", ">", now)]),
        eb.and([eb("state", "=", "sent"), eb("kind", "=", "associate")]),
      ]),
    )
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * AC5: removes the account with its assets, rules and reservations (cascade), its outbox
 * and Apple calls. Its licenses go first (they reference its assets); the activity log keeps their story.
 * Returns the seat-holding licenses it removed, read under the account's locks
 * (lockAccountWork): the caller released the ones it read before at Apple, and one granted
 * since (a check-in meanwhile, its call perhaps sent) is released too.
 */
export async function deleteAccountRows(
  db: Db,
  spaceId: string,
  accountId: string,
): Promise<LicenseAtApple[]> {
  return withTransaction(db, async (trx) => {
    await lockAccountWork(trx, spaceId, accountId);
    const held = await seatHoldingLicensesOfAccount(trx, spaceId, accountId);
    await trx
      .deleteFrom("licenses")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    await trx
      .deleteFrom("apple_notifications")
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .execute();
    // Work for Apple that can no longer be sent (no token) or followed: the releases went first (AC5).
    for (const table of ["outbox", "apple_calls"] as const) {
      await trx
        .deleteFrom(table)
        .where("space_id", "=", spaceId)
        .where("account_id", "=", accountId)
        .execute();
    }
    const result = await trx
      .deleteFrom("accounts")
      .where("space_id", "=", spaceId)
      .where("id", "=", accountId)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new NotFoundError("account", accountId);
    return held;
  });
}

/** What deleting an account takes with it (AC5), for the admin to read before confirming. */
export interface AccountDeletionPreview {
  /** Licenses holding a seat, released at Apple by the deletion. */
  licenses: { user: number; device: number };
  /** The apps of the account, and those with a license rule (FCFS, Reserved or Prohibited). */
  apps: number;
  appsWithRules: number;
  reservedUsers: number;
  reservedDevices: number;
  prohibitedUsers: number;
}

export async function accountDeletionPreview(
  db: Db,
  spaceId: string,
  accountId: string,
): Promise<AccountDeletionPreview> {
  const { rows } = await sql<{
    user_licenses: number;
    device_licenses: number;
    apps: number;
    apps_with_rules: number;
    reserved_users: number;
    reserved_devices: number;
    prohibited_users: number;
  }>`select l.user_licenses, l.device_licenses, a.apps, r.apps_with_rules, u.reserved_users,
      d.reserved_devices, u.prohibited_users
    from (select count(*) filter (where type = 'user')::int as user_licenses,
        count(*) filter (where type = 'device')::int as device_licenses
      from licenses where space_id = ${spaceId} and account_id = ${accountId} and holds_seat) l,
    (select count(*)::int as apps from assets where space_id = ${spaceId} and account_id = ${accountId}) a,
    (select count(*) filter (where role = 'reserved')::int as reserved_users,
        count(*) filter (where role = 'prohibited')::int as prohibited_users
      from rule_users where space_id = ${spaceId} and account_id = ${accountId}) u,
    (select count(*)::int as reserved_devices from rule_devices
      where space_id = ${spaceId} and account_id = ${accountId}) d,
    (select count(*)::int as apps_with_rules from (
        select adam_id from app_rules where space_id = ${spaceId} and account_id = ${accountId} and fcfs_enabled
        union select adam_id from rule_users where space_id = ${spaceId} and account_id = ${accountId}
        union select adam_id from rule_devices where space_id = ${spaceId} and account_id = ${accountId}
      ) ruled) r`.execute(db);
  const r = rows[0];
  if (!r) throw new NotFoundError("account", accountId);
  return {
    licenses: { user: r.user_licenses, device: r.device_licenses },
    apps: r.apps,
    appsWithRules: r.apps_with_rules,
    reservedUsers: r.reserved_users,
    reservedDevices: r.reserved_devices,
    prohibitedUsers: r.prohibited_users,
  };
}
