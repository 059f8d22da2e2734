/**
 * Orchard's outgoing webhooks (install/remove commands for the MDM, notifications), one
 * scheme for both so that an integrator writes one verifier:
 *
 *   X-Orchard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *   X-Orchard-Event: mdm_commands | mdm_test | notification
 *   X-Orchard-Delivery: <the same id each time the same delivery is tried again>
 *
 * (the timestamp inside the signed text stops replays, as Stripe-style webhooks do; the
 * delivery id lets a receiver that answered too late recognise a retry, and the event lets one
 * endpoint route both webhooks before parsing the body).
 * A URL with `user:password@` is sent with those credentials as HTTP Basic: fetch refuses
 * a URL that carries them, and receivers behind a proxy often ask for them.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { ORCHARD_VERSION } from "./main/version.js";
import { parseRetryAfter } from "./retry-after.js";

export const SIGNATURE_HEADER = "x-orchard-signature";
export const EVENT_HEADER = "x-orchard-event";
export const DELIVERY_HEADER = "x-orchard-delivery";

/** What an Orchard webhook POST carries (X-Orchard-Event). */
export type WebhookEvent = "mdm_commands" | "mdm_test" | "notification";

/**
 * The header's value for this body at this time: one `v1` per secret. While a secret is
 * replaced, the previous one signs too, so that a receiver that still knows only the
 * previous secret keeps verifying until it is given the new one.
 */
export function signatureHeader(secrets: string | readonly string[], body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  const v1 = [secrets]
    .flat()
    .map((s) => `v1=${createHmac("sha256", s).update(`${t}.${body}`).digest("hex")}`);
  return [`t=${t}`, ...v1].join(",");
}

/**
 * Verifies a signature Orchard made (for integrators, and our tests), on the raw body:
 * the HMAC compared in constant time, and the timestamp within `toleranceSeconds` (300)
 * of `now`, so that a captured delivery cannot be replayed later. Any `v1` may match
 * (two are sent while a secret is being replaced: signatureHeader). A malformed header is false,
 * never an exception.
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

/** What a webhook POST needs from fetch. */
export type WebhookFetch = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: string;
    redirect: "manual";
    signal: AbortSignal;
  },
) => Promise<{
  status: number;
  ok: boolean;
  headers?: { get(name: string): string | null };
  body?: { cancel(): Promise<void> } | null;
}>;

/**
 * POSTs a JSON body, signed, to `url` (its credentials, if any, as HTTP Basic). Returns
 * the HTTP status, and when a refusal says when to come back (Retry-After), in how many
 * ms; throws fetch's error when the receiver cannot be reached (its message may quote the
 * URL: callers word their own).
 */
export async function postSignedJson(input: {
  url: string;
  secret: string;
  /** The secret being replaced, signing too until it is dropped (`*_WEBHOOK_PREVIOUS_SECRET`). */
  previousSecret?: string | undefined;
  body: string;
  event: WebhookEvent;
  /** Stable across the retries of one delivery (X-Orchard-Delivery). */
  deliveryId: string;
  now: Date;
  fetch?: WebhookFetch;
  timeoutMs?: number;
}): Promise<WebhookAnswer> {
  const send = input.fetch ?? (fetch as unknown as WebhookFetch);
  const target = new URL(input.url);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    // Who calls, for the receiver's logs and firewall rules.
    "user-agent": `Orchard/${ORCHARD_VERSION} (webhook)`,
    [EVENT_HEADER]: input.event,
    [DELIVERY_HEADER]: input.deliveryId,
    [SIGNATURE_HEADER]: signatureHeader(
      input.previousSecret ? [input.secret, input.previousSecret] : input.secret,
      input.body,
      input.now,
    ),
  };
  if (target.username || target.password) {
    const user = decoded(target.username);
    const password = decoded(target.password);
    headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
    target.username = "";
    target.password = "";
  }
  const response = await send(target.toString(), {
    method: "POST",
    headers,
    body: input.body,
    // A redirect would turn the POST into a GET and may carry the credentials elsewhere:
    // its 3xx is answered as a refusal, and the URL is to be fixed.
    redirect: "manual",
    signal: AbortSignal.timeout(input.timeoutMs ?? 10_000),
  });
  // The answer's body is not read: free the connection.
  await response.body?.cancel().catch(() => undefined);
  const retryAfterMs = response.ok
    ? undefined
    : parseRetryAfter(response.headers?.get("retry-after"), input.now);
  return {
    status: response.status,
    ok: response.ok,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** A webhook's answer: its status, and the wait its Retry-After asks for, if any. */
export interface WebhookAnswer {
  status: number;
  ok: boolean;
  retryAfterMs?: number;
}

/**
 * Why a webhook could not be reached, for a message safe to log and store: " (timed out)"
 * or the system error code (" (ECONNREFUSED)"), never fetch's text (it may quote the URL,
 * credentials and all); empty when neither is known.
 */
export function unreachableReason(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return " (timed out)";
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === "string" && /^[A-Z_]+$/.test(cause.code) ? cause.code : undefined;
  return code ? ` (${code})` : "";
}

/** A URL's user or password as typed: percent-decoded when it is valid percent-encoding ("50%off" is not). */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
