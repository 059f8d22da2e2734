import { type RawBuilder, sql } from "kysely";

/**
 * `normalizeSerial` in SQL, as migration 0026 indexes it (`devices_serial_key`): one
 * spelling, or the index is not used. Kysely only, so that modules the console's types
 * reach (apple-work.repo.ts) can use it.
 */
export function serialKey(column: string): RawBuilder<string> {
  return sql<string>`translate(${sql.ref(column)}, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')`;
}
