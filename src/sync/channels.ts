/**
 * Where notifications go besides the dashboard (NT3): a signed webhook and e-mail.
 * The webhook is signed as every Orchard webhook (`X-Orchard-Signature: t=…,v1=…`,
 * src/webhook.ts), so a receiver checks origin and freshness with one verifier.
 */
import type { Transporter } from "nodemailer";
import { retryableStatus } from "../delivery-retry.js";
import type { Language, NotificationRecipient } from "../store/auth.repo.js";
import type { Notification } from "../store/index.js";
import type { NotificationNames } from "../store/notification.repo.js";
import { postSignedJson, unreachableReason, type WebhookAnswer, type WebhookFetch } from "../webhook.js";
import { emailWords } from "./email-words.js";

export interface NotificationChannel {
  /** Keys its deliveries (notification_deliveries.channel): stable across restarts. */
  readonly name: string;
  /**
   * It reaches no one but the space's administrators who asked for its notifications, in
   * this language (NT3: e-mail without NOTIFY_EMAIL_TO, or in French): a notification is
   * queued for it only while there is one.
   */
  readonly reaches?: { language: Language };
  /**
   * `names`: of the notification's space, app and account (else it names their ids).
   * "no_recipients": there is no one left to send it to (an `administratorsOnly` channel).
   */
  deliver(notification: Notification, names?: NotificationNames): Promise<undefined | "no_recipients">;
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
    /** How long the receiver asked to be left alone (its Retry-After), in ms. */
    readonly retryAfterMs?: number,
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
    // The receiver has the ids: the webhook's body is the notification as the API lists it.
    async deliver(notification) {
      let response: WebhookAnswer;
      try {
        // Signed as the MDM webhook is (src/webhook.ts): one verifier for integrators.
        response = await postSignedJson({
          url: options.url,
          secret: options.secret,
          previousSecret: options.previousSecret,
          body: JSON.stringify({ type: "notification", notification }),
          event: "notification",
          // One delivery per notification to this channel: its id, the same on every retry.
          deliveryId: notification.id,
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
          response.retryAfterMs,
        );
    },
  };
}

/**
 * E-mail through SMTP (`smtp://user:pass@host:port`, or `smtps://`), to `to` (NOTIFY_EMAIL_TO)
 * and to the space's administrators who asked for its notifications (NT3), in blind copy:
 * an administrator of one space does not learn who administers it with them.
 */
export function emailChannel(options: {
  smtpUrl: string;
  from: string;
  /** NOTIFY_EMAIL_TO: every notification, in English (the English channel's only). */
  to: readonly string[];
  /** The space's administrators who asked for its notifications, each in their language. */
  administrators?: (spaceId: string) => Promise<readonly NotificationRecipient[]>;
  /** PUBLIC_BASE_URL: each e-mail links to its notification in the console. */
  consoleUrl?: string;
  /**
   * The language of this channel's e-mails (default English, channel `email`; French:
   * `email-fr`): each language is a delivery of its own, sent, failed and sent again on its own.
   */
  language?: Language;
  /** Per connection, greeting and silence (default 10 s each). */
  timeoutMs?: number;
}): NotificationChannel {
  const language = options.language ?? "en";
  const to = language === "en" ? options.to : [];
  // Bounded well below a delivery's lease: a stalled server must not hold the claim
  // until another worker sends the same mail (nodemailer waits up to 10 minutes).
  const timeout = options.timeoutMs ?? 10_000;
  // Loaded here, not at the top: a process without SMTP_URL (most CLI commands) never loads
  // nodemailer. Started now, not at the first e-mail: a long-running worker has it in hand.
  const transport: Promise<Transporter> = import("nodemailer").then(({ default: nodemailer }) =>
    nodemailer.createTransport({
      url: options.smtpUrl,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
    }),
  );
  transport.catch(() => undefined); // reported by the first delivery, as a failed one
  return {
    name: emailChannelName(language),
    ...(to.length === 0 ? { reaches: { language } } : {}),
    async deliver(n, names) {
      // Each address once, whatever its case: one on NOTIFY_EMAIL_TO gets the list's e-mail.
      const listed = new Set(options.to.map((a) => a.toLowerCase()));
      const bcc = ((await options.administrators?.(n.spaceId)) ?? [])
        .filter((r) => r.language === language && !listed.has(r.email.toLowerCase()))
        .map((r) => r.email);
      // Those who asked no longer do: the delivery goes as if never queued (notify.ts).
      if (to.length === 0 && bcc.length === 0) return "no_recipients";
      const mail = notificationEmail(n, names, options.consoleUrl, language);
      try {
        await (await transport).sendMail({
          from: options.from,
          // Blind copies alone still name a recipient (a message without To: reads as spam).
          to: to.length > 0 ? [...to] : "undisclosed-recipients:;",
          ...(bcc.length > 0 ? { bcc } : {}),
          subject: mail.subject,
          text: mail.text,
          // One per notification and language: a mail sent again after a lost answer can be recognised.
          messageId: `<notification-${n.id}${language === "en" ? "" : `.${language}`}@orchard>`,
          headers: { "X-Orchard-Notification-Id": n.id },
        });
      } catch (error) {
        throw smtpError(error);
      }
    },
  };
}

/** The e-mail channel of a language: `email` (English), `email-fr`. */
export const emailChannelName = (language: Language) => (language === "en" ? "email" : `email-${language}`);

/**
 * A notification as an e-mail reads (NT3), in its reader's language: what happened and what
 * to do first, then where (space, account and app by name, their ids beside), then the
 * details, and a link to it in the console when PUBLIC_BASE_URL is set.
 */
export function notificationEmail(
  n: Notification,
  names: NotificationNames | undefined,
  consoleUrl?: string,
  language: Language = "en",
): { subject: string; text: string } {
  const w = emailWords(language);
  const { remedy: _, ...details } = n.details;
  const remedy = w.remedy(n);
  const named = (name: string | undefined, id: string) => (name && name !== id ? `${name} (${id})` : id);
  const line = (label: string, value: string) => `${label}${w.colon}${value}`;
  const title = w.title(n);
  const lines = [
    title,
    "",
    ...(remedy ? [line(w.label.whatToDo, remedy), ""] : []),
    line(w.label.space, named(names?.spaceName, n.spaceId)),
    ...(n.accountId ? [line(w.label.account, named(names?.accountName, n.accountId))] : []),
    ...(n.adamId ? [line(w.label.app, named(names?.appName, n.adamId))] : []),
    line(w.label.severity, w.severity(n)),
    line(w.label.raised, `${n.raisedAt.toISOString().slice(0, 16).replace("T", " ")} UTC`),
    line(w.label.type, w.kind(n)),
    ...Object.entries(details).map(([k, v]) => line(k, typeof v === "string" ? v : JSON.stringify(v))),
    ...(consoleUrl
      ? ["", line(w.label.link, String(new URL(notificationPath(n), withSlash(consoleUrl))))]
      : []),
  ];
  return { subject: `[Orchard] ${w.severity(n)}${w.colon}${title}`, text: lines.join("\n") };
}

const withSlash = (url: string) => (url.endsWith("/") ? url : `${url}/`);
/** The console's page of a notification (it opens its detail), relative to PUBLIC_BASE_URL. */
const notificationPath = (n: Notification) =>
  `s/${encodeURIComponent(n.spaceId)}/notifications?notification=${encodeURIComponent(n.id)}`;

/** An SMTP 5xx is a refusal for good; a 4xx, or no answer at all, may pass later. */
function smtpError(error: unknown): NotificationDeliveryError {
  const e = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  const status = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const code = typeof e.code === "string" && /^[A-Z_]+$/.test(e.code) ? e.code : undefined;
  const what = status ? `the SMTP server answered ${status}` : "the SMTP server could not be reached";
  return new NotificationDeliveryError(`${what}${code ? ` (${code})` : ""}`, !(status && status >= 500));
}
