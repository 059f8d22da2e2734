import type { Command } from "commander";
import { pino } from "pino";
import { loadConfig } from "../../config.js";
import { mdmWebhookSink, startMdmDelivery } from "../../mdm/delivery-loop.js";
import { startMetricsServer } from "../../metrics/metrics-server.js";
import { openDatabase } from "../../store/index.js";
import { syncDepsFromConfig } from "../../sync/from-config.js";
import { startWorker } from "../../sync/index.js";
import { storeConfig } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";

interface WorkerFlags {
  schedule: boolean;
  leaseMs?: number;
  claimLimit?: number;
  idleMs?: number;
  json: boolean;
}

/**
 * `orchard worker`: drains the outbox to Apple and follows its events, and delivers the MDM
 * commands to MDM_WEBHOOK_URL when set; with PostgreSQL, any number of them share the work,
 * and one at a time runs the scheduled syncs.
 * SIGTERM/SIGINT end the round in progress, then exit.
 */
export function registerWorker(program: Command): void {
  withExamples(
    program
      .command("worker")
      .description(
        "run the sync worker and the MDM webhook's deliveries (DATABASE_URL, APPLE_BASE_URL, SYNC_CRON, FULL_SYNC_CRON, MDM_WEBHOOK_URL, *_RETENTION_DAYS, METRICS_PORT with METRICS_TOKEN)",
      )
      .option("--no-schedule", "only drain the outbox; leave scheduled syncs to other workers")
      .option("--lease-ms <ms>", "how long a claim on outbox rows lasts", parsePositive(3_600_000))
      .option("--claim-limit <n>", "outbox rows claimed per round", parsePositive(100_000))
      .option("--idle-ms <ms>", "pause between rounds when idle", parsePositive(3_600_000))
      .option("--json", "print one JSON line per round that did work", false),
    [
      "DATABASE_URL=postgres://orchard@db/orchard APPLE_BASE_URL=https://vpp.itunes.apple.com/mdm/v2 orchard worker",
      "orchard worker --no-schedule --json      # a second worker: drains the outbox only",
    ],
  ).action(async (flags: WorkerFlags) => {
    const config = loadConfig();
    if (!config.appleBaseUrl)
      throw new CliError(
        "set APPLE_BASE_URL (e.g. the URL `orchard simulator` prints); with the built-in simulator, `orchard serve` sends Apple's work itself",
      );
    const store = await openDatabase(storeConfig(config));
    const logger = pino({ level: config.logLevel }, pino.destination(2));
    const deps = syncDepsFromConfig(config, store, {
      logger,
      tuning: {
        ...(flags.leaseMs ? { leaseMs: flags.leaseMs } : {}),
        ...(flags.claimLimit ? { claimLimit: flags.claimLimit } : {}),
      },
    });
    const worker = startWorker(deps, {
      engine: store.engine,
      schedule: flags.schedule,
      syncCron: config.syncCron,
      fullSyncCron: config.fullSyncCron,
      retention: config.retention,
      ...(flags.idleMs ? { idleMs: flags.idleMs } : {}),
      ...(flags.json
        ? {
            onRound: ({ dispatch, follow }) => {
              if (dispatch.claimed + follow.events === 0) return;
              process.stdout.write(
                `${JSON.stringify({ worker: worker.id, sent: dispatch.sentSeqs, calls: dispatch.calls, events: follow.events, finished: follow.finished })}\n`,
              );
            },
          }
        : {}),
    });
    const sink = mdmWebhookSink(config.mdmWebhook);
    const deliveries = sink ? startMdmDelivery({ db: store.db, now: deps.now }, sink, logger) : undefined;
    const metrics =
      config.metricsPort !== undefined && config.metricsToken
        ? await startMetricsServer({
            db: store.db,
            now: deps.now,
            token: config.metricsToken.reveal(),
            host: config.host,
            port: config.metricsPort,
            onError: (error) => logger.warn({ err: error }, "metrics scrape failed"),
          })
        : undefined;
    logger.info(
      {
        workerId: worker.id,
        engine: store.engine,
        mdmWebhook: sink !== undefined,
        ...(metrics ? { metricsPort: metrics.port } : {}),
      },
      "worker started",
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
    });
    await Promise.all([worker.stop(), deliveries?.stop(), metrics?.close()]);
    await store.close();
    logger.info({ workerId: worker.id }, "worker stopped");
  });
}
