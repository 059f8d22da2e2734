/**
 * A worker: rounds of dispatch (outbox -> Apple) and follow-up (events -> results),
 * shared with any number of other workers over one PostgreSQL (leased claims, SKIP
 * LOCKED); and, in the one process holding the scheduler lock, the scheduled work:
 * incremental syncs (SYNC_CRON), full resyncs (FULL_SYNC_CRON), grace expiry (RV3),
 * token-expiry warnings (NT2), the waiting queues (DB2) and, hourly, the pruning of history
 * past its retention. Each round also sends the notifications a channel has not taken yet.
 * `stop()` (SIGTERM) ends the round in progress, whose claimed rows are then sent or
 * released, never left half-done, and hands the events it was following (it keeps their
 * lease after sending) to the others.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Cron } from "croner";
import { createPause } from "../pause.js";
import { releaseCallLeases } from "../store/apple-calls.repo.js";
import {
  DEFAULT_RETENTION,
  type PruneCursor,
  pruneExpired,
  type RetentionPolicy,
  vacuumPruned,
} from "../store/retention.repo.js";
import { listAllAccounts } from "../store/sync-accounts.repo.js";
import { refreshPlannerStatistics } from "../store/sync-maintenance.repo.js";
import type { SyncDeps } from "./deps.js";
import { type DispatchReport, dispatchOnce } from "./dispatch.js";
import { warnTokenExpiry } from "./expiry.js";
import { type FollowReport, followOnce } from "./follow.js";
import { expireGracePeriods } from "./grace.js";
import { registerWaitingUsers } from "./invitations.js";
import { deliverNotifications } from "./notify.js";
import { serveWaitingQueues } from "./queue.js";
import { reviewRefusalNotifications } from "./refusals.js";
import { advisoryLock, localLock, type SchedulerLock } from "./scheduler-lock.js";
import { type SyncMode, syncAccount } from "./sync.js";

export interface WorkerOptions {
  workerId?: string;
  /** Which database the worker shares: PostgreSQL uses an advisory lock for the scheduler. */
  engine: "postgres" | "pglite";
  /** Run the scheduled jobs (default true); false for extra workers that only drain the outbox. */
  schedule?: boolean;
  syncCron?: string;
  fullSyncCron?: string;
  /** Grace expiry, expiry warnings, the queue safety net and the hourly pruning (default every minute). */
  housekeepingCron?: string;
  /** How long history is kept (default DEFAULT_RETENTION; config: *_RETENTION_DAYS). */
  retention?: RetentionPolicy;
  /** Pause between rounds when there was nothing to do, in ms (default 1000). */
  idleMs?: number;
  /** Called after each round (tests, metrics). */
  onRound?: (round: WorkerRound) => void;
}

/** What a round did: Apple's outbox, the events followed, the notification deliveries claimed. */
export interface WorkerRound {
  dispatch: DispatchReport;
  follow: FollowReport;
  notified: number;
}

export interface RunningWorker {
  readonly id: string;
  /** Ends after the round in progress; releases the scheduler lock. */
  stop(): Promise<void>;
  /** One dispatch + follow round now (tests drive the worker with it). */
  runRound(): Promise<WorkerRound>;
  /** A scheduled job, run now if this worker holds the scheduler lock. */
  runJob(job: "sync" | "full_sync" | "housekeeping"): Promise<boolean>;
}

const STATISTICS_EVERY_MS = 10 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;

export function startWorker(deps: SyncDeps, options: WorkerOptions): RunningWorker {
  const id = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const idleMs = options.idleMs ?? 1000;
  const lock: SchedulerLock = options.engine === "postgres" ? advisoryLock(deps.db) : localLock();
  let stopping = false;
  const pause = createPause();
  let busy: Promise<unknown> = Promise.resolve();
  let statisticsAt = Number.NEGATIVE_INFINITY;
  let prunedAt = Number.NEGATIVE_INFINITY;
  /** Where the last prune's walk through the MDM commands stopped. */
  const pruneCursor: PruneCursor = {};

  const round = async () => {
    const dispatch = await dispatchOnce(deps, id);
    const follow = await followOnce(deps, id);
    // Notifications a channel missed (down, or a process ended mid-way), a few a round: a
    // slow channel must not hold Apple's work back for long, nor its errors stop it.
    const notified = await deliverNotifications(deps, { limit: 10 }).catch((error: unknown) => {
      deps.logger.warn({ workerId: id, err: String(error) }, "notification deliveries failed");
      return 0;
    });
    const result = { dispatch, follow, notified };
    options.onRound?.(result);
    return result;
  };

  const loop = (async () => {
    while (!stopping) {
      let idle = true;
      try {
        const r = await round();
        idle = r.dispatch.claimed === 0 && r.follow.events === 0 && r.notified === 0;
      } catch (error) {
        deps.logger.error({ workerId: id, err: String(error) }, "worker round failed");
      }
      if (idle && !stopping) await pause.wait(idleMs);
    }
  })();

  const pruneHistory = async (now: Date) => {
    const pruned = await pruneExpired(deps.db, options.retention ?? DEFAULT_RETENTION, now, {
      cursor: pruneCursor,
    });
    if (Object.values(pruned).every((n) => n === 0)) return;
    deps.logger.info({ workerId: id, pruned }, "history past its retention pruned");
    // PGlite has no autovacuum either: without it the deleted rows' space is never reused.
    if (options.engine === "pglite") await vacuumPruned(deps.db, pruned);
  };
  const jobs: Record<"sync" | "full_sync" | "housekeeping", () => Promise<void>> = {
    sync: () => syncAll(deps, "incremental"),
    full_sync: () => syncAll(deps, "full"),
    housekeeping: async () => {
      // PGlite has no autovacuum: its planner statistics are refreshed here (every 10 minutes).
      if (options.engine === "pglite" && Date.now() - statisticsAt >= STATISTICS_EVERY_MS) {
        statisticsAt = Date.now();
        await refreshPlannerStatistics(deps.db).catch((error: unknown) => {
          deps.logger.warn({ workerId: id, err: String(error) }, "planner statistics not refreshed");
        });
      }
      await expireGracePeriods(deps);
      await warnTokenExpiry(deps);
      await serveWaitingQueues(deps);
      // UB2: users a request waits for, registered at Apple where the space asks for it.
      await registerWaitingUsers(deps);
      // Apple's refusals: a notification per (account, app) still to act on, cleared once resolved.
      await reviewRefusalNotifications(deps);
      // History past its retention, once an hour, last: in bounded batches, so a backlog takes
      // several hours rather than one long run; a failure waits for the next hour.
      const now = deps.now();
      if (now.getTime() - prunedAt >= PRUNE_EVERY_MS) {
        prunedAt = now.getTime();
        await pruneHistory(now).catch((error: unknown) => {
          deps.logger.warn({ workerId: id, err: String(error) }, "history not pruned");
        });
      }
    },
  };
  const runJob = async (job: keyof typeof jobs): Promise<boolean> => {
    if (stopping || !(await lock.tryAcquire())) return false;
    const run = jobs[job]().catch((error: unknown) => {
      deps.logger.error({ workerId: id, job, err: String(error) }, "scheduled job failed");
    });
    busy = Promise.all([busy, run]);
    await run;
    return true;
  };
  const crons =
    options.schedule === false
      ? []
      : [
          new Cron(options.syncCron ?? "*/15 * * * *", { protect: true }, async () => {
            await runJob("sync");
          }),
          new Cron(options.fullSyncCron ?? "30 3 * * *", { protect: true }, async () => {
            await runJob("full_sync");
          }),
          new Cron(options.housekeepingCron ?? "* * * * *", { protect: true }, async () => {
            await runJob("housekeeping");
          }),
        ];

  return {
    id,
    async stop() {
      stopping = true;
      for (const cron of crons) cron.stop();
      pause.wake();
      await loop;
      // Events this worker sent and was following go to the others now, not when the lease runs out.
      await releaseCallLeases(deps.db, { workerId: id, now: deps.now() }).catch((error: unknown) => {
        deps.logger.warn({ workerId: id, err: String(error) }, "could not hand over followed events");
      });
      await busy;
      await lock.release();
    },
    runRound: round,
    runJob,
  };
}

/** Every account, one after another; one failing does not stop the others. */
async function syncAll(deps: SyncDeps, mode: SyncMode): Promise<void> {
  for (const account of await listAllAccounts(deps.db)) {
    try {
      await syncAccount(deps, { spaceId: account.spaceId, accountId: account.id, mode });
    } catch (error) {
      deps.logger.warn({ accountId: account.id, mode, err: String(error) }, "account sync failed");
    }
  }
}
