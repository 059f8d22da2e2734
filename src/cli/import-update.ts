import type { Trx } from "../store/database.js";
import { findDevices, sharedIpadRefusal, usersDeleted } from "../store/device.repo.js";
import { updateDevice, updateUser } from "../store/directory.repo.js";
import {
  addGroupMembers,
  findGroupsByKeys,
  getGroup,
  groupMemberIds,
  logGroupChange,
  removeGroupMembers,
  renameGroup,
  setGroupExternalId,
} from "../store/group.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import type { Actor } from "../store/sql-helpers.js";
import { findUsers } from "../store/user.repo.js";
import { CliError } from "./errors.js";
import type { Match } from "./import-match.js";
import type { ImportKind, ImportRow, Located } from "./import-rows.js";

/** A row of the file whose record the space has already (import-write.ts splitExisting). */
export type ExistingRow<K extends ImportKind> = Located<ImportRow<K>> & { id: string; matches: Match[] };

export interface Updated {
  /** Records the file changed. */
  updated: string[];
  /** Records the file names as they are already, or deleted users (RV5: kept for the history only). */
  unchanged: string[];
}

interface UpdateBy {
  spaceId: string;
  actor: Actor;
  now: Date;
}

const CONFLICT = 4;

/**
 * `--existing update`: each row changes the record it names, one field per column the file
 * gives (`given`): a value sets the field, an empty cell (JSON null) clears an optional one;
 * a column the file does not have leaves its field as it is. A record the row leaves as it is
 * is not written, so its `updatedAt` (an MDM's incremental reads) does not move. A row whose
 * keys name two records, or whose id is not its record's, is refused: ids do not change.
 * Runs in the import's transaction: all or nothing.
 */
export async function updateExisting<K extends ImportKind>(
  trx: Trx,
  by: UpdateBy,
  kind: K,
  rows: ReadonlyArray<ExistingRow<K>>,
): Promise<Updated> {
  for (const row of rows as ReadonlyArray<ExistingRow<ImportKind>>) checkSameRecord(kind, row);
  if (kind === "users") return updateUsers(trx, by, rows as ReadonlyArray<ExistingRow<"users">>);
  if (kind === "devices") return updateDevices(trx, by, rows as ReadonlyArray<ExistingRow<"devices">>);
  return updateGroups(trx, by, rows as ReadonlyArray<ExistingRow<"groups">>);
}

function checkSameRecord(kind: ImportKind, { where, row, id, matches }: ExistingRow<ImportKind>): void {
  const one = kind.slice(0, -1);
  const [first, other] = matches;
  if (first && other)
    throw new CliError(
      `${where}: its ${first.key} "${first.value}" is ${one} ${first.id}, its ${other.key} "${other.value}" ${one} ${other.id}; nothing was imported`,
      CONFLICT,
    );
  if (first && row.id !== undefined && row.id !== id)
    throw new CliError(
      `${where}: ${first.key} "${first.value}" is ${one} ${id}, not ${row.id} (an id does not change); nothing was imported`,
      CONFLICT,
    );
}

/** The value a given field takes: the row's, or null (cleared) when the file gives it empty. */
const cleared = <T>(given: ReadonlySet<string>, field: string, value: T | undefined, now: T | undefined) =>
  given.has(field) && (value ?? null) !== (now ?? null) ? { value: value ?? null } : undefined;

/** Writes a record's changes, if any: counted updated, else unchanged (and not written). */
async function written(out: Updated, id: string, set: object, write: () => Promise<unknown>): Promise<void> {
  if (Object.keys(set).length === 0) {
    out.unchanged.push(id);
    return;
  }
  await write();
  out.updated.push(id);
}

async function updateUsers(
  trx: Trx,
  by: UpdateBy,
  rows: ReadonlyArray<ExistingRow<"users">>,
): Promise<Updated> {
  const ids = rows.map((r) => r.id);
  const users = new Map((await findUsers(trx, by.spaceId, ids)).map((u) => [u.id, u]));
  const deleted = await usersDeleted(trx, by.spaceId, ids);
  const out: Updated = { updated: [], unchanged: [] };
  for (const { where, row, given, id } of rows) {
    const user = users.get(id);
    if (!user || deleted.get(id)) {
      out.unchanged.push(id);
      continue;
    }
    const set: Parameters<typeof updateUser>[3] = {};
    if (row.name !== user.name) set.name = row.name;
    for (const field of ["email", "managedAppleId", "externalId"] as const) {
      const change = cleared(given, field, row[field], user[field]);
      if (change) set[field] = change.value;
    }
    // AC7: Apple's id of a user is set once; Apple never changes it.
    if (row.clientUserId !== undefined && row.clientUserId !== user.clientUserId) {
      if (user.clientUserId !== undefined)
        throw new CliError(
          `${where}: user ${id} is ${user.clientUserId} at Apple, not ${row.clientUserId} (Apple never changes it, AC7); nothing was imported`,
          CONFLICT,
        );
      set.clientUserId = row.clientUserId;
    }
    await written(out, id, set, () => updateUser(trx, by.spaceId, id, set, by.now));
  }
  return out;
}

async function updateDevices(
  trx: Trx,
  by: UpdateBy,
  rows: ReadonlyArray<ExistingRow<"devices">>,
): Promise<Updated> {
  const devices = new Map(
    (
      await findDevices(
        trx,
        by.spaceId,
        rows.map((r) => r.id),
      )
    ).map((d) => [d.id, d]),
  );
  const out: Updated = { updated: [], unchanged: [] };
  for (const { where, row, given, id } of rows) {
    const device = devices.get(id);
    if (!device) throw new Error(`device ${id} matched, then not found`);
    if (normalizeSerial(row.serialNumber) !== normalizeSerial(device.serialNumber))
      throw new CliError(
        `${where}: device ${id} has serial number ${device.serialNumber}, not ${row.serialNumber} (a serial number does not change); nothing was imported`,
        CONFLICT,
      );
    const set: Parameters<typeof updateDevice>[3] = {};
    if (row.platform !== device.platform) set.platform = row.platform;
    for (const field of ["sharedIpad", "supervised"] as const)
      if (given.has(field) && row[field] !== device[field]) set[field] = row[field];
    const user = cleared(given, "userId", row.userId, device.userId);
    if (user) set.userId = user.value;
    for (const field of ["name", "model", "osVersion"] as const) {
      const change = cleared(given, field, row[field], device[field]);
      if (change) set[field] = change.value;
    }
    // A column left out keeps the device's mark: a Shared iPad moved to macOS by its platform alone.
    const refused = sharedIpadRefusal({
      platform: set.platform ?? device.platform,
      sharedIpad: set.sharedIpad ?? device.sharedIpad,
    });
    if (refused) throw new CliError(`${where}: sharedIpad: ${refused}; nothing was imported`);
    await written(out, id, set, () => updateDevice(trx, by.spaceId, id, set, by.now));
  }
  return out;
}

async function updateGroups(
  trx: Trx,
  by: UpdateBy,
  rows: ReadonlyArray<ExistingRow<"groups">>,
): Promise<Updated> {
  // An externalId another group has would make two groups one to the next import.
  const holders = await findGroupsByKeys(trx, by.spaceId, {
    ids: [],
    externalIds: rows.flatMap(({ row }) => row.externalId ?? []),
    names: [],
  });
  const out: Updated = { updated: [], unchanged: [] };
  for (const { where, row, given, id } of rows) {
    let group = await getGroup(trx, by.spaceId, id);
    if (group.builtIn)
      throw new CliError(
        `${where}: ${group.name} is built in (AC1): its name and members do not change; nothing was imported`,
        CONFLICT,
      );
    const log = (change: Parameters<typeof logGroupChange>[1]["change"]) =>
      logGroupChange(trx, { ...by, group, change });
    let changed = false;
    if (row.name !== group.name) {
      const from = group.name;
      group = await renameGroup(trx, by.spaceId, id, row.name);
      await log({ kind: "renamed", from });
      changed = true;
    }
    const external = cleared(given, "externalId", row.externalId, group.externalId);
    if (external) {
      const holder = holders.find((g) => g.externalId === row.externalId && g.id !== id);
      if (holder)
        throw new CliError(
          `${where}: externalId "${row.externalId}" is group ${holder.id}'s; nothing was imported`,
          CONFLICT,
        );
      group = await setGroupExternalId(trx, by.spaceId, id, external.value);
      changed = true;
    }
    if (given.has("members")) {
      const wanted = new Set(row.members);
      const now = await groupMemberIds(trx, by.spaceId, id);
      const leaving = now.filter((u) => !wanted.has(u));
      const held = new Set(now);
      const added = await addGroupMembers(
        trx,
        by.spaceId,
        id,
        [...wanted].filter((u) => !held.has(u)),
      );
      const removed = await removeGroupMembers(trx, by.spaceId, id, leaving);
      await log({ kind: "members_added", userIds: added });
      await log({ kind: "members_removed", userIds: removed });
      changed ||= added.length + removed.length > 0;
    }
    (changed ? out.updated : out.unchanged).push(id);
  }
  return out;
}
