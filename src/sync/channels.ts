/**
 * Where notifications go besides the dashboard (NT3): a signed webhook and e-mail.
 * The webhook is signed as every Orchard webhook (`X-Orchard-Signature: t=…,v1=…`,
 * src/webhook.ts), so a receiver checks origin and freshness with one verifier.
 */
import nodemailer from "nodemailer";
import { retryableStatus } from "../delivery-retry.js";
import type { Notification } from "../store/index.js";
import { postSignedJson, unreachableReason, type WebhookFetch } from "../webhook.js";

export interface NotificationChannel {
  /** Keys its deliveries (notification_deliveries.channel): stable across restarts. */
  readonly name: string;
  deliver(notification: Notification): Promise<void>;
}

/**
 * A delivery that did not happen, in words safe to log and store: never the URL, the
 * secret or the SMTP credentials. `retryable` false: the receiver refused it for good.
 */
export class NotificationDeliveryError extends Error {
  override readonly name = "NotificationDeliveryError";
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export function webhookChannel(options: {
  url: string;
  secret: string;
  /** NOTIFY_WEBHOOK_PREVIOUS_SECRET: signs too while the receiver moves to the new secret. */
  previousSecret?: string;
  now?: () => Date;
  fetch?: WebhookFetch;
  timeoutMs?: number;
}): NotificationChannel {
  return {
    name: "webhook",
    async deliver(notification) {
      let response: { status: number; ok: boolean };
      try {
        // Signed as the MDM webhook is (src/webhook.ts): one verifier for integrators.
        response = await postSignedJson({
          url: options.url,
          secret: options.secret,
          previousSecret: options.previousSecret,
          body: JSON.stringify({ type: "notification", notification }),
          now: options.now?.() ?? new Date(),
          ...(options.fetch ? { fetch: options.fetch } : {}),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        });
      } catch (error) {
        // fetch's own message may quote the URL, credentials and all.
        throw new NotificationDeliveryError(
          `the webhook could not be reached${unreachableReason(error)}`,
          true,
        );
      }
      if (!response.ok)
        throw new NotificationDeliveryError(
          `the webhook answered HTTP ${response.status}`,
          retryableStatus(response.status),
        );
    },
  };
}

/** E-mail through SMTP (`smtp://user:pass@host:port`, or `smtps://`). */
export function emailChannel(options: {
  smtpUrl: string;
  from: string;
  to: readonly string[];
  /** Per connection, greeting and silence (default 10 s each). */
  timeoutMs?: number;
}): NotificationChannel {
  // Bounded well below a delivery's lease: a stalled server must not hold the claim
  // until another worker sends the same mail (nodemailer waits up to 10 minutes).
  const timeout = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    url: options.smtpUrl,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  });
  return {
    name: "email",
    async deliver(n) {
      const lines = [
        n.title,
        "",
        `Severity: ${n.severity}`,
        `Type: ${n.kind} (${n.component})`,
        ...(n.accountId ? [`Account: ${n.accountId}`] : []),
        ...(n.adamId ? [`App: ${n.adamId}`] : []),
        ...Object.entries(n.details).map(
          ([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`,
        ),
      ];
      try {
        await transport.sendMail({
          from: options.from,
          to: [...options.to],
          subject: `[Orchard] ${n.severity}: ${n.title}`,
          text: lines.join("\n"),
          // One per notification: a mail sent again after a lost answer can be recognised.
          messageId: `<notification-${n.id}@orchard>`,
          headers: { "X-Orchard-Notification-Id": n.id },
        });
      } catch (error) {
        throw smtpError(error);
      }
    },
  };
}

/** An SMTP 5xx is a refusal for good; a 4xx, or no answer at all, may pass later. */
function smtpError(error: unknown): NotificationDeliveryError {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const status = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const code = typeof e.code === "string" && /^[A-Z_]+$/.test(e.code) ? e.code : undefined;
  const what = status ? `the SMTP server answered ${status}` : "the SMTP server could not be reached";
  return new NotificationDeliveryError(`${what}${code ? ` (${code})` : ""}`, !(status && status >= 500));
}
