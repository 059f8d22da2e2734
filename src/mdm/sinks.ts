import { retryableStatus } from "../delivery-retry.js";
import { postSignedJson, type WebhookFetch } from "../webhook.js";

export { verifyWebhookSignature } from "../webhook.js";

/**
 * One instruction for the MDM: install or remove an app on a device. `id` is the
 * command's for good: a delivery may be repeated (a timeout after the MDM stored it), so
 * the MDM acts on each id once.
 */
export interface MdmCommandMessage {
  id: string;
  /** The command's number in its space, as `GET mdm/commands` lists it. */
  seq: number;
  spaceId: string;
  kind: "install" | "remove";
  deviceId: string;
  serialNumber: string;
  adamId: string;
  /** The license the install relies on, if any (the MDM may show it). */
  licenseId?: string;
  /** DB4: the version an update installs. */
  appVersion?: string;
  /** Rule ids of docs/RULES.md that caused the command. */
  because: readonly string[];
  createdAt: string;
}

/** Where MDM commands go: the MDM's webhook, or a log for the demo. */
export interface MdmCommandSink {
  deliver(commands: readonly MdmCommandMessage[]): Promise<void>;
}

export class MdmDeliveryError extends Error {
  override readonly name = "MdmDeliveryError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * POSTs commands as JSON to the MDM, signed so the MDM can check they come from
 * Orchard (`X-Orchard-Signature`, src/webhook.ts: one scheme for every Orchard webhook).
 */
export function createWebhookSink(options: {
  url: string;
  secret: string;
  fetch?: WebhookFetch;
  now?: () => Date;
  timeoutMs?: number;
}): MdmCommandSink {
  const now = options.now ?? (() => new Date());
  return {
    async deliver(commands) {
      if (commands.length === 0) return;
      let response: { status: number; ok: boolean };
      try {
        response = await postSignedJson({
          url: options.url,
          secret: options.secret,
          body: JSON.stringify({ commands }),
          now: now(),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        });
      } catch (error) {
        throw new MdmDeliveryError("the MDM webhook could not be reached", true, { cause: error });
      }
      if (!response.ok)
        throw new MdmDeliveryError(
          `the MDM webhook answered HTTP ${response.status}`,
          retryableStatus(response.status),
        );
    },
  };
}
