import type { FastifyBaseLogger } from "fastify";
import { createLogSink, createWebhookSink, deliverMdmCommands, type MdmCommandSink } from "../mdm/index.js";
import { type RunningWorker, startWorker } from "../sync/index.js";
import type { Core } from "./compose.js";

export interface BackgroundWork {
  worker: RunningWorker;
  stop(): Promise<void>;
}

/**
 * The work a worker process does besides the API: the sync worker (outbox to Apple,
 * events, scheduled syncs, grace, queue) and the delivery of MDM commands to the MDM's
 * webhook (MDM_WEBHOOK_URL) or, without one, to the log (the demo's MDM).
 */
export function startBackgroundWork(
  core: Core,
  logger: FastifyBaseLogger,
  options: { schedule?: boolean } = {},
): BackgroundWork {
  const { config } = core;
  const worker = startWorker(core.sync, {
    engine: core.store.engine,
    schedule: options.schedule ?? true,
    syncCron: config.syncCron,
    fullSyncCron: config.fullSyncCron,
    retention: config.retention,
  });
  const sink: MdmCommandSink = config.mdmWebhook
    ? createWebhookSink({ url: config.mdmWebhook.url, secret: config.mdmWebhook.secret.reveal() })
    : createLogSink(logger);
  let stopped = false;
  const deliveries = (async () => {
    const deps = { db: core.store.db, now: core.deps.now };
    while (!stopped) {
      let delivered = 0;
      try {
        delivered = await deliverMdmCommands(deps, sink);
      } catch (error) {
        logger.warn({ err: error }, "MDM command delivery failed; retrying");
      }
      if (delivered === 0 && !stopped) await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();
  return {
    worker,
    async stop() {
      stopped = true;
      await worker.stop();
      await deliveries;
    },
  };
}
