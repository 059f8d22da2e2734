import { createHash } from "node:crypto";
import { sql } from "kysely";
import type { DistributionRules, LicenseType } from "../licensing/index.js";
import type { AppRulesTable, RuleDeviceTable, RuleGroupTable, RuleUserTable } from "./account.table.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { type RulesChange, rulesChange } from "./rules-change.js";
import { type Actor, type ColumnSpec, inList, insertColumns, unique } from "./sql-helpers.js";

/** The key of a rule row: (space, account, app). */
const KEY_COLUMNS: readonly ColumnSpec[] = [
  ["space_id", "text"],
  ["account_id", "text"],
  ["adam_id", "text"],
];

export interface RulesInput {
  spaceId: string;
  accountId: string;
  adamId: string;
  /** FCFS for these groups (DI2); undefined = no FCFS rule. */
  fcfs?: { groupIds: readonly string[]; requestedType: LicenseType; mandatoryType: LicenseType };
  reservedUserIds: readonly string[];
  reservedDeviceIds: readonly string[];
  prohibitedUserIds: readonly string[];
}

/**
 * DI1: replaces the license rules of one (account, app). Validates DI7 (a user is not
 * both reserved and prohibited; the schema refuses it too) and DI6 (reservations never
 * exceed the account's licenses for the app). Locks the asset row, so rules never
 * change under a running allocation of the app.
 */
export async function setAppRules(
  db: Db,
  input: RulesInput,
  actor: Actor,
  now: Date,
): Promise<DistributionRules> {
  const prohibited = new Set(input.prohibitedUserIds);
  const both = input.reservedUserIds.find((id) => prohibited.has(id));
  if (both !== undefined) {
    throw new StoreError(
      "reserved_and_prohibited",
      `user ${both} cannot be both reserved and prohibited (DI7)`,
      {
        userId: both,
      },
    );
  }
  const reservedUserIds = unique(input.reservedUserIds);
  const reservedDeviceIds = unique(input.reservedDeviceIds);
  const prohibitedUserIds = unique(input.prohibitedUserIds);
  const groupIds = unique(input.fcfs?.groupIds ?? []);
  return withTransaction(db, async (trx) => {
    const { spaceId, accountId, adamId } = input;
    const asset = await trx
      .selectFrom("assets")
      .select(["total_count", "used", "device_assignable"])
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .where("adam_id", "=", adamId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!asset) throw new NotFoundError("asset", `${accountId}/${adamId}`);
    if (reservedDeviceIds.length > 0 && !asset.device_assignable) {
      throw new StoreError(
        "invalid_request",
        "Apple does not allow device-based licenses of this asset (DB5)",
        {
          field: "reservedDeviceIds",
        },
      );
    }
    // DI6: a reservation holds a seat. Holders who already hold a license from this account
    // have theirs; the others need a free seat each, now, not only on paper.
    const reservations = reservedUserIds.length + reservedDeviceIds.length;
    const held = await seatsHeldBy(trx, {
      spaceId,
      accountId,
      adamId,
      userIds: reservedUserIds,
      deviceIds: reservedDeviceIds,
    });
    const free = asset.total_count - asset.used;
    if (reservations > asset.total_count || reservations - held > free) {
      const needed = reservations - held;
      throw new StoreError(
        "reservations_exceed_licenses",
        `${needed} ${needed === 1 ? "reservation needs a license" : "reservations need a license each"}, ${Math.max(free, 0)} of ${asset.total_count} licenses are free (DI6)`,
        {
          reservations,
          needed,
          total: asset.total_count,
          free: Math.max(free, 0),
          // The list the administrator grew: devices alone, else users.
          field: reservedUserIds.length === 0 ? "reservedDeviceIds" : "reservedUserIds",
        },
      );
    }
    await assertExist(trx, "users", "user", spaceId, [...reservedUserIds, ...prohibitedUserIds]);
    await assertExist(trx, "devices", "device", spaceId, reservedDeviceIds);
    await assertExist(trx, "groups", "group", spaceId, groupIds);

    const before = (await loadRulesForApp(trx, spaceId, adamId, { countReservations: false })).get(accountId);
    const key = { space_id: spaceId, account_id: accountId, adam_id: adamId };
    const fcfs = {
      fcfs_enabled: input.fcfs !== undefined,
      fcfs_requested_type: input.fcfs?.requestedType ?? "user",
      fcfs_mandatory_type: input.fcfs?.mandatoryType ?? "device",
      updated_at: now,
    };
    await trx
      .insertInto("app_rules")
      .values({ ...key, ...fcfs })
      .onConflict((oc) => oc.columns(["space_id", "account_id", "adam_id"]).doUpdateSet(fcfs))
      .execute();
    for (const table of ["rule_groups", "rule_users", "rule_devices"] as const) {
      await trx
        .deleteFrom(table)
        .where("space_id", "=", spaceId)
        .where("account_id", "=", accountId)
        .where("adam_id", "=", adamId)
        .execute();
    }
    // Each list as one array per column (insertColumns): the API takes 10,000 reserved and
    // 10,000 prohibited users, 100,000 parameters as rows of VALUES (PostgreSQL takes 65,535).
    const ofKey = [spaceId, accountId, adamId] as const;
    await insertColumns(
      trx,
      "rule_groups",
      [...KEY_COLUMNS, ["group_id", "text"]],
      groupIds.map((groupId) => [...ofKey, groupId]),
    );
    await insertColumns(
      trx,
      "rule_users",
      [...KEY_COLUMNS, ["user_id", "text"], ["role", "text"]],
      [
        ...reservedUserIds.map((userId) => [...ofKey, userId, "reserved"]),
        ...prohibitedUserIds.map((userId) => [...ofKey, userId, "prohibited"]),
      ],
    );
    await insertColumns(
      trx,
      "rule_devices",
      [...KEY_COLUMNS, ["device_id", "text"]],
      reservedDeviceIds.map((deviceId) => [...ofKey, deviceId]),
    );
    await appendActivity(trx, [
      {
        spaceId,
        actor,
        action: "rules.updated",
        adamId,
        accountId,
        ruleIds: ["DI1"],
        message: activityMessage("rules.set", {
          groups: groupIds.length,
          reservations,
          prohibited: prohibitedUserIds.length,
        }),
        details: {
          changes: await rulesChange(trx, spaceId, before ?? emptyRules(), {
            ...(input.fcfs ? { fcfs: { ...input.fcfs, groupIds } } : {}),
            reservedUserIds,
            reservedDeviceIds,
            prohibitedUserIds,
          }),
        },
        at: now,
      },
    ]);
    const rules = await loadRulesForApp(trx, spaceId, adamId);
    return rules.get(accountId) ?? emptyRules();
  });
}

/** A license rule (account, app) whose FCFS groups include a group, named for the administrator. */
export interface GroupRuleUse {
  accountId: string;
  accountName: string;
  adamId: string;
  appName?: string;
}

/**
 * DI1 for a group being deleted: the group leaves the FCFS groups of these rules, as a
 * rules change without it would write them (setAppRules): each rule's `updated_at`, FCFS
 * off when no group is left (the API takes no FCFS rule without groups), and a
 * `rules.updated` line per rule. The caller holds the rules' asset locks, as setAppRules
 * does. Nothing else changes: licenses already held stay (LT4), and the next decisions
 * read the rules as they are now.
 */
export async function removeGroupFromRules(
  trx: Trx,
  input: {
    spaceId: string;
    group: { id: string; name: string };
    rules: readonly GroupRuleUse[];
    actor: Actor;
    now: Date;
  },
): Promise<void> {
  const { spaceId, group, rules, now } = input;
  if (rules.length === 0) return;
  const groupLeft: RulesChange = {
    groups: { added: [], removed: [{ id: group.id, name: group.name }], addedCount: 0, removedCount: 1 },
  };
  const accountIds = rules.map((r) => r.accountId);
  const adamIds = rules.map((r) => r.adamId);
  const keys = sql<boolean>`(account_id, adam_id) in (select * from unnest(
    ${accountIds}::text[], ${adamIds}::text[]))`;
  await trx
    .deleteFrom("rule_groups")
    .where("space_id", "=", spaceId)
    .where("group_id", "=", group.id)
    .where(keys)
    .execute();
  const { rows } = await sql<{ account_id: string; adam_id: string; groups: number }>`
    update app_rules r set updated_at = ${now.toISOString()}::timestamptz,
      fcfs_enabled = r.fcfs_enabled and exists (select 1 from rule_groups g
        where g.space_id = r.space_id and g.account_id = r.account_id and g.adam_id = r.adam_id)
    where r.space_id = ${spaceId} and (r.account_id, r.adam_id) in (select * from unnest(
      ${accountIds}::text[], ${adamIds}::text[]))
    returning r.account_id, r.adam_id, (select count(*)::int from rule_groups g
      where g.space_id = r.space_id and g.account_id = r.account_id and g.adam_id = r.adam_id) as groups`.execute(
    trx,
  );
  await appendActivity(
    trx,
    rows.map((r) => ({
      spaceId,
      actor: input.actor,
      action: "rules.updated",
      adamId: r.adam_id,
      accountId: r.account_id,
      ruleIds: ["DI1"],
      message: activityMessage("rules.group_deleted", { group: group.name, groups: r.groups }),
      details: { groupId: group.id, changes: groupLeft },
      at: now,
    })),
  );
}

/** The lists of one (account, app)'s rules, as an edit reads and returns them. */
export type RuleLists = Omit<RulesInput, "spaceId" | "accountId" | "adamId">;

/**
 * DI1 as a patch: `edit` gets the rules as they are, under the asset's lock (the lock
 * setAppRules takes first), and returns them as they become; nobody's change made meanwhile
 * is undone by a read made before it. Returns the rules set.
 */
export async function editAppRules(
  db: Db,
  key: {
    spaceId: string;
    accountId: string;
    adamId: string;
    /** Optimistic concurrency (the API's If-Match): edit only rules still of one of these versions. */
    ifVersion?: readonly string[];
  },
  edit: (current: RuleLists) => RuleLists | Promise<RuleLists>,
  actor: Actor,
  now: Date,
): Promise<DistributionRules> {
  const { ifVersion, ...ofApp } = key;
  return withTransaction(db, async (trx) => {
    const asset = await trx
      .selectFrom("assets")
      .select("adam_id")
      .where("space_id", "=", key.spaceId)
      .where("account_id", "=", key.accountId)
      .where("adam_id", "=", key.adamId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    if (!asset) throw new NotFoundError("asset", `${key.accountId}/${key.adamId}`);
    // The lists only: the unused reservations (a count over the app's seats) are not edited.
    const { unusedReservations: _, ...current } =
      (await loadRulesForApp(trx, key.spaceId, key.adamId, { countReservations: false })).get(
        key.accountId,
      ) ?? emptyRules();
    const version = rulesVersion(current);
    if (ifVersion && !ifVersion.includes(version)) {
      throw new StoreError(
        "rules_changed",
        "these rules changed since they were read: read them again, and make the change on what they are now",
        { version },
      );
    }
    return setAppRules(trx, { ...ofApp, ...(await edit(current)) }, actor, now);
  });
}

/**
 * The version of one (account, app)'s rules (the API's ETag): a digest of what they say,
 * whatever the order of their lists. Rules changed and changed back have their first
 * version again, rightly: an edit made on that reading undoes nothing.
 */
export function rulesVersion(rules: RuleLists): string {
  const sorted = (ids: readonly string[]) => [...new Set(ids)].sort();
  const { fcfs } = rules;
  const said = JSON.stringify([
    fcfs ? [sorted(fcfs.groupIds), fcfs.requestedType, fcfs.mandatoryType] : null,
    sorted(rules.reservedUserIds),
    sorted(rules.reservedDeviceIds),
    sorted(rules.prohibitedUserIds),
  ]);
  return createHash("sha256").update(said).digest("base64url").slice(0, 22);
}

/** The rules of one (account, app), with `unusedReservations` computed. */
export async function getAppRules(
  db: Db,
  spaceId: string,
  accountId: string,
  adamId: string,
): Promise<DistributionRules> {
  return (await loadRulesForApp(db, spaceId, adamId)).get(accountId) ?? emptyRules();
}

/**
 * The rules of an app in every account of the space that has some, by account id.
 * `unusedReservations` counts reservations whose holder holds no seat from that account
 * yet (DI6: seats FCFS may not take).
 */
export async function loadRulesForApp(
  db: Db,
  spaceId: string,
  adamId: string,
  /** false: leave `unusedReservations` at 0 for `countUnusedReservations` to fill later (under a lock). */
  options: { countReservations?: boolean } = {},
): Promise<Map<string, DistributionRules>> {
  const byKey = (table: "app_rules" | "rule_groups" | "rule_users" | "rule_devices") =>
    db.selectFrom(table).selectAll().where("space_id", "=", spaceId).where("adam_id", "=", adamId);
  const [apps, groups, users, devices] = await Promise.all([
    byKey("app_rules").execute(),
    byKey("rule_groups").execute(),
    byKey("rule_users").execute(),
    byKey("rule_devices").execute(),
  ]);
  const out = rulesFromRows({ apps, groups, users, devices });
  if (options.countReservations ?? true) await countUnusedReservations(db, spaceId, adamId, out);
  return out;
}

/** The rule tables' rows of one app, as far as decisions read them. */
export interface RuleRows {
  apps: ReadonlyArray<
    Pick<AppRulesTable, "account_id" | "fcfs_enabled" | "fcfs_requested_type" | "fcfs_mandatory_type">
  >;
  groups: ReadonlyArray<Pick<RuleGroupTable, "account_id" | "group_id">>;
  users: ReadonlyArray<Pick<RuleUserTable, "account_id" | "user_id" | "role">>;
  devices: ReadonlyArray<Pick<RuleDeviceTable, "account_id" | "device_id">>;
}

/** An app's rules per account from its rule rows; `unusedReservations` left at 0. */
export function rulesFromRows({ apps, groups, users, devices }: RuleRows): Map<string, DistributionRules> {
  const out = new Map<string, Mutable>();
  const of = (accountId: string): Mutable => {
    let rules = out.get(accountId);
    if (!rules) {
      rules = { reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [], unusedReservations: 0 };
      out.set(accountId, rules);
    }
    return rules;
  };
  for (const app of apps) {
    const rules = of(app.account_id);
    if (app.fcfs_enabled) {
      rules.fcfs = {
        groupIds: [],
        requestedType: app.fcfs_requested_type,
        mandatoryType: app.fcfs_mandatory_type,
      };
    }
  }
  for (const group of groups) {
    const fcfs = of(group.account_id).fcfs;
    if (fcfs) (fcfs.groupIds as string[]).push(group.group_id);
  }
  for (const user of users) {
    const rules = of(user.account_id);
    (user.role === "reserved" ? rules.reservedUserIds : rules.prohibitedUserIds).push(user.user_id);
  }
  for (const device of devices) of(device.account_id).reservedDeviceIds.push(device.device_id);
  return out;
}

type Mutable = {
  -readonly [K in keyof DistributionRules]: DistributionRules[K] extends readonly string[]
    ? string[]
    : DistributionRules[K];
};

/** Sets each account's `unusedReservations` from the seats its reserved holders hold now. */
export async function countUnusedReservations(
  db: Db,
  spaceId: string,
  adamId: string,
  rules: Map<string, DistributionRules>,
): Promise<void> {
  const userIds = unique([...rules.values()].flatMap((r) => r.reservedUserIds));
  const deviceIds = unique([...rules.values()].flatMap((r) => r.reservedDeviceIds));
  if (userIds.length + deviceIds.length === 0) return;
  const held = await db
    .selectFrom("licenses")
    .select(["account_id", "user_id", "device_id"])
    .where("space_id", "=", spaceId)
    .where("adam_id", "=", adamId)
    .where("holds_seat", "=", true)
    .where((eb) => eb.or([inList("user_id", userIds), inList("device_id", deviceIds)]))
    .execute();
  const holds = new Set(held.map((l) => `${l.account_id}/${l.user_id ?? l.device_id}`));
  for (const [accountId, r] of rules) {
    (r as Mutable).unusedReservations = [...r.reservedUserIds, ...r.reservedDeviceIds].filter(
      (holder) => !holds.has(`${accountId}/${holder}`),
    ).length;
  }
}

function emptyRules(): DistributionRules {
  return { reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [], unusedReservations: 0 };
}

async function assertExist(
  db: Db,
  table: "users" | "devices" | "groups",
  entity: "user" | "device" | "group",
  spaceId: string,
  ids: readonly string[],
): Promise<void> {
  if (ids.length === 0) return;
  const rows = await db
    .selectFrom(table)
    .select("id")
    .where("space_id", "=", spaceId)
    .where(inList("id", ids))
    .execute();
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new NotFoundError(entity, missing);
}

/** Seats of (account, app) already held by these users or devices. */
async function seatsHeldBy(
  db: Db,
  input: {
    spaceId: string;
    accountId: string;
    adamId: string;
    userIds: readonly string[];
    deviceIds: readonly string[];
  },
): Promise<number> {
  if (input.userIds.length + input.deviceIds.length === 0) return 0;
  const row = await db
    .selectFrom("licenses")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("space_id", "=", input.spaceId)
    .where("account_id", "=", input.accountId)
    .where("adam_id", "=", input.adamId)
    .where("holds_seat", "=", true)
    .where((eb) => eb.or([inList("user_id", input.userIds), inList("device_id", input.deviceIds)]))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
