import { sql } from "kysely";
import type { LicenseType } from "../licensing/index.js";
import type { Db, Trx } from "./database.js";

/**
 * What a change of an app's rules did (DI1), for the audit: who entered and left each list,
 * named as the console names them, and FCFS before and after. Kept in the `rules.updated`
 * line's `details.changes`; the message keeps the counts.
 */
export interface RulesChange {
  fcfs?: { before: FcfsSetting | null; after: FcfsSetting | null };
  groups?: ListChange;
  reservedUsers?: ListChange;
  reservedDevices?: ListChange;
  prohibitedUsers?: ListChange;
}

export interface FcfsSetting {
  requestedType: LicenseType;
  mandatoryType: LicenseType;
}

/** One list's additions and removals: exact counts, and the first NAMED of each, named. */
export interface ListChange {
  added: Named[];
  removed: Named[];
  addedCount: number;
  removedCount: number;
}

/** A user or group by name, a device by serial number (absent for a row deleted since). */
export interface Named {
  id: string;
  name?: string;
}

/** The lists of one (account, app)'s rules, by id. */
export interface RuleIdLists {
  fcfs: FcfsSetting | null;
  groups: readonly string[];
  reservedUsers: readonly string[];
  reservedDevices: readonly string[];
  prohibitedUsers: readonly string[];
}

/** Lists reach 10,000 users: a line names the first of each change, its count says the rest. */
const NAMED = 50;

export async function ruleIdLists(
  trx: Trx,
  key: { spaceId: string; accountId: string; adamId: string },
): Promise<RuleIdLists> {
  const rule = await trx
    .selectFrom("app_rules")
    .select(["fcfs_enabled", "fcfs_requested_type", "fcfs_mandatory_type"])
    .where("space_id", "=", key.spaceId)
    .where("account_id", "=", key.accountId)
    .where("adam_id", "=", key.adamId)
    .executeTakeFirst();
  const of = sql`space_id = ${key.spaceId} and account_id = ${key.accountId} and adam_id = ${key.adamId}`;
  const { rows } = await sql<{ list: "group" | "reserved" | "prohibited" | "device"; id: string }>`
    select 'group' as list, group_id as id from rule_groups where ${of}
    union all select role, user_id from rule_users where ${of}
    union all select 'device', device_id from rule_devices where ${of}`.execute(trx);
  const ids = (list: (typeof rows)[number]["list"]) => rows.filter((r) => r.list === list).map((r) => r.id);
  return {
    fcfs: rule?.fcfs_enabled
      ? { requestedType: rule.fcfs_requested_type, mandatoryType: rule.fcfs_mandatory_type }
      : null,
    groups: ids("group"),
    reservedUsers: ids("reserved"),
    reservedDevices: ids("device"),
    prohibitedUsers: ids("prohibited"),
  };
}

/** The change from `before` to `after`, each list's entries named; lists that did not change are left out. */
export async function rulesChange(
  trx: Trx,
  spaceId: string,
  before: RuleIdLists,
  after: RuleIdLists,
): Promise<RulesChange> {
  const change: RulesChange = {};
  const sameFcfs =
    before.fcfs?.requestedType === after.fcfs?.requestedType &&
    before.fcfs?.mandatoryType === after.fcfs?.mandatoryType;
  if (!sameFcfs) change.fcfs = { before: before.fcfs, after: after.fcfs };
  const lists = [
    ["groups", "groups"],
    ["reservedUsers", "users"],
    ["reservedDevices", "devices"],
    ["prohibitedUsers", "users"],
  ] as const;
  for (const [list, table] of lists) {
    const was = new Set(before[list]);
    const is = new Set(after[list]);
    const added = after[list].filter((id) => !was.has(id));
    const removed = before[list].filter((id) => !is.has(id));
    if (added.length === 0 && removed.length === 0) continue;
    change[list] = await namedChange(trx, spaceId, table, added, removed);
  }
  return change;
}

/** Names as the console shows them: users' and groups' names, devices' serial numbers. */
const NAME_COLUMN = { users: "name", groups: "name", devices: "serial_number" } as const;

/** A list's change: exact counts, and the first NAMED ids of each side with their names (one query). */
export async function namedChange(
  db: Db,
  spaceId: string,
  table: keyof typeof NAME_COLUMN,
  added: readonly string[],
  removed: readonly string[],
): Promise<ListChange> {
  const shown = [...added.slice(0, NAMED), ...removed.slice(0, NAMED)];
  const { rows } =
    shown.length === 0
      ? { rows: [] }
      : await sql<{ id: string; name: string | null }>`select id, ${sql.ref(NAME_COLUMN[table])} as name
          from ${sql.table(table)} where space_id = ${spaceId} and id = any(${shown}::text[])`.execute(db);
  const names = new Map(rows.map((r) => [r.id, r.name]));
  const named = (id: string): Named => {
    const name = names.get(id);
    return name ? { id, name } : { id };
  };
  return {
    added: added.slice(0, NAMED).map(named),
    removed: removed.slice(0, NAMED).map(named),
    addedCount: added.length,
    removedCount: removed.length,
  };
}
