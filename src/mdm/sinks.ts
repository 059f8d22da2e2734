import { createHmac, timingSafeEqual } from "node:crypto";

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

type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; ok: boolean }>;

/**
 * POSTs commands as JSON to the MDM, signed so the MDM can check they come from
 * Orchard: `X-Orchard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`
 * (the timestamp in the signed text stops replays, as Stripe-style webhooks do).
 */
export function createWebhookSink(options: {
  url: string;
  secret: string;
  fetch?: FetchLike;
  now?: () => Date;
  timeoutMs?: number;
}): MdmCommandSink {
  const send = options.fetch ?? (fetch as unknown as FetchLike);
  const now = options.now ?? (() => new Date());
  return {
    async deliver(commands) {
      if (commands.length === 0) return;
      const body = JSON.stringify({ commands });
      const t = Math.floor(now().getTime() / 1000);
      const signature = createHmac("sha256", options.secret).update(`${t}.${body}`).digest("hex");
      let response: { status: number; ok: boolean };
      try {
        response = await send(options.url, {
          method: "POST",
          headers: { "content-type": "application/json", "x-orchard-signature": `t=${t},v1=${signature}` },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
      } catch (error) {
        throw new MdmDeliveryError("the MDM webhook could not be reached", true, { cause: error });
      }
      if (!response.ok) {
        // 4xx other than 408/429 will not get better by retrying the same body.
        const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
        throw new MdmDeliveryError(`the MDM webhook answered HTTP ${response.status}`, retryable);
      }
    },
  };
}

/**
 * Verifies a signature made by `createWebhookSink` (for MDM vendors, and our tests), on
 * the raw body: the HMAC compared in constant time, and the timestamp within
 * `toleranceSeconds` (300) of `now`, so that a captured delivery cannot be replayed later.
 * Any `v1` may match (several are sent while a secret is being replaced). A malformed
 * header is false, never an exception.
 */
export function verifyWebhookSignature(input: {
  header: string;
  body: string;
  secret: string;
  now: Date;
  toleranceSeconds?: number;
}): boolean {
  const pairs = input.header.split(",").map((part) => {
    const at = part.indexOf("=");
    return at < 0 ? ["", ""] : [part.slice(0, at).trim(), part.slice(at + 1).trim()];
  });
  const timestamps = pairs.filter(([key]) => key === "t").map(([, value]) => value);
  const t = Number(timestamps[0]);
  if (timestamps.length !== 1 || !/^[0-9]{1,12}$/.test(timestamps[0] ?? "")) return false;
  if (Math.abs(input.now.getTime() / 1000 - t) > (input.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(
    createHmac("sha256", input.secret).update(`${t}.${input.body}`).digest("hex"),
    "utf8",
  );
  return pairs
    .filter(([key]) => key === "v1")
    .some(([, value]) => {
      const given = Buffer.from(value ?? "", "utf8");
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** The demo's MDM: commands are written to the log, as an MDM would receive them. */
export function createLogSink(logger: { info(obj: object, msg?: string): void }): MdmCommandSink {
  return {
    async deliver(commands) {
      for (const command of commands)
        logger.info(
          { mdmCommand: command },
          `MDM ${command.kind} ${command.adamId} on ${command.serialNumber}`,
        );
    },
  };
}
