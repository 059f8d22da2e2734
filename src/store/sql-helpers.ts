import { type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from "kysely";
import type { Database } from "./database.js";

/** `column = any($1::text[])`: one parameter for a whole list, however long. */
export function inList(column: string, values: readonly string[]): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} = any(${[...values]}::text[])`;
}

/**
 * `column` holds `name` as people tell names apart: case and outer spaces aside. The rule
 * for names unique in a space (accounts' display names, groups' names).
 */
export function sameName(column: string, name: string): RawBuilder<boolean> {
  return sql<boolean>`lower(btrim(${sql.ref(column)})) = lower(btrim(${name}))`;
}

/**
 * A text[] parameter of strings, none null. pg quotes an array parameter element by element
 * in JavaScript (a third of a second of CPU per million); joined by newlines it goes as one
 * string that PostgreSQL splits. A value holding a newline, or an empty one (which the split
 * cannot tell from none), sends the array the usual way.
 */
export function textArray(values: readonly string[]): RawBuilder<string[]> {
  for (const v of values) if (v === "" || v.includes("\n")) return sql<string[]>`${[...values]}::text[]`;
  return sql<string[]>`string_to_array(${values.join("\n")}::text, chr(10))`;
}

/**
 * A space id the planner cannot see (an InitPlan's output), for lookups repeated per subject.
 * Seen as a value, a space its statistics do not know yet (a new space's first storm, or one
 * grown since the last ANALYZE) is priced at a row or two: the primary key's space_id prefix
 * then ties with the index on the subject's full key, and the planner may keep the first and
 * read the whole space once per subject (one batch of 1,000 check-ins took 26 s on PostgreSQL
 * in the storm bench, its plan caught by auto_explain). Unseen, the space is priced as an
 * average one, and the full key's index wins.
 */
export function unseenSpace(spaceId: string): RawBuilder<string> {
  return sql<string>`(select ${spaceId}::text)`;
}

/**
 * `unnest(ids) as s(id) cross join lateral (select * from <table> where space_id = … and
 * id = s.id limit 1) as d`: the rows of a list of ids, one primary-key probe each. A
 * LATERAL … LIMIT 1 is never turned into a join, so the plan cannot become a scan of the
 * table: with `id = any(…)` and a thousand ids, PostgreSQL's cost model (random reads priced
 * as uncached) often prefers scanning the whole table, whose size is the fleet's, not the list's.
 * `columns` replaces `*` (system columns such as ctid are not in `*`); `and` narrows each probe.
 */
export function probeByKey(
  table: "devices" | "users" | "licenses",
  spaceId: string,
  ids: readonly string[],
  options: { columns?: RawBuilder<unknown>; and?: RawBuilder<boolean> } = {},
) {
  const and = options.and ? sql` and ${options.and}` : sql``;
  return sql`unnest(${[...ids]}::text[]) as s(id)
    cross join lateral (select ${options.columns ?? sql`*`} from ${sql.table(table)}
      where space_id = ${unseenSpace(spaceId)} and id = s.id${and} limit 1) as d`;
}

/** Splits rows so one INSERT stays under PostgreSQL's 65,535 parameters. */
export function chunks<T>(rows: readonly T[], columns: number): T[][] {
  const size = Math.max(1, Math.floor(60_000 / Math.max(1, columns)));
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/** Rows by a key, in first-seen order (Map.groupBy comes with Node 21). */
export function groupBy<T, K>(rows: readonly T[], keyOf: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

/** Who or what caused a change (invariant 4). */
export interface Actor {
  kind: "admin" | "api_token" | "system" | "apple" | "mdm";
  id?: string;
}

/** A column written by `insertColumns`: its name, and its PostgreSQL type. */
export type ColumnSpec = readonly [
  name: string,
  type: "text" | "boolean" | "integer" | "timestamptz" | "jsonb" | "text[]",
];

/**
 * INSERT of many rows as one array parameter per column (`INSERT ... SELECT FROM
 * unnest(...)`): the statement stays the same size whatever the number of rows, so it
 * parses once and binds a handful of parameters instead of thousands.
 * A `text[]` column travels as comma-joined text (unnest would flatten arrays of arrays);
 * only for values without commas, such as rule ids.
 */
export async function insertColumns(
  db: Kysely<Database>,
  table: keyof Database & string,
  columns: readonly ColumnSpec[],
  rows: ReadonlyArray<readonly unknown[]>,
): Promise<void> {
  if (rows.length === 0) return;
  const params = columns.map(([, type], i) => {
    const values = rows.map((row) => {
      const value = row[i];
      if (value === null || value === undefined) return null;
      if (type === "text[]") return (value as readonly string[]).join(",");
      if (type === "jsonb") return JSON.stringify(value);
      if (value instanceof Date) return value.toISOString();
      return value;
    });
    const carrier = type === "text[]" || type === "jsonb" || type === "timestamptz" ? "text" : type;
    return sql`${values}::${sql.raw(carrier)}[]`;
  });
  const names = columns.map(([name]) => sql.ref(name));
  const selected = columns.map(([, type], i) => {
    const column = sql.ref(`c${i}`);
    if (type === "text[]") return sql`coalesce(string_to_array(${column}, ','), '{}')`;
    if (type === "jsonb" || type === "timestamptz") return sql`${column}::${sql.raw(type)}`;
    return column;
  });
  const aliases = columns.map((_, i) => sql.ref(`c${i}`));
  await sql`insert into ${sql.table(table)} (${sql.join(names)})
    select ${sql.join(selected)} from unnest(${sql.join(params)}) as t(${sql.join(aliases)})`.execute(db);
}

/** What an attempt at a leased delivery (an MDM command, a notification) leaves on its row. */
export function settledAttempt<S extends string>(input: {
  state: S;
  error?: string;
  notBefore?: Date;
  now: Date;
}): { state: S; last_error: string | null; not_before: Date | null; claimed_until: null; updated_at: Date } {
  return {
    state: input.state,
    last_error: input.error ?? null,
    not_before: input.notBefore ?? null,
    claimed_until: null,
    updated_at: input.now,
  };
}
