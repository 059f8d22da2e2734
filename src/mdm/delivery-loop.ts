import type { ConfiguredWebhook } from "../config.js";
import { createPause } from "../pause.js";
import { deliverMdmCommands } from "./deliver.js";
import type { MdmDeps } from "./deps.js";
import { createWebhookSink, type MdmCommandSink, type MdmWebhookTarget } from "./sinks.js";

export interface MdmDelivery {
  stop(): Promise<void>;
}

/** The MDM's webhook from MDM_WEBHOOK_URL and MDM_WEBHOOK_SECRET (and _PREVIOUS_SECRET), if set. */
export function mdmWebhookTarget(webhook: ConfiguredWebhook | undefined): MdmWebhookTarget | undefined {
  if (!webhook) return undefined;
  const previousSecret = webhook.previousSecret?.reveal();
  return { url: webhook.url, secret: webhook.secret.reveal(), ...(previousSecret ? { previousSecret } : {}) };
}

/** The sink delivering to that webhook, if set. */
export function mdmWebhookSink(webhook: ConfiguredWebhook | undefined): MdmCommandSink | undefined {
  const target = mdmWebhookTarget(webhook);
  return target ? createWebhookSink(target) : undefined;
}

/**
 * Delivers MDM commands to the MDM's webhook as they become ready, beside the sync worker:
 * in every `orchard worker` (several share the commands: each batch is claimed) and in
 * `orchard serve` over embedded PGlite. Without a webhook nothing runs: the commands wait,
 * pending, for the MDM to poll `GET mdm/commands?ready=true` and acknowledge them.
 */
export function startMdmDelivery(
  deps: MdmDeps,
  sink: MdmCommandSink,
  logger: { warn(fields: Record<string, unknown>, message: string): void },
  idleMs = 1000,
): MdmDelivery {
  let stopped = false;
  const pause = createPause();
  const loop = (async () => {
    while (!stopped) {
      let delivered = 0;
      try {
        delivered = await deliverMdmCommands(deps, sink);
      } catch (error) {
        logger.warn({ err: String(error) }, "MDM command delivery failed; retrying");
      }
      if (delivered > 0 || stopped) continue;
      await pause.wait(idleMs);
    }
  })();
  return {
    async stop() {
      stopped = true;
      pause.wake();
      await loop;
    },
  };
}
