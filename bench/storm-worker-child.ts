/**
 * An `orchard worker` for the check-in storm of bench/sync.bench.ts (a) on PostgreSQL:
 * a process of its own beside the one deciding the check-ins, as Orchard runs over one
 * PostgreSQL (Apple's rate shared through the database), draining only (no schedule), with
 * the bench's short pauses (the parent's FAST tuning, idle 5 ms, not 1 s). It says "ready"
 * once its loop runs, and stops when told, after its round (SIGTERM's path).
 * Input: one JSON argument. Messages: IPC.
 */
import { openDatabase } from "../src/store/index.js";
import { makeSyncDeps, startWorker } from "../src/sync/index.js";

const input = JSON.parse(process.argv[2] ?? "{}") as {
  databaseUrl: string;
  appleBaseUrl: string;
  key: string;
  tuning: Parameters<typeof makeSyncDeps>[0]["tuning"];
  idleMs: number;
};
const store = await openDatabase({ databaseUrl: input.databaseUrl, poolSize: 4, secretKey: input.key });
const deps = makeSyncDeps({
  db: store.db,
  keys: store.keys,
  appleBaseUrl: input.appleBaseUrl,
  mdmInfo: { id: "orchard-bench", name: "Orchard", metadata: "bench" },
  tuning: input.tuning,
  // As `orchard worker` over PostgreSQL: Apple's request rate is shared by every worker.
  shareRateLimit: true,
  // Its rounds' failures are the bench's to see (the parent checks the outcome too).
  logger: {
    info() {},
    warn: (fields, message) => console.error("storm worker:", message, JSON.stringify(fields)),
    error: (fields, message) => console.error("storm worker:", message, JSON.stringify(fields)),
  },
});
const worker = startWorker(deps, { engine: "postgres", schedule: false, idleMs: input.idleMs });
process.on("message", (message) => {
  if (message !== "stop") return;
  void worker
    .stop()
    .then(() => store.close())
    .then(() => process.exit(0));
});
process.send?.("ready");
