import type { Db } from "../store/database.js";
import { findDevices, findDevicesBySerial } from "../store/device.repo.js";
import { findGroupsByKeys } from "../store/group.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import { findUsersByKeys } from "../store/user.repo.js";
import type { ImportKind, ImportRow, Located } from "./import-rows.js";

type Rows = ReadonlyArray<Located<ImportRow<ImportKind>>>;

/** A record of the space a row names already, and by which of its keys. */
export interface Match {
  id: string;
  key: "id" | "externalId" | "clientUserId" | "serialNumber" | "name";
  value: string;
}

/** What names a user uniquely in a space: a file's row may name an existing user by any. */
const USER_KEYS = ["id", "externalId", "clientUserId"] as const;

/**
 * Per row, the records of the space it names already, each once, in the order of the keys
 * that name them: a user by its id, externalId or clientUserId; a device by its serial number
 * (whatever its status, in any case), then its id; a group by its id, else its externalId,
 * else its name (case and outer spaces aside). Two records for one row: the file and the
 * space disagree (`--existing update` refuses it). One query per kind for the whole file.
 */
export async function matchExisting(
  db: Db,
  spaceId: string,
  kind: ImportKind,
  rows: Rows,
): Promise<Match[][]> {
  const of = (key: (row: ImportRow<ImportKind>) => string | undefined) =>
    rows.flatMap(({ row }) => key(row) ?? []);
  const field = (row: ImportRow<ImportKind>, name: string) =>
    (row as Record<string, unknown>)[name] as string | undefined;
  const distinct = (found: ReadonlyArray<Match | undefined>) =>
    found.filter((m, i): m is Match => m !== undefined && found.findIndex((o) => o?.id === m.id) === i);

  if (kind === "users") {
    const existing = await findUsersByKeys(db, spaceId, {
      ids: of((row) => field(row, "id")),
      externalIds: of((row) => field(row, "externalId")),
      clientUserIds: of((row) => field(row, "clientUserId")),
    });
    const held = USER_KEYS.map(
      (key) => [key, new Map(existing.flatMap((u) => (u[key] ? [[u[key], u.id] as const] : [])))] as const,
    );
    return rows.map(({ row }) =>
      distinct(
        held.map(([key, ids]) => {
          const value = field(row, key);
          const id = value === undefined ? undefined : ids.get(value);
          return id === undefined || value === undefined ? undefined : { id, key, value };
        }),
      ),
    );
  }
  if (kind === "devices") {
    const bySerial = await findDevicesBySerial(
      db,
      spaceId,
      of((row) => field(row, "serialNumber")),
    );
    const byId = new Set(
      (
        await findDevices(
          db,
          spaceId,
          of((row) => row.id),
        )
      ).map((d) => d.id),
    );
    return rows.map(({ row }) => {
      const serial = field(row, "serialNumber") ?? "";
      const bySerialNumber = bySerial.get(normalizeSerial(serial));
      return distinct([
        bySerialNumber && { id: bySerialNumber.id, key: "serialNumber", value: serial },
        row.id !== undefined && byId.has(row.id) ? { id: row.id, key: "id", value: row.id } : undefined,
      ]);
    });
  }
  const groups = await findGroupsByKeys(db, spaceId, {
    ids: of((row) => row.id),
    externalIds: of((row) => field(row, "externalId")),
    names: of((row) => field(row, "name")),
  });
  const folded = (name: string) => name.trim().toLowerCase();
  return rows.map(({ row }) => {
    const group = row as ImportRow<"groups">;
    const [key, value, found] =
      group.id !== undefined
        ? (["id", group.id, groups.find((g) => g.id === group.id)] as const)
        : group.externalId !== undefined
          ? (["externalId", group.externalId, groups.find((g) => g.externalId === group.externalId)] as const)
          : (["name", group.name, groups.find((g) => folded(g.name) === folded(group.name))] as const);
    return found ? [{ id: found.id, key, value }] : [];
  });
}
