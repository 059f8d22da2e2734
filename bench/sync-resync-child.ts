/**
 * The full resync of bench/sync.bench.ts (b), run in a process of its own so that its
 * peak RSS is Orchard's alone (not the simulator's million assignments next to it).
 * Input: one JSON argument; output: one JSON line.
 */
import { openDatabase } from "../src/store/index.js";
import { makeSyncDeps, resyncAccount } from "../src/sync/index.js";

const input = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  appleBaseUrl: string;
  spaceId: string;
  accountId: string;
  key: string;
};
const store = await openDatabase({
  databaseUrl: input.databaseUrl,
  memory: true,
  secretKey: input.key,
  poolSize: 4,
});
const deps = makeSyncDeps({
  db: store.db,
  keys: store.keys,
  appleBaseUrl: input.appleBaseUrl,
  mdmInfo: { id: "orchard-bench", name: "Orchard", metadata: "bench" },
});
const base = process.memoryUsage().rss;
let peak = base;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 10);
const started = performance.now();
const summary = await resyncAccount(deps, {
  spaceId: input.spaceId,
  accountId: input.accountId,
  actor: { kind: "admin" },
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await store.close();
process.stdout.write(
  `${JSON.stringify({ seconds, peakRssMb: Math.round(peak / 1e6), baseRssMb: Math.round(base / 1e6), atApple: summary.assignments?.atApple ?? 0 })}\n`,
);
