import { randomUUID } from "node:crypto";
import { MdmDeliveryError, type MdmWebhookTarget, postToMdmWebhook } from "./sinks.js";

/**
 * The test message an administrator sends to check the MDM's webhook ("Send a test
 * webhook", `orchard mdm test-webhook`): signed and sent as every delivery is, marked
 * `type: "test"`, with no command to act on. A receiver that reads only `commands` finds
 * it empty; one that knows the type checks the signature, answers 2xx and does nothing.
 */
export interface MdmWebhookTestMessage {
  type: "test";
  test: {
    /** New for each test: a receiver may log it to match the administrator's test. */
    id: string;
    spaceId: string;
    /** ISO 8601. */
    sentAt: string;
  };
  commands: [];
}

/** What the test came to: the MDM's answer and how long it took, or why it failed. */
export type MdmWebhookTestResult =
  | { outcome: "delivered"; id: string; status: number; latencyMs: number }
  | {
      outcome: "failed";
      id: string;
      /** The HTTP status the MDM answered, when it answered. */
      status?: number;
      /** In words: "the MDM webhook answered HTTP 401", "… could not be reached (ECONNREFUSED)". */
      error: string;
      /** Whether a real delivery failing so would be tried again (unreachable, 408, 429, 5xx). */
      retryable: boolean;
      latencyMs: number;
    };

/** Sends one test message to the MDM's webhook and times it; never throws for the MDM's failure. */
export async function sendMdmWebhookTest(
  target: MdmWebhookTarget,
  input: { spaceId: string },
): Promise<MdmWebhookTestResult> {
  const now = target.now ?? (() => new Date());
  const message: MdmWebhookTestMessage = {
    type: "test",
    test: { id: randomUUID(), spaceId: input.spaceId, sentAt: now().toISOString() },
    commands: [],
  };
  const id = message.test.id;
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  try {
    const { status } = await postToMdmWebhook(target, message, { event: "mdm_test", id });
    return { outcome: "delivered", id, status, latencyMs: latencyMs() };
  } catch (error) {
    if (!(error instanceof MdmDeliveryError)) throw error;
    return {
      outcome: "failed",
      id,
      ...(error.status !== undefined ? { status: error.status } : {}),
      error: error.message,
      retryable: error.retryable,
      latencyMs: latencyMs(),
    };
  }
}
