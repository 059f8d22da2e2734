import { type Kysely, type Migration, sql } from "kysely";
import { runStatements } from "./run-statements.js";

/** SQL's `normalizeSerial` (device.repo.ts `serialKey`): a-z only, whatever the database's locale. */
const FOLDED = (column: string) =>
  `translate(${column}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`;

/** The lines a report shows of a long list; the rest is counted. */
const REPORT_LINES = 100;

/**
 * Serial numbers are kept upper-case (Apple's are, and Apple reads them without regard to
 * case): c02d0000 beside C02D0000 made two devices of one. Each serial stored otherwise is
 * upper-cased, and the spelling Apple was sent is kept in `apple_serial_number`: Apple's
 * assignments are under it, and Apple keeps being sent it. Two devices of a space whose
 * serials differ only in case are left as they are and reported: an administrator keeps
 * one. Lookups fold case through `devices_serial_key`. A non-iOS device marked Shared iPad
 * (accepted before; Shared iPad is iPadOS only, LT5) loses the mark, reported too: the
 * engine then applies its platform's rules (LT6 on a Mac).
 */
const statements = [
  `ALTER TABLE devices ADD COLUMN apple_serial_number text`,
  `CREATE INDEX devices_serial_key ON devices (space_id, ${FOLDED("serial_number")})`,
];

/** Where the migration says what it changed and what it left: the process's standard error. */
export type MigrationReport = (line: string) => void;
const toStderr: MigrationReport = (line) => process.stderr.write(`${line}\n`);

/**
 * The data part of 0026, also safe to run again (a serial already upper-case is left
 * alone). Exported for tests that build a legacy device on a migrated database.
 */
export async function normalizeDeviceSerials(db: Kysely<unknown>, report: MigrationReport): Promise<void> {
  const say = (line: string) => report(`0026_device_serials: ${line}`);
  const collisions = await sql<{ space_id: string; serial: string; devices: string[] }>`
    select space_id, ${sql.raw(FOLDED("serial_number"))} as serial,
      array_agg(id || ' (' || serial_number || ')' order by created_at, id) as devices
    from devices
    group by space_id, ${sql.raw(FOLDED("serial_number"))}
    having count(*) > 1
    order by space_id, serial`.execute(db);
  const upperCased = await sql`
    update devices d
    set apple_serial_number = coalesce(d.apple_serial_number, d.serial_number),
      serial_number = ${sql.raw(FOLDED("d.serial_number"))}
    where d.serial_number <> ${sql.raw(FOLDED("d.serial_number"))}
      and not exists (select 1 from devices o
        where o.space_id = d.space_id and o.id <> d.id
          and ${sql.raw(FOLDED("o.serial_number"))} = ${sql.raw(FOLDED("d.serial_number"))})`.execute(db);
  const upperCount = Number(upperCased.numAffectedRows ?? 0n);
  if (upperCount > 0)
    say(`${upperCount} serial numbers upper-cased (Apple keeps being sent their old spelling)`);
  listed(
    collisions.rows.map(
      (c) =>
        `space ${c.space_id}: devices ${c.devices.join(", ")} have serial numbers that differ only in case ` +
        `(${c.serial}): left as they are; keep one device and delete the others`,
    ),
    say,
  );

  const unshared = await sql<{ space_id: string; id: string; serial_number: string; platform: string }>`
    update devices set shared_ipad = false
    where shared_ipad and platform <> 'iOS'
    returning space_id, id, serial_number, platform`.execute(db);
  listed(
    unshared.rows.map(
      (d) =>
        `space ${d.space_id}: device ${d.id} (${d.serial_number}) is ${d.platform}: its Shared iPad mark is ` +
        "cleared (Shared iPad is iPadOS only)",
    ),
    say,
  );
}

function listed(lines: readonly string[], say: (line: string) => void): void {
  for (const line of lines.slice(0, REPORT_LINES)) say(line);
  if (lines.length > REPORT_LINES) say(`... and ${lines.length - REPORT_LINES} more like these`);
}

export function deviceSerials(report: MigrationReport = toStderr): Migration {
  return {
    up: async (db) => {
      await runStatements(db, statements);
      await normalizeDeviceSerials(db, report);
    },
  };
}
