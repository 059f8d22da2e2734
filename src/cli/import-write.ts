import { type Db, withTransaction } from "../store/database.js";
import { usersDeleted } from "../store/device.repo.js";
import { StoreError, sqlState, UNIQUE_VIOLATION } from "../store/errors.js";
import {
  addGroupMembers,
  createDevices,
  createGroup,
  createUsers,
  findDeviceBySerial,
  logGroupChange,
} from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";
import { CliError } from "./errors.js";
import { matchExisting } from "./import-match.js";
import { firstDuplicate, type ImportKind, type ImportRow, type Located } from "./import-rows.js";
import { type ExistingRow, type Updated, updateExisting } from "./import-update.js";

const CHUNK = 250;

type Rows<K extends ImportKind> = ReadonlyArray<Located<ImportRow<K>>>;

/**
 * Checks that need the database, before the transaction: users that rows refer to (of the
 * space, not deleted: RV5 keeps a deleted user's row for the history only), duplicates.
 * Serial numbers come upper-case (import-rows.ts), so c02d0000 and C02D0000 are one.
 */
export async function checkImport<K extends ImportKind>(
  db: Db,
  spaceId: string,
  kind: K,
  rows: Rows<K>,
  /** The rows to be written (not those kept as they are): the users they name must exist. */
  written: Rows<K> = rows,
): Promise<void> {
  const dup = duplicateOf(kind, rows as Rows<ImportKind>);
  if (dup)
    throw new CliError(`${dup.again}: "${dup.value}" is already on ${dup.first}; nothing was imported`);
  const refs = (written as Rows<ImportKind>).map(({ where, row }) => ({
    where,
    ids: "members" in row ? row.members : "userId" in row && row.userId ? [row.userId] : [],
  }));
  const wanted = [...new Set(refs.flatMap((r) => r.ids))];
  if (wanted.length === 0) return;
  const known = new Map<string, boolean>();
  for (let i = 0; i < wanted.length; i += 5000)
    for (const [id, deleted] of await usersDeleted(db, spaceId, wanted.slice(i, i + 5000)))
      known.set(id, deleted);
  for (const { where, ids } of refs) {
    const missing = ids.find((id) => known.get(id) !== false);
    if (missing === undefined) continue;
    const why = known.has(missing) ? "was deleted" : "not found";
    throw new CliError(`${where}: user ${missing} ${why}; nothing was imported`, 3);
  }
}

function duplicateOf(kind: ImportKind, rows: Rows<ImportKind>) {
  const by = (key: (row: ImportRow<ImportKind>) => string | undefined) => firstDuplicate(rows, key);
  const id = by((r) => r.id);
  if (id || kind === "groups") return id;
  if (kind === "devices") return by((r) => ("serialNumber" in r ? r.serialNumber : undefined));
  return (
    by((r) => ("externalId" in r ? r.externalId : undefined)) ??
    by((r) => ("clientUserId" in r ? r.clientUserId : undefined))
  );
}

/**
 * Writes every row in one transaction (all or nothing): the new records, then, with
 * `--existing update`, the changes to existing ones (import-update.ts); `onProgress(done)`
 * after each chunk. Returns the new ids in file order, and what the update changed.
 */
export async function writeImport<K extends ImportKind>(
  db: Db,
  by: ImportBy,
  kind: K,
  rows: Rows<K>,
  onProgress: (done: number) => void,
  existing: ReadonlyArray<ExistingRow<K>> = [],
): Promise<{ ids: string[] } & Updated> {
  try {
    // withTransaction: what follows the commit runs (AC7: new devices and users adopt what is listed for them).
    return await withTransaction(db, async (trx) => {
      const ids: string[] = [];
      for (let i = 0; i < rows.length; i += CHUNK) {
        const part = rows.slice(i, i + CHUNK) as Rows<ImportKind>;
        ids.push(...(await writeChunk(trx, by, kind, part)));
        onProgress(Math.min(rows.length, i + CHUNK));
      }
      const changed: Updated = { updated: [], unchanged: [] };
      for (let i = 0; i < existing.length; i += CHUNK) {
        const part = await updateExisting(trx, by, kind, existing.slice(i, i + CHUNK));
        changed.updated.push(...part.updated);
        changed.unchanged.push(...part.unchanged);
        onProgress(rows.length + Math.min(existing.length, i + CHUNK));
      }
      return { ids, ...changed };
    });
  } catch (error) {
    // A serial number taken in another case is refused before the unique index (createDevices).
    const taken = error instanceof StoreError && error.code === "already_exists";
    if (!taken && sqlState(error) !== UNIQUE_VIOLATION) throw error;
    throw await conflictOf(db, by.spaceId, kind, rows as Rows<ImportKind>);
  }
}

/** Where an import writes, and who and when for the activity log (groups: logGroupChange). */
interface ImportBy {
  spaceId: string;
  actor: Actor;
  now: Date;
}

async function writeChunk(db: Db, by: ImportBy, kind: ImportKind, part: Rows<ImportKind>): Promise<string[]> {
  const { spaceId } = by;
  if (kind === "users") {
    const users = part.flatMap(({ row }) => {
      if (!("name" in row) || "members" in row) return [];
      const { clientUserId, ...user } = row as ImportRow<"users">;
      return [
        { spaceId, ...user, ...(clientUserId !== undefined ? { appleClientUserId: clientUserId } : {}) },
      ];
    });
    return (await createUsers(db, users)).map((u) => u.id);
  }
  if (kind === "devices") {
    const devices = part.flatMap(({ row }) => ("serialNumber" in row ? [{ spaceId, ...row }] : []));
    return (await createDevices(db, devices)).map((d) => d.id);
  }
  const ids: string[] = [];
  for (const { row } of part) {
    if (!("members" in row)) continue;
    const { members, ...group } = row;
    const created = await createGroup(db, { spaceId, ...group });
    const userIds = await addGroupMembers(db, spaceId, created.id, [...new Set(members)]);
    await logGroupChange(db, { ...by, group: created, change: { kind: "created" } });
    await logGroupChange(db, { ...by, group: created, change: { kind: "members_added", userIds } });
    ids.push(created.id);
  }
  return ids;
}

/**
 * `--existing keep|update`: the rows whose record the space has already (import-match.ts),
 * set aside with that record's id, and the others, to create. A file sent again creates only
 * what is new.
 */
export async function splitExisting<K extends ImportKind>(
  db: Db,
  spaceId: string,
  kind: K,
  rows: Rows<K>,
): Promise<{ write: Rows<K>; kept: Array<ExistingRow<K>> }> {
  const matches = await matchExisting(db, spaceId, kind, rows as Rows<ImportKind>);
  const kept = rows.flatMap((row, i) => {
    const found = matches[i] ?? [];
    const first = found[0];
    return first === undefined ? [] : [{ ...row, id: first.id, matches: found }];
  });
  return { write: rows.filter((_, i) => (matches[i] ?? []).length === 0), kept };
}

/** After a unique violation rolled everything back: which row clashed with an existing record. */
async function conflictOf(
  db: Db,
  spaceId: string,
  kind: ImportKind,
  rows: Rows<ImportKind>,
): Promise<CliError> {
  if (kind === "devices") {
    for (const { where, row } of rows) {
      if ("serialNumber" in row && (await findDeviceBySerial(db, spaceId, row.serialNumber)))
        return new CliError(
          `${where}: a device with serial number ${row.serialNumber} already exists; nothing was imported (--existing keep imports the rest)`,
          4,
        );
    }
  }
  if (kind === "users") {
    const named = (await matchExisting(db, spaceId, kind, rows)).map((found) => found[0]);
    const clash = rows.findIndex((_, i) => named[i] !== undefined);
    const found = named[clash];
    if (found)
      return new CliError(
        `${rows[clash]?.where}: a user with ${found.key} "${found.value}" already exists; nothing was imported (--existing keep imports the rest)`,
        4,
      );
  }
  const what = kind === "users" ? "id, externalId or clientUserId" : "id";
  return new CliError(
    `a row has the ${what} of an existing ${kind.slice(0, -1)}; nothing was imported (--existing keep imports the rest)`,
    4,
  );
}
