import type { FastifyBaseLogger } from "fastify";
import { type MdmDelivery, mdmWebhookSink, startMdmDelivery } from "../mdm/delivery-loop.js";
import { type RunningWorker, startWorker } from "../sync/index.js";
import type { Core } from "./compose.js";

export interface BackgroundWork {
  worker: RunningWorker;
  stop(): Promise<void>;
}

/**
 * The worker's work in the server's process (embedded PGlite): the sync worker (outbox to
 * Apple, events, scheduled syncs, grace, queue) and, with MDM_WEBHOOK_URL, the delivery of
 * MDM commands to it (without one, the MDM polls them), as `orchard worker` does.
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
  const sink = mdmWebhookSink(config.mdmWebhook);
  const deliveries: MdmDelivery | undefined = sink
    ? startMdmDelivery({ db: core.store.db, now: core.deps.now }, sink, logger)
    : undefined;
  return {
    worker,
    async stop() {
      await Promise.all([worker.stop(), deliveries?.stop()]);
    },
  };
}
