import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { ALL_USERS } from "../licensing/index.js";
import { appendActivity } from "./activity.repo.js";
import { activityMessage } from "./activity-messages.js";
import { type Db, type Trx, withTransaction } from "./database.js";
import { NotFoundError, StoreError } from "./errors.js";
import { type GroupRuleUse, removeGroupFromRules } from "./rules.repo.js";
import { namedChange } from "./rules-change.js";
import { lockAssets } from "./seats.js";
import { type Actor, chunks, inList, sameName } from "./sql-helpers.js";

export interface Group {
  id: string;
  spaceId: string;
  name: string;
  externalId?: string;
  /** All Users (AC1): every user of the space, implicitly; never deleted nor edited. */
  builtIn?: true;
}

/** The stored name of the built-in group (the console words it in its own language by its id). */
export const ALL_USERS_NAME = "All Users";

/** Whether a group is the built-in All Users group (AC1, DI7). */
export function isBuiltInGroup(groupId: string): boolean {
  return groupId === ALL_USERS;
}

/**
 * The space's All Users group, created when missing (a space made before it was protected
 * could have lost it): AC1 writes FCFS rules for it, which must never fail on it.
 */
export async function ensureAllUsersGroup(db: Db, spaceId: string): Promise<void> {
  await db
    .insertInto("groups")
    .values({ space_id: spaceId, id: ALL_USERS, name: ALL_USERS_NAME, external_id: null })
    .onConflict((oc) => oc.columns(["space_id", "id"]).doNothing())
    .execute();
}

function toGroup(row: { id: string; space_id: string; name: string; external_id: string | null }): Group {
  return {
    id: row.id,
    spaceId: row.space_id,
    name: row.name,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    ...(isBuiltInGroup(row.id) ? { builtIn: true as const } : {}),
  };
}

export async function createGroup(
  db: Db,
  input: { id?: string; spaceId: string; name: string; externalId?: string },
): Promise<Group> {
  const row = await db
    .insertInto("groups")
    .values({
      space_id: input.spaceId,
      id: input.id ?? randomUUID(),
      name: input.name,
      external_id: input.externalId ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toGroup(row);
}

/** The first key of the group-names lock (the space's hash is the second): apart from the one-key locks. */
const GROUP_NAMES_LOCK = 0x6e616d65; // "name"

/**
 * `name` for a group of the space (another than `exceptId`), case and outer spaces aside:
 * administrators pick groups by name in rules. Two writers of one space's group names wait
 * for each other (a transaction-scoped advisory lock), so two groups never take one name.
 * Not for directory imports, which mirror an identity provider's groups as they are.
 */
export async function takeGroupName(
  trx: Trx,
  spaceId: string,
  name: string,
  exceptId?: string,
): Promise<void> {
  await sql`select pg_advisory_xact_lock(${GROUP_NAMES_LOCK}, hashtext(${spaceId}))`.execute(trx);
  let query = trx
    .selectFrom("groups")
    .select("id")
    .where("space_id", "=", spaceId)
    .where(sameName("name", name));
  if (exceptId) query = query.where("id", "<>", exceptId);
  if ((await query.executeTakeFirst()) !== undefined)
    throw new StoreError("duplicate_name", `a group of this space is already named "${name.trim()}"`);
}

/**
 * `externalId` for a new group of the space: one group per id of the MDM's directory, as a
 * user's, so that its sync finds the group again (`GET groups?externalId=`). Checked under
 * takeGroupName's lock, which the caller holds: two creates never take one id.
 */
export async function takeGroupExternalId(trx: Trx, spaceId: string, externalId: string): Promise<void> {
  const taken = await trx
    .selectFrom("groups")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("external_id", "=", externalId)
    .executeTakeFirst();
  if (taken !== undefined)
    throw new StoreError("already_exists", `externalId ${externalId} is taken in this space`, {
      field: "externalId",
      groupId: taken.id,
    });
}

export async function findGroup(db: Db, spaceId: string, id: string): Promise<Group | undefined> {
  const row = await db
    .selectFrom("groups")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  return row && toGroup(row);
}

/**
 * Groups of the space with one of these ids or externalIds, or one of these names (case and
 * outer spaces aside, as sameName): an import's rows that name groups the space has.
 */
export async function findGroupsByKeys(
  db: Db,
  spaceId: string,
  keys: { ids: readonly string[]; externalIds: readonly string[]; names: readonly string[] },
): Promise<Group[]> {
  const folded = keys.names.map((n) => n.trim().toLowerCase());
  const rows = await db
    .selectFrom("groups")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where((eb) =>
      eb.or([
        inList("id", keys.ids),
        inList("external_id", keys.externalIds),
        sql<boolean>`lower(btrim(name)) = any(${folded}::text[])`,
      ]),
    )
    .execute();
  return rows.map(toGroup);
}

export async function getGroup(db: Db, spaceId: string, id: string): Promise<Group> {
  const group = await findGroup(db, spaceId, id);
  if (!group) throw new NotFoundError("group", id);
  return group;
}

/** Adds users to a group (already members are left as they are); returns those who joined. */
export async function addGroupMembers(
  db: Db,
  spaceId: string,
  groupId: string,
  userIds: readonly string[],
): Promise<string[]> {
  const added: string[] = [];
  for (const part of chunks(userIds, 3)) {
    const rows = await db
      .insertInto("group_members")
      .values(part.map((userId) => ({ space_id: spaceId, group_id: groupId, user_id: userId })))
      .onConflict((oc) => oc.doNothing())
      .returning("user_id")
      .execute();
    added.push(...rows.map((r) => r.user_id));
  }
  return added;
}

/** The members of a group: its users not deleted (RV5 keeps a deleted user's membership for the history). */
export async function groupMemberIds(db: Db, spaceId: string, groupId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("group_members as m")
    .innerJoin("users as u", (j) => j.onRef("u.space_id", "=", "m.space_id").onRef("u.id", "=", "m.user_id"))
    .select("m.user_id")
    .where("m.space_id", "=", spaceId)
    .where("m.group_id", "=", groupId)
    .where("u.deleted_at", "is", null)
    .execute();
  return rows.map((r) => r.user_id);
}

/** A group's id in the identity provider it mirrors (null: none). */
export function setGroupExternalId(
  db: Db,
  spaceId: string,
  groupId: string,
  externalId: string | null,
): Promise<Group> {
  return updateGroupRow(db, spaceId, groupId, { external_id: externalId });
}

async function updateGroupRow(
  db: Db,
  spaceId: string,
  groupId: string,
  set: { name?: string; external_id?: string | null },
): Promise<Group> {
  const row = await db
    .updateTable("groups")
    .set(set)
    .where("space_id", "=", spaceId)
    .where("id", "=", groupId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new NotFoundError("group", groupId);
  return toGroup(row);
}

/** Removes users from a group; returns those who were members. */
export async function removeGroupMembers(
  db: Db,
  spaceId: string,
  groupId: string,
  userIds: readonly string[],
): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .deleteFrom("group_members")
    .where("space_id", "=", spaceId)
    .where("group_id", "=", groupId)
    .where(inList("user_id", userIds))
    .returning("user_id")
    .execute();
  return rows.map((r) => r.user_id);
}

/** What an administrator changed of a group, for its activity-log line. */
export type GroupChange =
  | { kind: "created" }
  | { kind: "renamed"; from: string }
  | { kind: "members_added" | "members_removed"; userIds: readonly string[] };

/**
 * The activity line of a directory change to a group (created, renamed, members added or
 * removed): who is eligible through FCFS rules follows the groups' members (DI1), so an
 * auditor reads who changed them: the members who joined or left are named in
 * `details.members` (as a rules change names its lists). A change that changed nothing (no
 * member joined) logs nothing.
 */
export async function logGroupChange(
  db: Db,
  input: {
    spaceId: string;
    group: Group;
    change: GroupChange;
    actor: Actor;
    now: Date;
  },
): Promise<void> {
  const { group, change } = input;
  const members = "userIds" in change ? change.userIds : undefined;
  if (members?.length === 0) return;
  const message =
    change.kind === "created"
      ? activityMessage("group.created", { name: group.name })
      : change.kind === "renamed"
        ? activityMessage("group.renamed", { from: change.from, name: group.name })
        : activityMessage(`group.${change.kind}`, { name: group.name, count: change.userIds.length });
  await appendActivity(db, [
    {
      spaceId: input.spaceId,
      actor: input.actor,
      action:
        change.kind === "created"
          ? "group.created"
          : change.kind === "renamed"
            ? "group.renamed"
            : "group.members_changed",
      // DI1: an app's FCFS list is of user groups: their members are who it serves.
      ruleIds: members ? ["DI1"] : [],
      message,
      details: {
        groupId: group.id,
        ...(group.externalId ? { externalId: group.externalId } : {}),
        ...(members
          ? {
              members: await namedChange(
                db,
                input.spaceId,
                "users",
                change.kind === "members_added" ? members : [],
                change.kind === "members_removed" ? members : [],
              ),
            }
          : {}),
      },
      at: input.now,
    },
  ]);
}

/** Group ids per user (the implicit All Users group is not stored). */
export async function groupIdsOfUsers(
  db: Db,
  spaceId: string,
  userIds: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .selectFrom("group_members")
    .select(["user_id", "group_id"])
    .where("space_id", "=", spaceId)
    .where(inList("user_id", userIds))
    .execute();
  for (const row of rows) {
    const list = out.get(row.user_id);
    if (list) list.push(row.group_id);
    else out.set(row.user_id, [row.group_id]);
  }
  return out;
}

export type DeleteGroupResult =
  /** Deleted; `rules` are those it was removed from (empty when none used it). */
  | { outcome: "deleted"; group: Group; rules: GroupRuleUse[] }
  /** Not deleted: license rules use it and the deletion was not confirmed. */
  | { outcome: "in_use"; group: Group; rules: GroupRuleUse[] }
  /** Not deleted: All Users is built in. */
  | { outcome: "built_in"; group: Group };

/**
 * Deletes a group (its members stay users). All Users is never deleted. A group that FCFS
 * rules use is deleted only when `confirmed`: it then leaves those rules as a rules change
 * (DI1) would take it out of them (removeGroupFromRules: asset locked, FCFS off when no
 * group is left, a `rules.updated` line per rule). Licenses already held stay (LT4), as
 * after any rules change; its members are no longer eligible through it (DI7, MA2). The
 * deletion itself is logged (`group.deleted`), with the number of rules it left.
 */
export async function deleteGroup(
  db: Db,
  input: { spaceId: string; groupId: string; confirmed: boolean; actor: Actor; now: Date },
): Promise<DeleteGroupResult> {
  const { spaceId, groupId } = input;
  return withTransaction(db, async (trx) => {
    const group = await getGroup(trx, spaceId, groupId);
    if (group.builtIn) return { outcome: "built_in", group };
    const seen = await rulesUsingGroup(trx, spaceId, groupId);
    if (seen.length > 0 && !input.confirmed) return { outcome: "in_use", group, rules: seen };
    const rules = await lockRulesThenGroup(trx, spaceId, groupId, seen);
    if (rules.length > 0 && !input.confirmed) return { outcome: "in_use", group, rules };
    await removeGroupFromRules(trx, { spaceId, group, rules, actor: input.actor, now: input.now });
    await trx.deleteFrom("groups").where("space_id", "=", spaceId).where("id", "=", groupId).execute();
    await appendActivity(trx, [
      {
        spaceId,
        actor: input.actor,
        action: "group.deleted",
        ruleIds: rules.length > 0 ? ["DI1", "DI7"] : [],
        message:
          rules.length > 0
            ? activityMessage("group.deleted_from_rules", { name: group.name, rules: rules.length })
            : activityMessage("group.deleted", { name: group.name }),
        details: {
          groupId,
          ...(group.externalId ? { externalId: group.externalId } : {}),
          ...(rules.length > 0
            ? { rules: rules.map((r) => ({ accountId: r.accountId, adamId: r.adamId })) }
            : {}),
        },
        at: input.now,
      },
    ]);
    return { outcome: "deleted", group, rules };
  });
}

const ruleKey = (r: { accountId: string; adamId: string }) => `${r.accountId}/${r.adamId}`;

/**
 * Locks a group for its deletion with the rules that use it, in the order a rules change
 * takes them (setAppRules: its asset, then the groups it names, through the foreign key's
 * share lock): the rules' assets first, in allocation's order, then the group row, which a
 * rules change adding it waits for and which waits for one under way. Returns the rules
 * that use the group, as they are under these locks.
 *
 * A rule that took the group in after `seen` was read shows up only once the group is
 * locked; taking its asset then (after the group) would deadlock with a rules change of that
 * rule holding the asset and waiting for the group. So the locks are given back (rolled back
 * to a savepoint) and taken again, that asset included, in order. Each round adds a rule:
 * it ends.
 */
async function lockRulesThenGroup(
  trx: Trx,
  spaceId: string,
  groupId: string,
  seen: readonly GroupRuleUse[],
): Promise<GroupRuleUse[]> {
  let keys = [...seen];
  for (;;) {
    await sql`savepoint group_delete_locks`.execute(trx);
    await lockAssets(trx, spaceId, keys);
    const locked = await trx
      .selectFrom("groups")
      .select("id")
      .where("space_id", "=", spaceId)
      .where("id", "=", groupId)
      .forUpdate()
      .executeTakeFirst();
    const rules = locked ? await rulesUsingGroup(trx, spaceId, groupId) : [];
    const known = new Set(keys.map(ruleKey));
    const unlocked = rules.filter((r) => !known.has(ruleKey(r)));
    if (unlocked.length === 0) {
      await sql`release savepoint group_delete_locks`.execute(trx);
      if (!locked) throw new NotFoundError("group", groupId);
      return rules;
    }
    await sql`rollback to savepoint group_delete_locks`.execute(trx);
    keys = [...keys, ...unlocked];
  }
}

/** The license rules (account, app) whose FCFS groups include the group, by app name then account priority. */
export async function rulesUsingGroup(db: Db, spaceId: string, groupId: string): Promise<GroupRuleUse[]> {
  return (await rulesUsingGroups(db, spaceId, [groupId])).get(groupId)?.rules ?? [];
}

/** How many license rules use a group, and the first of them (by app name, then account priority). */
export interface GroupUse {
  total: number;
  rules: GroupRuleUse[];
}

/**
 * The license rules whose FCFS groups include each of these groups (a page of the groups
 * list, or one group): one read for them all, each group's rules numbered in their order
 * and cut at `shown` if given (All Users is in every rule AC1 wrote: thousands in a large space).
 * A group no rule uses is absent from the map.
 */
export async function rulesUsingGroups(
  db: Db,
  spaceId: string,
  groupIds: readonly string[],
  shown?: number,
): Promise<Map<string, GroupUse>> {
  const out = new Map<string, GroupUse>();
  if (groupIds.length === 0) return out;
  const { rows } = await sql<{
    group_id: string;
    account_id: string;
    account_name: string;
    adam_id: string;
    app_name: string | null;
    total: number;
  }>`select u.group_id, u.account_id, u.account_name, u.adam_id, u.app_name, u.total from (
      select r.group_id, r.account_id, acc.display_name as account_name, r.adam_id,
        coalesce(a.name, c.name) as app_name,
        (row_number() over (partition by r.group_id
          order by coalesce(a.name, c.name, r.adam_id), r.adam_id, acc.priority, r.account_id))::int as n,
        (count(*) over (partition by r.group_id))::int as total
      from rule_groups r
      join accounts acc on acc.space_id = r.space_id and acc.id = r.account_id
      left join assets a on a.space_id = r.space_id and a.account_id = r.account_id and a.adam_id = r.adam_id
      left join catalog_apps c on c.space_id = r.space_id and c.adam_id = r.adam_id
      where r.space_id = ${spaceId} and r.group_id = any(${[...groupIds]}::text[])
    ) u
    ${shown === undefined ? sql`` : sql`where u.n <= ${shown}`}
    order by u.group_id, u.n`.execute(db);
  for (const r of rows) {
    const rule: GroupRuleUse = {
      accountId: r.account_id,
      accountName: r.account_name,
      adamId: r.adam_id,
      ...(r.app_name !== null ? { appName: r.app_name } : {}),
    };
    const use = out.get(r.group_id);
    if (use) use.rules.push(rule);
    else out.set(r.group_id, { total: r.total, rules: [rule] });
  }
  return out;
}

/**
 * Renames a group; the rules that use it read its new name (they refer to it by id). The
 * caller refuses All Users (AC1, DI7: built in, worded by the console in its own language).
 */
export function renameGroup(db: Db, spaceId: string, groupId: string, name: string): Promise<Group> {
  return updateGroupRow(db, spaceId, groupId, { name });
}

/**
 * The groups a user is in: All Users first (DI7: every user of the space is in it, without
 * a membership row), then the others by name.
 */
export async function groupsOfUser(db: Db, spaceId: string, userId: string): Promise<Group[]> {
  const rows = await db
    .selectFrom("groups as g")
    .selectAll("g")
    .where("g.space_id", "=", spaceId)
    .where((eb) =>
      eb.or([
        eb("g.id", "=", ALL_USERS),
        eb.exists(
          eb
            .selectFrom("group_members as m")
            .select("m.user_id")
            .whereRef("m.space_id", "=", "g.space_id")
            .whereRef("m.group_id", "=", "g.id")
            .where("m.user_id", "=", userId),
        ),
      ]),
    )
    .orderBy(sql`g.id = ${ALL_USERS}`, "desc")
    .orderBy("g.name")
    .orderBy("g.id")
    .execute();
  return rows.map(toGroup);
}
