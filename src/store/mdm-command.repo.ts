import { randomUUID } from "node:crypto";
import { type Expression, type RawBuilder, type Selectable, type SqlBool, sql } from "kysely";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { appNamesOfSpace } from "./app-names.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import type { MdmCommandKind, MdmCommandState, MdmCommandTable } from "./mdm.table.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";
import type { DeviceTable } from "./space.table.js";
import { type Actor, groupBy, settledAttempt, unique, unseenSpace } from "./sql-helpers.js";

/** An install or a remove (invites are queued by invite-commands.repo.ts). */
export interface NewMdmCommand {
  spaceId: string;
  kind: "install" | "remove";
  deviceId: string;
  serialNumber: string;
  adamId: string;
  licenseId?: string;
  /** DB4: the version an update installs. */
  appVersion?: string;
  ruleIds: readonly string[];
  now: Date;
}

export interface MdmCommandRecord {
  spaceId: string;
  seq: number;
  id: string;
  kind: MdmCommandKind;
  deviceId: string;
  serialNumber: string;
  /** The app of an install or a remove; absent for an invite. */
  adamId?: string;
  /** UB2, an invite: the user it invites, and Apple's invitation link for them. */
  userId?: string;
  invitationUrl?: string;
  licenseId?: string;
  appVersion?: string;
  ruleIds: string[];
  state: MdmCommandState;
  /** A pending install whose license Apple has not confirmed yet: not to be acted on (LT2). */
  awaitingLicense: boolean;
  attempts: number;
  lastError?: string;
  /** The lease of the delivery that claimed it, while it runs. */
  claimedUntil?: Date;
  /** A pending command that failed: not tried again before then. */
  notBefore?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * What the MDM needs, beside the command, to build Apple's own: the device's platform, and
 * the app's bundle id (RemoveApplication names the app by it; absent until the store's
 * lookup found it), its product type (a book is InstallMedia, not InstallApplication) and,
 * for an install, its license's type. Read with the commands, never stored on them.
 */
export interface MdmCommandTarget {
  platform: DeviceTable["platform"];
  productType?: "App" | "Book";
  bundleId?: string;
  licenseType?: "user" | "device";
}

/** A command as the MDM receives it (webhook) or polls it (`GET mdm/commands`). */
export interface DeliverableMdmCommand extends MdmCommandRecord {
  target: MdmCommandTarget;
}

/**
 * Queues commands for the MDM, in the caller's transaction (with the license change
 * that causes them). A newer command for the same device and app supersedes a pending
 * older one: an install followed by a remove must not reach the MDM as an install.
 * One statement whatever the number of commands (an app revoked on 50,000 devices): the
 * columns travel as arrays, not as bound parameters per command (PostgreSQL takes 65,535).
 */
export async function queueMdmCommands(db: Db, commands: readonly NewMdmCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const column = <T>(of: (c: NewMdmCommand) => T) => commands.map(of);
  await sql`with c as (
      select * from unnest(${column(() => randomUUID())}::text[], ${column((c) => c.spaceId)}::text[],
        ${column((c) => c.kind)}::text[], ${column((c) => c.deviceId)}::text[],
        ${column((c) => c.serialNumber)}::text[], ${column((c) => c.adamId)}::text[],
        ${column((c) => c.licenseId ?? null)}::text[], ${column((c) => c.appVersion ?? null)}::text[],
        ${column((c) => c.ruleIds.join(","))}::text[], ${column((c) => c.now.toISOString())}::timestamptz[])
        with ordinality as t(id, space_id, kind, device_id, serial_number, adam_id, license_id, app_version,
          rules, at, ord)
    ), superseded as (
      update mdm_commands m set state = 'cancelled', updated_at = k.at, last_error = 'superseded'
      from (select space_id, device_id, adam_id, max(at) as at from c group by space_id, device_id, adam_id) k
      where m.space_id = k.space_id and m.device_id = k.device_id and m.adam_id = k.adam_id
        and m.state = 'pending'
    )
    insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, license_id, app_version,
      awaiting_license, rule_ids, last_error, created_at, updated_at)
    select c.space_id, c.id, c.kind, c.device_id, c.serial_number, c.adam_id, c.license_id, c.app_version,
      c.license_id is not null and ${awaitingLicense(sql<string>`c.space_id`, sql<string | null>`c.license_id`)},
      coalesce(string_to_array(c.rules, ','), '{}'), null, c.at, c.at
    from c
    order by c.ord`.execute(db);
}

/**
 * Whether a command for this license waits for Apple (`awaiting_license`, out of the
 * delivery poll): its license is pending_assign. The database clears the mark when the
 * license leaves that state (0013's trigger on `licenses`), but that trigger only sees
 * committed commands: a license updated by a transaction that commits after this read and
 * before our commit would leave the mark set for good. FOR SHARE closes that window: an
 * update in progress is waited for (and its new state read), and a later one waits for our
 * commit, so its trigger sees this command. A license created in our own transaction (a
 * grant) is already ours.
 */
function awaitingLicense(
  spaceId: RawBuilder<string> | string,
  licenseId: RawBuilder<string | null> | string,
): RawBuilder<boolean> {
  return sql<boolean>`exists (select 1 from licenses l
    where l.space_id = ${spaceId} and l.id = ${licenseId} and l.state = 'pending_assign' for share of l)`;
}

/** Why an install or a remove was cancelled instead of sent: its device left, or is another user's now. */
export const DEVICE_COMMAND_CANCELLED = {
  deviceLeft: "device no longer active",
  otherUser: "device now another user's: the license is its former user's",
} as const;

/**
 * Why the install or remove `c` (a row's alias) no longer fits its device, or null when it
 * does: the device is not active, or an install of a user-based license goes to a device that
 * is another user's now. A scalar subquery by keys, as `invitationOpen`.
 */
function deviceRefusal(c: RawBuilder<unknown>): RawBuilder<string | null> {
  return sql<string | null>`(select case when d.status <> 'active' then ${DEVICE_COMMAND_CANCELLED.deviceLeft}
      when ${c}.kind = 'install' and l.type = 'user' and l.user_id is distinct from d.user_id
        then ${DEVICE_COMMAND_CANCELLED.otherUser} end
    from devices d
    left join licenses l on l.space_id = ${c}.space_id and l.id = ${c}.license_id
    where d.space_id = ${c}.space_id and d.id = ${c}.device_id)`;
}

/**
 * These devices changed (out of service, given another user): their open installs and removes
 * that no longer fit are cancelled, saying why. A retired, wiped or unenrolled device takes no
 * command; an install of a user-based license is its user's, not the device's next user's.
 * In the caller's transaction; returns how many.
 */
export async function cancelCommandsDevicesNoLongerTake(
  db: Db,
  input: { spaceId: string; deviceIds: readonly string[]; now: Date },
): Promise<number> {
  if (input.deviceIds.length === 0) return 0;
  const result = await sql`update mdm_commands m set state = 'cancelled', claimed_until = null,
      updated_at = ${input.now.toISOString()}::timestamptz, last_error = r.why
    from (select c.space_id, c.seq, ${deviceRefusal(sql.ref("c"))} as why
      from mdm_commands c
      where c.space_id = ${input.spaceId} and c.device_id = any(${[...input.deviceIds]}::text[])
        and c.kind in ('install', 'remove') and c.state in ('pending', 'failed')) r
    where m.space_id = r.space_id and m.seq = r.seq and r.why is not null`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Claims deliverable commands, oldest first (FOR UPDATE SKIP LOCKED: several workers
 * never deliver one twice). An install waits until Apple confirmed its license, as
 * Apple asks; one whose license was refused or released is cancelled instead.
 *
 * The worker polls this every second, with PGlite on the API's own session: one
 * statement, which reads only the pending commands that are not awaiting their license
 * (`mdm_commands_deliverable`; the database clears the mark when the license leaves
 * pending_assign, 0013) and looks up the license of each once, by its key. Its cost follows
 * the commands that may go or be cancelled, not the installs waiting for Apple (a check-in
 * storm's tens of thousands), nor the number of licenses. A command whose license is gone
 * (AC5 deletes an account's licenses) is cancelled too. The claim's conditions are also put
 * on the locked row itself (`m`), so a row another worker claimed just before is checked
 * again once locked, as SKIP LOCKED alone would not. The claimed commands come back with
 * their targets (withTargets), read by the same statement.
 */
export async function claimMdmCommands(
  db: Db,
  input: { now: Date; limit: number; leaseMs: number },
): Promise<DeliverableMdmCommand[]> {
  const now = input.now.toISOString();
  const until = new Date(input.now.getTime() + input.leaseMs).toISOString();
  const { rows } = await sql<DeliverableRow>`with open as materialized (
      select c.space_id, c.seq, c.license_id, c.not_before, c.claimed_until,
        (select l.state from licenses l where l.space_id = c.space_id and l.id = c.license_id) as license_state,
        case when c.kind = 'invite' then ${invitationOpen(sql.ref("c"))} end as invitation_open,
        case when c.kind <> 'invite' then ${deviceRefusal(sql.ref("c"))} end as device_refusal
      from mdm_commands c
      where c.state = 'pending' and not c.awaiting_license
    ), cancelled as (
      update mdm_commands c
      set state = 'cancelled', updated_at = ${now}::timestamptz, last_error = 'license no longer live'
      from open o
      where c.space_id = o.space_id and c.seq = o.seq and c.state = 'pending'
        and o.license_id is not null
        and (o.license_state is null or o.license_state not in ('pending_assign', 'assigned'))
    ), closed_invitations as (
      update mdm_commands c
      set state = 'cancelled', updated_at = ${now}::timestamptz, last_error = ${INVITATION_CLOSED}
      from open o
      where c.space_id = o.space_id and c.seq = o.seq and c.state = 'pending' and o.invitation_open = false
    ), unfit as (
      update mdm_commands c
      set state = 'cancelled', updated_at = ${now}::timestamptz, last_error = o.device_refusal
      from open o
      where c.space_id = o.space_id and c.seq = o.seq and c.state = 'pending' and o.device_refusal is not null
        and (o.license_id is null or o.license_state in ('pending_assign', 'assigned'))
    ), pick as (
      select m.space_id, m.seq
      from open o
      join mdm_commands m on m.space_id = o.space_id and m.seq = o.seq
      where (o.license_id is null or o.license_state = 'assigned') and o.invitation_open is not false
        and o.device_refusal is null
        and (o.not_before is null or o.not_before <= ${now}::timestamptz)
        and (o.claimed_until is null or o.claimed_until < ${now}::timestamptz)
        and m.state = 'pending'
        and (m.not_before is null or m.not_before <= ${now}::timestamptz)
        and (m.claimed_until is null or m.claimed_until < ${now}::timestamptz)
      order by m.seq
      limit ${input.limit}
      for update of m skip locked
    ), claimed as (
      update mdm_commands c
      set claimed_until = ${until}::timestamptz, attempts = c.attempts + 1, updated_at = ${now}::timestamptz
      from pick
      where c.space_id = pick.space_id and c.seq = pick.seq
      returning c.*
    )
    ${withTargets(sql`claimed`)}`.execute(db);
  return rows.map(toDeliverableMdmCommand);
}

/** Why an invite was cancelled instead of sent: its user or device no longer takes it. */
export const INVITATION_CLOSED = "invitation no longer open";

/**
 * UB2: whether the invite `c` (a command row's alias) may still go: its device is active and
 * still the user's, the user is still invited (not enrolled, retired nor deleted) and the space
 * still sends invitations. Each of those changes cancels the invites as it happens
 * (invite-commands.repo.ts); this catches a change made meanwhile before the MDM gets one.
 * A scalar subquery, not EXISTS: the planner would hash an EXISTS under an OR, reading every
 * invited user of every space at each poll, where this reads three rows by key per invite.
 */
function invitationOpen(c: RawBuilder<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`coalesce((select true from devices d
    join users u on u.space_id = d.space_id and u.id = d.user_id
    join spaces s on s.id = d.space_id
    where d.space_id = ${c}.space_id and d.id = ${c}.device_id and d.status = 'active'
      and d.user_id = ${c}.user_id and u.apple_status = 'Registered' and u.deleted_at is null
      and s.send_invitations_to_devices
    limit 1), false)`;
}

type DeliverableRow = Selectable<MdmCommandTable> & {
  platform: DeviceTable["platform"];
  product_type: "App" | "Book" | null;
  bundle_id: string | null;
  license_type: "user" | "device" | null;
};

/**
 * The commands of `commands` (a subquery or a CTE's name) with their targets, oldest first,
 * in the same statement: each command's device and license by their keys, and one asset row
 * of its app (`assets_by_app`), one whose bundle id is known first (every account holding the
 * app has the same; only some may have been looked up yet). The commands are chosen, and
 * limited, before any join: the join costs a few key lookups per command returned.
 */
function withTargets(commands: Expression<unknown>): RawBuilder<DeliverableRow> {
  return sql<DeliverableRow>`select c.*, d.platform, a.product_type, a.bundle_id, l.type as license_type
    from ${commands} c
    join devices d on d.space_id = c.space_id and d.id = c.device_id
    left join licenses l on c.kind = 'install' and l.space_id = c.space_id and l.id = c.license_id
    left join lateral (select a.product_type, a.bundle_id from assets a
      where a.space_id = c.space_id and a.adam_id = c.adam_id
      order by a.bundle_id is null, a.account_id
      limit 1) a on true
    order by c.seq`;
}

/**
 * Records a delivery: done, or retried after `notBefore`, or failed for good. Only a
 * command in one of `fromStates` changes (an MDM's acknowledgement leaves a cancelled
 * one as it is); with `claimedUntil`, only while the delivery's lease is still its own
 * (a command acknowledged, cancelled or claimed again meanwhile is not overwritten).
 */
export async function settleMdmCommands(
  db: Db,
  input: {
    commands: readonly Pick<MdmCommandRecord, "spaceId" | "seq">[];
    state: "delivered" | "pending" | "failed";
    fromStates: readonly MdmCommandState[];
    claimedUntil?: Date;
    error?: string;
    notBefore?: Date;
    now: Date;
  },
): Promise<void> {
  for (const [spaceId, ofSpace] of groupBy(input.commands, (c) => c.spaceId)) {
    let update = db
      .updateTable("mdm_commands")
      .set(settledAttempt(input))
      .where("space_id", "=", spaceId)
      .where(
        "seq",
        "in",
        ofSpace.map((c) => c.seq),
      )
      .where("state", "in", [...input.fromStates]);
    if (input.claimedUntil) update = update.where("claimed_until", "=", input.claimedUntil);
    await update.execute();
  }
}

/**
 * The MDM took these commands: pending ones, and failed ones (Orchard gave up delivering
 * them; the MDM saying it took them wins), become delivered. A failed command that comes
 * back this way may have a twin queued since (a later check-in asked for the same install
 * again): that twin is cancelled when it is the device and app's next command and no
 * delivery is sending it right now, so the MDM does not get the install twice; a command in
 * between (a remove) keeps it. Seqs of other
 * states, of installs still awaiting their license, or unknown, are left as they are and
 * returned as skipped, with why: the same call may be sent again.
 *
 * The failed installs' apps are locked first, as the retry does (lockAppsOfFailedInstalls):
 * a check-in queueing the same install again either committed before, and its twin is seen
 * and cancelled here, or waits, and sees this one delivered (no twin queued).
 */
export async function acknowledgeMdmCommands(
  db: Db,
  input: { spaceId: string; seqs: readonly number[]; now: Date },
): Promise<MdmAcknowledgement> {
  const { spaceId } = input;
  const at = input.now.toISOString();
  return withTransaction(db, async (trx) => {
    await lockAppsOfFailedInstalls(trx, spaceId, sql<SqlBool>`c.seq = any(${[...input.seqs]}::bigint[])`);
    const acknowledged = await acknowledge(trx, spaceId, input.seqs, at);
    const taken = new Set(acknowledged);
    const others = unique(input.seqs).filter((seq) => !taken.has(seq));
    const found = new Map(
      others.length === 0
        ? []
        : (
            await trx
              .selectFrom("mdm_commands")
              .select(["seq", "state", "awaiting_license"])
              .where("space_id", "=", spaceId)
              .where("seq", "in", others)
              .execute()
          ).map((r) => [Number(r.seq), r] as const),
    );
    const skipped = others.map((seq): MdmAckSkip => {
      const row = found.get(seq);
      if (!row) return { seq, reason: "not_found" };
      if (row.state === "pending" && row.awaiting_license) return { seq, reason: "awaiting_license" };
      return { seq, reason: "not_open", state: row.state as MdmCommandState };
    });
    return { acknowledged, skipped };
  });
}

/** What an acknowledgement did: the seqs now delivered, and the others with why. */
export interface MdmAcknowledgement {
  acknowledged: number[];
  skipped: MdmAckSkip[];
}

export type MdmAckSkip =
  /** LT2: an install whose license Apple has not confirmed yet: not the MDM's to act on. */
  | { seq: number; reason: "awaiting_license" }
  /** Delivered already (acknowledged before) or cancelled (its license gone, superseded). */
  | { seq: number; reason: "not_open"; state: MdmCommandState }
  | { seq: number; reason: "not_found" };

/** The acknowledgement itself: one statement, under the apps' locks. Returns the seqs delivered. */
async function acknowledge(db: Db, spaceId: string, seqs: readonly number[], at: string): Promise<number[]> {
  const { rows } = await sql<{ seq: string | number }>`with taken as (
      select seq, state, device_id, adam_id, kind, license_id, app_version from mdm_commands
      where space_id = ${spaceId} and seq = any(${[...seqs]}::bigint[]) and state in ('pending', 'failed')
        -- LT2: an install still waiting for Apple's license is not the MDM's yet: acknowledged,
        -- it would never be ready, and no later check-in would queue it again.
        and not awaiting_license
      for update
    ), acked as (
      update mdm_commands m set state = 'delivered', last_error = null, not_before = null, claimed_until = null,
        updated_at = ${at}::timestamptz
      from taken t
      where m.space_id = ${spaceId} and m.seq = t.seq
      returning m.seq
    ), twins as (
      update mdm_commands p set state = 'cancelled', claimed_until = null, updated_at = ${at}::timestamptz,
        last_error = 'superseded: the MDM took the same command (seq ' || t.seq || ') after all'
      from taken t
      where t.state = 'failed' and p.space_id = ${spaceId} and p.device_id = t.device_id and p.adam_id = t.adam_id
        and p.state = 'pending' and p.seq > t.seq and not (p.seq = any(${[...seqs]}::bigint[]))
        and (p.claimed_until is null or p.claimed_until < ${at}::timestamptz)
        and p.kind = t.kind and p.license_id is not distinct from t.license_id
        and p.app_version is not distinct from t.app_version
        and not exists (select 1 from mdm_commands c where c.space_id = ${spaceId} and c.device_id = t.device_id
          and c.adam_id = t.adam_id and c.seq > t.seq and c.seq < p.seq and c.state <> 'cancelled')
    )
    select seq from acked order by seq`.execute(db);
  return rows.map((r) => Number(r.seq));
}

/**
 * LT2 for a batch of one app's license requests, in the caller's transaction: queues the
 * install of each (device, license) unless the device reports the app installed or an
 * install for that license is pending or was delivered already (one install per license);
 * a pending older command for the device and app is superseded, as `queueMdmCommands`
 * does. A device listed twice is decided by its last entry. An install whose license is
 * pending_assign waits for Apple out of the delivery poll (`awaitingLicense`). One
 * statement whatever the batch size (check-in storms); returns the devices an install
 * was queued for.
 */
export async function queueInstallsUnlessPresent(
  db: Db,
  input: {
    spaceId: string;
    adamId: string;
    installs: ReadonlyArray<{ deviceId: string; licenseId?: string; ruleIds: readonly string[] }>;
    now: Date;
  },
): Promise<Set<string>> {
  // A device listed twice is decided by its last entry.
  const last = new Map(input.installs.map((install) => [install.deviceId, install]));
  if (last.size === 0) return new Set();
  const ids: string[] = [];
  const deviceIds: string[] = [];
  const licenseIds: Array<string | null> = [];
  const rules: string[] = [];
  for (const install of last.values()) {
    ids.push(randomUUID());
    deviceIds.push(install.deviceId);
    licenseIds.push(install.licenseId ?? null);
    rules.push(install.ruleIds.join(","));
  }
  const { spaceId, adamId } = input;
  const at = input.now.toISOString();
  // Per device, through the (space, device, app) indexes: is the app installed, is an install
  // for this license open, which commands are pending (superseded by the new install)? The
  // space is unseen by the planner (unseenSpace): a new space's storm must not scan per device.
  const { rows } = await sql<{ device_id: string }>`with todo as (
      select w.id, w.device_id, d.serial_number, w.license_id, w.rules, w.ord, open.pending
      from unnest(${ids}::text[], ${deviceIds}::text[], ${licenseIds}::text[], ${rules}::text[])
        with ordinality as w(id, device_id, license_id, rules, ord)
      join devices d on d.space_id = ${unseenSpace(spaceId)} and d.id = w.device_id
      cross join lateral (
        select
          coalesce(bool_or(c.kind = 'install' and c.app_version is null
            and c.license_id is not distinct from w.license_id), false) as installing,
          array_agg(c.seq) filter (where c.state = 'pending') as pending
        from mdm_commands c
        where c.space_id = ${unseenSpace(spaceId)} and c.device_id = w.device_id and c.adam_id = ${adamId}
          and c.state in ('pending', 'delivered')
      ) open
      where not open.installing
        and not exists (
          select 1 from installed_apps i
          where i.space_id = ${unseenSpace(spaceId)} and i.device_id = w.device_id and i.adam_id = ${adamId})
    ), superseded as (
      update mdm_commands c set state = 'cancelled', updated_at = ${at}::timestamptz, last_error = 'superseded'
      where c.space_id = ${spaceId} and c.state = 'pending'
        and c.seq = any(array(select unnest(todo.pending) from todo))
    )
    insert into mdm_commands (space_id, id, kind, device_id, serial_number, adam_id, license_id, app_version,
      awaiting_license, rule_ids, last_error, created_at, updated_at)
    select ${spaceId}, todo.id, 'install', todo.device_id, todo.serial_number, ${adamId}, todo.license_id, null,
      ${awaitingLicense(spaceId, sql<string | null>`todo.license_id`)},
      coalesce(string_to_array(todo.rules, ','), '{}'), null, ${at}::timestamptz, ${at}::timestamptz
    from todo
    order by todo.ord
    returning device_id`.execute(db);
  return new Set(rows.map((r) => r.device_id));
}

/** Why a command asked to be sent again was not. */
export type MdmRetrySkip =
  /** LT2: an install whose license was released or refused since: cancelled, as a delivery would. */
  | { seq: number; reason: "license_not_live" }
  /** A newer command for the same device and app (the same install queued again, a remove): cancelled. */
  | { seq: number; reason: "superseded"; by: number }
  /** Not failed (pending, delivered or cancelled): left as it is. */
  | { seq: number; reason: "not_failed"; state: MdmCommandState }
  | { seq: number; reason: "not_found" };

export interface MdmRetryResult {
  /** Back to pending, from their first attempt, oldest first. */
  retried: number[];
  skipped: MdmRetrySkip[];
}

/**
 * An administrator sends failed commands again (the MDM's webhook is fixed): the given ones,
 * or every failed command of the space, go back to pending with their attempts and backoff
 * reset, for the delivery loop (or the MDM's poll). Two kinds are cancelled instead, as
 * delivering them would: an install whose license is no longer live (the claim cancels it,
 * LT2), and a command with a newer one for the same device and app that is not cancelled (a
 * later check-in queued the same install again, or a remove came since): sending the older
 * one too would reach the MDM twice, or out of order. Logged per command (invariant 4).
 *
 * The installs' apps are locked first (lockAppsOfFailedInstalls): a check-in queueing the
 * same install either committed before, and its twin is seen here, or waits, and sees this
 * one pending.
 */
export async function retryFailedMdmCommands(
  db: Db,
  input: { spaceId: string; seqs: readonly number[] | "all"; actor: Actor; now: Date },
): Promise<MdmRetryResult> {
  const { spaceId } = input;
  const at = input.now.toISOString();
  const asked = input.seqs === "all" ? undefined : [...new Set(input.seqs)].sort((a, b) => a - b);
  const chosen = asked ? sql<SqlBool>`c.seq = any(${asked}::bigint[])` : sql<SqlBool>`true`;
  return withTransaction(db, async (trx) => {
    await lockAppsOfFailedInstalls(trx, spaceId, chosen);
    const { rows } = await sql<RetryVerdict>`with picked as (
        select c.seq, c.kind, c.device_id, c.adam_id, c.user_id, c.license_id,
          c.license_id is not null and not exists (select 1 from licenses l
            where l.space_id = c.space_id and l.id = c.license_id and l.state in ('pending_assign', 'assigned')) as dead
        from mdm_commands c
        where c.space_id = ${spaceId} and c.state = 'failed' and ${chosen}
        for update of c
      ), verdict as (
        select p.*, case when p.dead then null else (select max(n.seq) from mdm_commands n
          where n.space_id = ${spaceId} and n.device_id = p.device_id and n.adam_id = p.adam_id
            and n.seq > p.seq and n.state <> 'cancelled'
            and not exists (select 1 from picked d where d.seq = n.seq and d.dead)) end as superseded_by
        from picked p
      ), retried as (
        update mdm_commands m set state = 'pending', attempts = 0, not_before = null, claimed_until = null,
          last_error = null, updated_at = ${at}::timestamptz,
          awaiting_license = m.license_id is not null and ${awaitingLicense(spaceId, sql<string | null>`m.license_id`)}
        from verdict v
        where m.space_id = ${spaceId} and m.seq = v.seq and not v.dead and v.superseded_by is null
      ), cancelled as (
        update mdm_commands m set state = 'cancelled', not_before = null, claimed_until = null,
          updated_at = ${at}::timestamptz,
          last_error = case when v.dead then 'license no longer live'
            else 'superseded: a newer command (seq ' || v.superseded_by || ') for the device and app' end
        from verdict v
        where m.space_id = ${spaceId} and m.seq = v.seq and (v.dead or v.superseded_by is not null)
      )
      select seq, kind, device_id, adam_id, user_id, license_id, dead, superseded_by from verdict order by seq`.execute(
      trx,
    );
    const verdicts = rows.map((r) => ({
      ...r,
      seq: Number(r.seq),
      superseded_by: r.superseded_by === null ? null : Number(r.superseded_by),
    }));
    const skipped: MdmRetrySkip[] = verdicts.flatMap((v): MdmRetrySkip[] =>
      v.dead
        ? [{ seq: v.seq, reason: "license_not_live" }]
        : v.superseded_by !== null
          ? [{ seq: v.seq, reason: "superseded", by: v.superseded_by }]
          : [],
    );
    const seen = new Set(verdicts.map((v) => v.seq));
    const others = (asked ?? []).filter((seq) => !seen.has(seq));
    if (others.length > 0) {
      const states = new Map(
        (
          await trx
            .selectFrom("mdm_commands")
            .select(["seq", "state"])
            .where("space_id", "=", spaceId)
            .where("seq", "in", others)
            .execute()
        ).map((r) => [Number(r.seq), r.state]),
      );
      for (const seq of others) {
        const state = states.get(seq);
        skipped.push(state ? { seq, reason: "not_failed", state } : { seq, reason: "not_found" });
      }
    }
    await appendActivity(
      trx,
      verdicts.map((v) => ({
        spaceId,
        actor: input.actor,
        action: v.dead || v.superseded_by !== null ? "command.cancelled" : "command.retried",
        deviceId: v.device_id,
        ...(v.adam_id !== null ? { adamId: v.adam_id } : {}),
        ...(v.user_id !== null ? { userId: v.user_id } : {}),
        ...(v.license_id ? { licenseId: v.license_id } : {}),
        message: v.dead
          ? activityMessage("command.retry_license_not_live", { seq: v.seq })
          : v.superseded_by !== null
            ? activityMessage("command.retry_superseded", { seq: v.seq, by: v.superseded_by })
            : activityMessage("command.retried", { seq: v.seq }),
        details: { seq: v.seq, kind: v.kind },
        at: input.now,
      })),
    );
    return {
      retried: verdicts.filter((v) => !v.dead && v.superseded_by === null).map((v) => v.seq),
      skipped: skipped.sort((a, b) => a.seq - b.seq),
    };
  });
}

/**
 * Locks the apps of the chosen failed installs (`chosen` is a condition on `c`) as allocators
 * lock them: their assets, FOR NO KEY UPDATE, in allocation's order (app, then account), before
 * any command row. A check-in queues its installs (queueInstallsUnlessPresent) under that
 * lock, so whoever sends a failed install again, or takes it as delivered, and the check-in
 * asking for the same install run one after the other: each sees what the other wrote.
 */
async function lockAppsOfFailedInstalls(
  trx: Trx,
  spaceId: string,
  chosen: RawBuilder<SqlBool>,
): Promise<void> {
  await sql`select 1 from assets a
    where a.space_id = ${spaceId} and a.adam_id in (select c.adam_id from mdm_commands c
      where c.space_id = ${spaceId} and c.state = 'failed' and c.kind = 'install' and ${chosen})
    order by a.adam_id, a.account_id
    for no key update of a`.execute(trx);
}

interface RetryVerdict {
  seq: number | string;
  kind: MdmCommandKind;
  device_id: string;
  adam_id: string | null;
  user_id: string | null;
  license_id: string | null;
  dead: boolean;
  superseded_by: number | string | null;
}

/** A command as the console lists it: with its app's name, when the space knows it. */
export interface MdmCommandView extends MdmCommandRecord {
  appName?: string;
}

/** The console's sort keys; `attention` (the default) puts failed, then pending commands first. */
export const MDM_COMMAND_SORTS = ["attention", "createdAt", "updatedAt"] as const;

/**
 * The space's commands for the console, a page at a time: of some states, of a device, or
 * whose serial number contains `q` (or whose app is `q`); by default failed first, then
 * pending, then the rest, newest first within each.
 */
export async function listMdmCommandsView(
  db: Db,
  spaceId: string,
  filter: { states?: readonly MdmCommandState[]; deviceId?: string; q?: string },
  page: PageRequest,
): Promise<Page<MdmCommandView>> {
  let query = db.selectFrom("mdm_commands as c").selectAll("c").where("c.space_id", "=", spaceId);
  if (filter.states && filter.states.length > 0) query = query.where("c.state", "in", [...filter.states]);
  if (filter.deviceId) query = query.where("c.device_id", "=", filter.deviceId);
  const q = filter.q?.trim();
  if (q)
    query = query.where((w) => w.or([w("c.serial_number", "ilike", likePattern(q)), w("c.adam_id", "=", q)]));
  const result = await paged(
    query,
    { ...page, order: page.sort ? page.order : "asc" },
    {
      attention: "case c.state when 'failed' then 0 when 'pending' then 1 else 2 end",
      createdAt: "c.created_at",
      updatedAt: "c.updated_at",
    },
    "attention",
    "c.seq desc",
    (row) => toMdmCommand(row as Selectable<MdmCommandTable>),
  );
  const adamIds = [...new Set(result.items.flatMap((c) => (c.adamId ? [c.adamId] : [])))];
  if (adamIds.length === 0) return result;
  const { rows } = await sql<{ adam_id: string; name: string | null }>`select n.adam_id, n.name
    from (${appNamesOfSpace(spaceId)}) n where n.adam_id = any(${adamIds}::text[])`.execute(db);
  const names = new Map(rows.flatMap((r) => (r.name ? [[r.adam_id, r.name] as const] : [])));
  return {
    ...result,
    items: result.items.map((c) => {
      const appName = c.adamId ? names.get(c.adamId) : undefined;
      return appName ? { ...c, appName } : c;
    }),
  };
}

/** How many commands of the space are in each state. */
export async function countMdmCommands(db: Db, spaceId: string): Promise<Record<MdmCommandState, number>> {
  const rows = await db
    .selectFrom("mdm_commands")
    .select(["state", sql<number>`count(*)::int`.as("n")])
    .where("space_id", "=", spaceId)
    .groupBy("state")
    .execute();
  const counts = { pending: 0, delivered: 0, cancelled: 0, failed: 0 };
  for (const r of rows) counts[r.state] = Number(r.n);
  return counts;
}

/** A space's commands for an MDM that polls, oldest first, with their targets (one statement). */
export async function listMdmCommands(
  db: Db,
  spaceId: string,
  filter: {
    deviceId?: string;
    state?: MdmCommandState;
    ready?: boolean;
    /** Only commands after this one (the last `seq` of the previous page). */
    afterSeq?: number;
    limit?: number;
  } = {},
): Promise<DeliverableMdmCommand[]> {
  let query = db
    .selectFrom("mdm_commands")
    .selectAll("mdm_commands")
    .where("mdm_commands.space_id", "=", spaceId);
  if (filter.afterSeq !== undefined) query = query.where("mdm_commands.seq", ">", filter.afterSeq);
  if (filter.deviceId) query = query.where("mdm_commands.device_id", "=", filter.deviceId);
  if (filter.state) query = query.where("mdm_commands.state", "=", filter.state);
  // What an MDM that polls may act on now: pending, and its license (if any) confirmed by Apple.
  // The license is joined by key: the planner then weighs the filter by the licenses' states
  // and walks the pending commands in order until the page is full. An EXISTS under the OR
  // was planned as a hashed subplan reading every assigned license of every space at each
  // poll, and a scalar lookup as a sort of every pending command of the space.
  // The device too, joined by key (a subquery's estimate would turn the targets' joins into scans):
  // an install or remove only to a device that takes it (deviceRefusal's conditions).
  if (filter.ready)
    query = query
      .leftJoin("licenses as ready_license", (join) =>
        join
          .onRef("ready_license.space_id", "=", "mdm_commands.space_id")
          .onRef("ready_license.id", "=", "mdm_commands.license_id"),
      )
      .innerJoin("devices as ready_device", (join) =>
        join
          .onRef("ready_device.space_id", "=", "mdm_commands.space_id")
          .onRef("ready_device.id", "=", "mdm_commands.device_id"),
      )
      .where("mdm_commands.state", "=", "pending")
      .where("mdm_commands.awaiting_license", "=", false)
      .where((eb) =>
        eb.or([eb("mdm_commands.license_id", "is", null), eb("ready_license.state", "=", "assigned")]),
      )
      .where((eb) =>
        eb.or([eb("mdm_commands.kind", "<>", "invite"), invitationOpen(sql.table("mdm_commands"))]),
      )
      .where(
        sql<SqlBool>`(mdm_commands.kind = 'invite' or (ready_device.status = 'active' and (mdm_commands.kind <> 'install'
          or ready_license.type is distinct from 'user' or ready_license.user_id is not distinct from ready_device.user_id)))`,
      );
  const { rows } = await withTargets(query.orderBy("mdm_commands.seq").limit(filter.limit ?? 1000)).execute(
    db,
  );
  return rows.map(toDeliverableMdmCommand);
}

/** The one mapping of a command's targets, for the webhook's message and the polled list alike. */
function toDeliverableMdmCommand(row: DeliverableRow): DeliverableMdmCommand {
  return {
    ...toMdmCommand(row),
    target: {
      platform: row.platform,
      ...(row.product_type ? { productType: row.product_type } : {}),
      ...(row.bundle_id ? { bundleId: row.bundle_id } : {}),
      ...(row.license_type ? { licenseType: row.license_type } : {}),
    },
  };
}

function toMdmCommand(row: Selectable<MdmCommandTable>): MdmCommandRecord {
  return {
    spaceId: row.space_id,
    seq: Number(row.seq),
    id: row.id,
    kind: row.kind,
    deviceId: row.device_id,
    serialNumber: row.serial_number,
    ...(row.adam_id !== null ? { adamId: row.adam_id } : {}),
    ...(row.user_id !== null ? { userId: row.user_id } : {}),
    ...(row.invitation_url !== null ? { invitationUrl: row.invitation_url } : {}),
    ...(row.license_id ? { licenseId: row.license_id } : {}),
    ...(row.app_version ? { appVersion: row.app_version } : {}),
    ruleIds: row.rule_ids,
    state: row.state,
    awaitingLicense: row.state === "pending" && row.awaiting_license,
    attempts: row.attempts,
    ...(row.last_error ? { lastError: row.last_error } : {}),
    ...(row.claimed_until ? { claimedUntil: row.claimed_until } : {}),
    ...(row.not_before ? { notBefore: row.not_before } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
