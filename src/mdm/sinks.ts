import { createHash } from "node:crypto";
import { retryableStatus } from "../delivery-retry.js";
import type { MdmCommandTarget } from "../store/mdm-command.repo.js";
import {
  postSignedJson,
  unreachableReason,
  type WebhookAnswer,
  type WebhookEvent,
  type WebhookFetch,
} from "../webhook.js";

export { verifyWebhookSignature } from "../webhook.js";

/**
 * One instruction for the MDM: install or remove an app on a device, or (UB2) invite the
 * device's user to Apps and Books with Apple's link (InviteToProgram). `id` is the
 * command's for good: a delivery may be repeated (a timeout after the MDM stored it), so
 * the MDM acts on each id once. Its target (MdmCommandTarget: platform, bundle id, product
 * and license type) says which Apple command to build.
 */
export interface MdmCommandMessage extends MdmCommandTarget {
  id: string;
  /** The command's number in its space, as `GET mdm/commands` lists it. */
  seq: number;
  spaceId: string;
  kind: "install" | "remove" | "invite";
  deviceId: string;
  serialNumber: string;
  /** The app of an install or a remove; null for an invite. */
  adamId: string | null;
  /** UB2, an invite: the user invited, and Apple's invitation link (InviteToProgram's InvitationURL). */
  userId?: string;
  invitationUrl?: string;
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
  /** The HTTP status the MDM answered, when it answered at all. */
  readonly status: number | undefined;
  /** How long the MDM asked to be left alone (its Retry-After), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown; status?: number; retryAfterMs?: number | undefined },
  ) {
    super(message, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The MDM's webhook (MDM_WEBHOOK_URL, MDM_WEBHOOK_SECRET) and how to reach it. */
export interface MdmWebhookTarget {
  url: string;
  secret: string;
  /** MDM_WEBHOOK_PREVIOUS_SECRET: signs too while the MDM moves to the new secret. */
  previousSecret?: string;
  fetch?: WebhookFetch;
  now?: () => Date;
  timeoutMs?: number;
}

/**
 * POSTs commands as JSON to the MDM, signed so the MDM can check they come from
 * Orchard (`X-Orchard-Signature`, src/webhook.ts: one scheme for every Orchard webhook).
 */
export function createWebhookSink(target: MdmWebhookTarget): MdmCommandSink {
  return {
    async deliver(commands) {
      if (commands.length === 0) return;
      await postToMdmWebhook(target, { commands }, { event: "mdm_commands", id: deliveryIdOf(commands) });
    },
  };
}

/**
 * One signed POST of `message` to the MDM's webhook, as every delivery makes it (the test
 * message too, src/mdm/webhook-test.ts). An answer other than 2xx, or none, is an
 * MdmDeliveryError worded for the log and the console: never the URL nor the secret.
 */
export async function postToMdmWebhook(
  target: MdmWebhookTarget,
  message: unknown,
  delivery: { event: WebhookEvent; id: string },
): Promise<{ status: number }> {
  let response: WebhookAnswer;
  try {
    response = await postSignedJson({
      url: target.url,
      secret: target.secret,
      previousSecret: target.previousSecret,
      body: JSON.stringify(message),
      event: delivery.event,
      deliveryId: delivery.id,
      now: target.now?.() ?? new Date(),
      ...(target.fetch ? { fetch: target.fetch } : {}),
      ...(target.timeoutMs !== undefined ? { timeoutMs: target.timeoutMs } : {}),
    });
  } catch (error) {
    throw new MdmDeliveryError(`the MDM webhook could not be reached${unreachableReason(error)}`, true, {
      cause: error,
    });
  }
  if (!response.ok)
    throw new MdmDeliveryError(
      `the MDM webhook answered HTTP ${response.status}`,
      retryableStatus(response.status),
      { status: response.status, retryAfterMs: response.retryAfterMs },
    );
  return { status: response.status };
}

/**
 * The X-Orchard-Delivery of a batch of commands: the same commands tried again are the same
 * delivery (each command keeps its seq), another batch another id.
 */
function deliveryIdOf(commands: ReadonlyArray<{ seq: number }>): string {
  const seqs = commands.map((c) => c.seq).sort((a, b) => a - b);
  return `commands-${createHash("sha256").update(seqs.join(",")).digest("hex").slice(0, 32)}`;
}
