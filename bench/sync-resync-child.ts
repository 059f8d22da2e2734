/**
 * The full resync of bench/sync.bench.ts (b), run in a process of its own so that its
 * peak RSS is Orchard's alone (not the simulator's million assignments next to it).
 * The database is one of:
 * - PostgreSQL (`databaseUrl`), the account already created by the parent;
 * - PGlite in a data folder on disk (`dataDir`), created, migrated and given the account by
 *   the parent, which closed it before starting this process: what `orchard serve` opens;
 * - PGlite in memory (`sToken` without the others): created here, with its space and account.
 * Input: one JSON argument; output: one JSON line.
 */
import { createSpace, openDatabase } from "../src/store/index.js";
import { addAccount, makeSyncDeps, resyncAccount } from "../src/sync/index.js";

const input = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl?: string;
  dataDir?: string;
  sToken?: string;
  appleBaseUrl: string;
  spaceId?: string;
  accountId?: string;
  key: string;
};
const ADMIN = { kind: "admin" } as const;
const opened = performance.now();
const store = await openDatabase({
  ...(input.databaseUrl ? { databaseUrl: input.databaseUrl, poolSize: 4 } : {}),
  ...(input.dataDir ? { dataDir: input.dataDir } : { memory: true }),
  secretKey: input.key,
});
const deps = makeSyncDeps({
  db: store.db,
  keys: store.keys,
  appleBaseUrl: input.appleBaseUrl,
  mdmInfo: { id: "orchard-bench", name: "Orchard", metadata: "bench" },
});
let { spaceId, accountId } = input;
if (!spaceId || !accountId) {
  if (!input.sToken) throw new Error("give spaceId and accountId, or an sToken to create them");
  spaceId = (await createSpace(store.db, { name: "resync" })).id;
  const added = await addAccount(deps, { spaceId, name: "Big", sTokenFile: input.sToken, actor: ADMIN });
  accountId = added.account.id;
}
const openSeconds = (performance.now() - opened) / 1000;
// At rest: as in a process that has been up a while, what V8 will collect is collected
// (PGlite's initdb, when the database was created here, leaves ~300 MB of garbage behind).
for (let i = 0; i < 2; i++) {
  globalThis.gc?.();
  await new Promise((resolve) => setImmediate(resolve));
}
const base = process.memoryUsage.rss();
let peak = base;
// rss() alone: memoryUsage() also walks the heap, which cost ~0.1 s of the resync at this rate.
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage.rss());
}, 10);
const started = performance.now();
const summary = await resyncAccount(deps, { spaceId, accountId, actor: ADMIN });
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage.rss());
await store.close();
process.stdout.write(
  `${JSON.stringify({ seconds, openSeconds, peakRssMb: Math.round(peak / 1e6), baseRssMb: Math.round(base / 1e6), atApple: summary.assignments?.atApple ?? 0 })}\n`,
);
