import { sql } from "kysely";
import type { Db } from "./database.js";

/**
 * Takes one request slot of a token's window shared by every process: at most `capacity`
 * requests in any `windowMs`, on the database's clock (one clock for all processes).
 * Returns 0 when the slot is taken, else the milliseconds to wait before asking again.
 * The row lock of the upsert makes concurrent takers see each other's slots.
 */
export async function takeRequestSlot(
  db: Db,
  input: { tokenKey: string; capacity: number; windowMs: number },
): Promise<number> {
  const cap = Math.max(1, Math.floor(input.capacity));
  const window = sql`make_interval(secs => ${input.windowMs / 1000}::float8)`;
  const taken = await sql<{ ok: number }>`
    insert into apple_request_windows as w (token_key, sent_at) values (${input.tokenKey}, array[clock_timestamp()])
    on conflict (token_key) do update
      set sent_at = w.sent_at[greatest(1, cardinality(w.sent_at) - ${cap}::int + 2):] || clock_timestamp()
      where cardinality(w.sent_at) < ${cap}::int
        or w.sent_at[cardinality(w.sent_at) - ${cap}::int + 1] <= clock_timestamp() - ${window}
    returning 1 as ok`.execute(db);
  if (taken.rows.length > 0) return 0;
  const { rows } = await sql<{ wait: number }>`
    select ceil(greatest(0, extract(epoch from
      sent_at[cardinality(sent_at) - ${cap}::int + 1] + ${window} - clock_timestamp()) * 1000))::int as wait
    from apple_request_windows where token_key = ${input.tokenKey}`.execute(db);
  return Math.max(1, Number(rows[0]?.wait ?? 1));
}
