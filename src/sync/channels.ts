/**
 * Where notifications go besides the dashboard (NT3): a signed webhook and e-mail.
 * The webhook body is signed with HMAC-SHA256 over "<timestamp>.<body>" so a receiver
 * can check both origin and freshness.
 */
import { createHmac } from "node:crypto";
import nodemailer from "nodemailer";
import type { FetchLike } from "../apple/index.js";
import type { Notification } from "../store/index.js";

export interface NotificationChannel {
  readonly name: string;
  deliver(notification: Notification): Promise<void>;
}

export const SIGNATURE_HEADER = "x-orchard-signature";
export const TIMESTAMP_HEADER = "x-orchard-timestamp";

/** `sha256=<hex>` of HMAC-SHA256(secret, "<timestamp>.<body>"). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export function webhookChannel(options: {
  url: string;
  secret: string;
  now?: () => Date;
  fetch?: FetchLike;
  timeoutMs?: number;
}): NotificationChannel {
  const send = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  return {
    name: "webhook",
    async deliver(notification) {
      const body = JSON.stringify({ type: "notification", notification });
      const timestamp = String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
      const response = await send(options.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(options.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (!response.ok) throw new Error(`webhook answered HTTP ${response.status}`);
    },
  };
}

/** E-mail through SMTP (`smtp://user:pass@host:port`, or `smtps://`). */
export function emailChannel(options: {
  smtpUrl: string;
  from: string;
  to: readonly string[];
}): NotificationChannel {
  const transport = nodemailer.createTransport(options.smtpUrl);
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
      await transport.sendMail({
        from: options.from,
        to: [...options.to],
        subject: `[Orchard] ${n.severity}: ${n.title}`,
        text: lines.join("\n"),
      });
    },
  };
}
