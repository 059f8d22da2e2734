import { createRequire } from "node:module";
import { type PGlite, parse, protocol } from "@electric-sql/pglite";

/**
 * One query over PGlite in one exchange with its WASM backend, with its statement prepared
 * once per text. `PGlite.query` sends parse, describe, bind, describe, execute and sync as
 * six exchanges (it describes the statement to pick a serializer per parameter), and
 * parses every statement again each time; for the short queries of an API request that is
 * most of their cost. Parameters are sent as text, serialized as the `pg` driver does on
 * PostgreSQL (`prepareValue`), so both engines see the same values, and PostgreSQL infers
 * their types from the statement (our SQL casts arrays: `$1::text[]`).
 *
 * Named statements are kept per PGlite instance, at most MAX_STATEMENTS texts (Kysely's
 * texts do not vary with the number of values: lists travel as one array parameter); the
 * rest go unnamed. A statement whose result shape changed under it (DDL) is dropped and
 * run again unnamed.
 */
const MAX_STATEMENTS = 500;
const CACHED_PLAN_CHANGED = "0A000";

const require = createRequire(import.meta.url);
const { prepareValue } = require("pg/lib/utils.js") as { prepareValue: (value: unknown) => unknown };

type Message = { name: string; text?: string; status?: string };
type Serialize = {
  parse(input: { name?: string; text: string; types?: number[] }): Uint8Array;
  bind(input: { statement?: string; values: unknown[] }): Uint8Array;
  describe(input: { type: "P" | "S"; name?: string }): Uint8Array;
  execute(input: object): Uint8Array;
  close(input: { type: "P" | "S"; name?: string }): Uint8Array;
  sync(): Uint8Array;
};
const serialize = (protocol as unknown as { serialize: Serialize }).serialize;

interface Internals {
  execProtocolStream(message: Uint8Array, options: { syncToFs: boolean }): Promise<Message[]>;
  syncToFs(): Promise<void>;
  parsers: Record<number, (value: string, typeId: number) => unknown>;
}

export interface FastResult<R> {
  rows: R[];
  /** INSERT, UPDATE, DELETE, MERGE, SELECT, ... (from the command tag). */
  command: string;
  rowCount: number;
}

const statements = new WeakMap<PGlite, { names: Map<string, string>; next: number }>();

export async function fastQuery<R>(
  pglite: PGlite,
  text: string,
  params: readonly unknown[],
): Promise<FastResult<R>> {
  let cache = statements.get(pglite);
  if (!cache) {
    cache = { names: new Map(), next: 0 };
    statements.set(pglite, cache);
  }
  const names = cache;
  return pglite.runExclusive(() => cached<R>(pglite, names, text, params));
}

async function cached<R>(
  pglite: PGlite,
  cache: { names: Map<string, string>; next: number },
  text: string,
  params: readonly unknown[],
): Promise<FastResult<R>> {
  const known = cache.names.get(text);
  const fresh =
    known === undefined && cache.names.size < MAX_STATEMENTS ? `orchard_${cache.next++}` : undefined;
  try {
    const result = await run<R>(pglite, text, params, known, fresh);
    if (fresh) cache.names.set(text, fresh);
    return result;
  } catch (error) {
    if (fresh) await close(pglite, fresh); // parsed, then failed in bind or execute: drop it
    if (known !== undefined && sqlState(error) === CACHED_PLAN_CHANGED) {
      cache.names.delete(text);
      await close(pglite, known);
      return run<R>(pglite, text, params, undefined, undefined);
    }
    throw error;
  }
}

async function run<R>(
  pglite: PGlite,
  text: string,
  params: readonly unknown[],
  known: string | undefined,
  fresh: string | undefined,
): Promise<FastResult<R>> {
  const internals = pglite as unknown as Internals;
  const parts: Uint8Array[] = [];
  if (known === undefined) parts.push(serialize.parse({ name: fresh ?? "", text, types: [] }));
  parts.push(
    serialize.bind({
      statement: known ?? fresh ?? "",
      values: params.map((v) => (v === undefined ? null : prepareValue(v))),
    }),
    serialize.describe({ type: "P" }),
    serialize.execute({}),
    serialize.sync(),
  );
  const messages = await internals.execProtocolStream(concat(parts), { syncToFs: false });
  // Outside a transaction the change is complete: persist it as PGlite.query does.
  if (messages.findLast((m) => m.name === "readyForQuery")?.status === "I") await internals.syncToFs();
  const [result] = parse.parseResults(messages as never, internals.parsers as never);
  const tag = messages.findLast((m) => m.name === "commandComplete")?.text ?? "";
  const words = tag.split(" ");
  return {
    rows: (result?.rows ?? []) as R[],
    command: words[0] ?? "",
    rowCount: Number(words[words.length - 1]) || 0,
  };
}

async function close(pglite: PGlite, name: string): Promise<void> {
  const internals = pglite as unknown as Internals;
  await internals
    .execProtocolStream(concat([serialize.close({ type: "S", name }), serialize.sync()]), { syncToFs: false })
    .catch(() => undefined);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sqlState(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}
