import { sql } from "kysely";
import type { DistributionRules, LicenseType } from "../licensing/index.js";
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

/** What a change compares of one (account, app)'s rules: FCFS (undefined: off) and the lists. */
type RuleLists = Pick<
  DistributionRules,
  "fcfs" | "reservedUserIds" | "reservedDeviceIds" | "prohibitedUserIds"
>;

/** Lists reach 10,000 users: a line names the first of each change, its count says the rest. */
const NAMED = 50;

/** The change from `before` to `after`, each list's entries named; lists that did not change are left out. */
export async function rulesChange(
  trx: Trx,
  spaceId: string,
  before: RuleLists,
  after: RuleLists,
): Promise<RulesChange> {
  const change: RulesChange = {};
  const setting = (r: RuleLists): FcfsSetting | null =>
    r.fcfs ? { requestedType: r.fcfs.requestedType, mandatoryType: r.fcfs.mandatoryType } : null;
  const [was, is] = [setting(before), setting(after)];
  if (was?.requestedType !== is?.requestedType || was?.mandatoryType !== is?.mandatoryType)
    change.fcfs = { before: was, after: is };
  const lists = [
    ["groups", "groups", (r: RuleLists) => r.fcfs?.groupIds ?? []],
    ["reservedUsers", "users", (r: RuleLists) => r.reservedUserIds],
    ["reservedDevices", "devices", (r: RuleLists) => r.reservedDeviceIds],
    ["prohibitedUsers", "users", (r: RuleLists) => r.prohibitedUserIds],
  ] as const;
  for (const [list, table, idsOf] of lists) {
    const [old, now] = [idsOf(before), idsOf(after)];
    const [had, has] = [new Set(old), new Set(now)];
    const added = now.filter((id) => !had.has(id));
    const removed = old.filter((id) => !has.has(id));
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
