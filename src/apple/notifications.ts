/**
 * Receiving Apple's notifications: POSTed to our notificationUrl with
 * `Authorization: Bearer <notificationAuthToken>` (RFC 6750) and the envelope
 * {notification, notificationId, notificationType, uId}.
 * https://developer.apple.com/documentation/devicemanagement/subscribing-to-notifications
 *
 * Delivery is best-effort (up to 3 attempts) and notificationIds have been reused across
 * notifications in Apple's own examples (the older USER_MANAGEMENT CREATE, UPDATE and
 * RETIRE examples share one notificationId and one eventId): dedupe on the notificationId
 * together with the type, the eventId and the operation, and never rely on notifications
 * alone — poll /status as well.
 */
import { carriesBearer } from "../auth/secrets.js";
import { type Notification, notification } from "./wire.js";

/** True when the Authorization header carries our notificationAuthToken (constant time). */
export function isAuthenticNotification(
  authorization: string | undefined,
  notificationAuthToken: string,
): boolean {
  return carriesBearer(authorization, notificationAuthToken);
}

export type ParsedNotification =
  | { ok: true; notification: Notification; dedupeKey: string }
  | { ok: false; problem: string };

/** Parses a notification body; unknown types and malformed bodies come back as problems, never throws. */
export function parseNotification(body: unknown): ParsedNotification {
  const parsed = notification.safeParse(body);
  if (!parsed.success) {
    const problem = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    return { ok: false, problem };
  }
  const n = parsed.data;
  const inner = n.notification as { eventId?: unknown; type?: unknown };
  const eventId = typeof inner.eventId === "string" ? inner.eventId : "";
  const operation = typeof inner.type === "string" ? inner.type : "";
  return {
    ok: true,
    notification: n,
    dedupeKey: [n.uId, n.notificationType, n.notificationId, eventId, operation].join("|"),
  };
}
