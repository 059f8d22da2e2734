/**
 * Why a notification's delivery failed, read back from the English the server stores
 * (src/sync/channels.ts words it: the HTTP status, the SMTP reply code, a system error code,
 * never the URL), so that the console can say it in its own language. A text it does not
 * recognise (a channel of another version) is shown as stored.
 */
export type DeliveryError =
  | { kind: "webhookStatus"; status: number }
  | { kind: "webhookUnreachable"; timedOut: boolean; code?: string }
  | { kind: "smtpReply"; status: number; code?: string }
  | { kind: "smtpUnreachable"; code?: string }
  | { kind: "notTried" }
  | { kind: "text"; text: string };

const WEBHOOK_STATUS = /^the webhook answered HTTP (\d{3})$/;
const WEBHOOK_UNREACHABLE = /^the webhook could not be reached(?: \((timed out|[A-Z_]+)\))?$/;
const SMTP_REPLY = /^the SMTP server answered (\d{3})(?: \(([A-Z_]+)\))?$/;
const SMTP_UNREACHABLE = /^the SMTP server could not be reached(?: \(([A-Z_]+)\))?$/;

export function parseDeliveryError(text: string): DeliveryError {
  let m = WEBHOOK_STATUS.exec(text);
  if (m) return { kind: "webhookStatus", status: Number(m[1]) };
  m = WEBHOOK_UNREACHABLE.exec(text);
  if (m)
    return m[1] === "timed out"
      ? { kind: "webhookUnreachable", timedOut: true }
      : { kind: "webhookUnreachable", timedOut: false, ...(m[1] ? { code: m[1] } : {}) };
  m = SMTP_REPLY.exec(text);
  if (m) return { kind: "smtpReply", status: Number(m[1]), ...(m[2] ? { code: m[2] } : {}) };
  m = SMTP_UNREACHABLE.exec(text);
  if (m) return { kind: "smtpUnreachable", ...(m[1] ? { code: m[1] } : {}) };
  if (text === "not tried: the channel failed") return { kind: "notTried" };
  return { kind: "text", text };
}
