import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Store } from "../src/store/index.js";
import type { BenchContext } from "./harness.js";

/** A fixed key: benches never keep data. */
export const BENCH_KEY = Buffer.alloc(32, 9).toString("base64");

/** The PostgreSQL server benches use, when one is configured. */
export function benchServerUrl(): string | undefined {
  return process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
}

/** A new database on the server, dropped by `drop()`. */
export async function freshDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `orchard_bench_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * Runs `measure` on embedded PGlite (in memory), then on a fresh PostgreSQL database
 * when a server is configured (else says so), closing and dropping what it opened.
 */
export async function onEachEngine(
  ctx: BenchContext,
  name: string,
  measure: (engine: "pglite" | "postgres", store: Store, url?: string) => Promise<void>,
): Promise<void> {
  // BENCH_ENGINE=pglite or postgres measures on that engine alone.
  const only = process.env.BENCH_ENGINE;
  if (only !== "postgres") {
    const pglite = await openDatabase({ memory: true, secretKey: BENCH_KEY });
    try {
      await measure("pglite", pglite);
    } finally {
      await pglite.close();
    }
  }
  if (only === "pglite") return;
  const serverUrl = benchServerUrl();
  if (!serverUrl) {
    ctx.log(`${name}.postgres skipped: set BENCH_DATABASE_URL or TEST_DATABASE_URL`);
    return;
  }
  const { url, drop } = await freshDatabase(serverUrl);
  try {
    const store = await openDatabase({ databaseUrl: url, memory: true, secretKey: BENCH_KEY });
    try {
      await measure("postgres", store, url);
    } finally {
      await store.close();
    }
  } finally {
    await drop();
  }
}
