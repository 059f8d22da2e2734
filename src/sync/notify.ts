import { givesUp, retryDelayMs } from "../delivery-retry.js";
import type { NewNotification, Notification } from "../store/index.js";
import { clearNotifications } from "../store/index.js";
import { findNotificationWithNames, raiseNotification } from "../store/notification.repo.js";
import {
  claimNotificationDeliveries,
  type DeliveryChannel,
  deliveryStates,
  type NotificationDelivery,
  retryDeliveries,
  settleNotificationDelivery,
  withdrawNotificationDelivery,
  withoutCredentials,
} from "../store/notification-delivery.repo.js";
import { NotificationDeliveryError } from "./channels.js";
import type { SyncDeps } from "./deps.js";

/** Attempts and backoff as for MDM commands (src/delivery-retry.ts). */
export { MAX_DELIVERY_ATTEMPTS } from "../delivery-retry.js";

const BATCH = 100;

/**
 * Stores a notification (once while it is open) with a delivery queued for every
 * configured channel, and makes a first attempt now. A channel failing is logged, never
 * fatal: the dashboard lists it, and the worker's rounds send it again later.
 */
export async function raise(deps: SyncDeps, input: NewNotification): Promise<Notification | undefined> {
  const raised = await raiseNotification(deps.db, input, deliveryChannels(deps));
  if (raised) await sendNow(deps, raised);
  return raised;
}

/** The channels' names: their deliveries are claimed and sent again by name. */
export function channelNames(deps: SyncDeps): string[] {
  return deps.channels.map((c) => c.name);
}

/** The channels as `raiseNotification` queues a delivery for each (NT3: some only reach administrators). */
export function deliveryChannels(deps: SyncDeps): DeliveryChannel[] {
  return deps.channels.map((c) =>
    c.reaches ? { name: c.name, administratorsIn: c.reaches.language } : c.name,
  );
}

/** A first attempt at a notification just raised (committed); what fails waits for the worker. */
export async function sendNow(deps: SyncDeps, raised: Notification): Promise<void> {
  await deliverNotifications(deps, { notificationId: raised.id }).catch((error: unknown) => {
    deps.logger.warn({ notificationId: raised.id, err: String(error) }, "notification delivery deferred");
  });
}

/**
 * Sends the deliveries due (or only one notification's), each under a lease: none sent
 * twice at once, one left by a process that ended mid-way sent again once its lease
 * runs out (at least once: receivers dedupe on the notification's id). Returns how many
 * were claimed.
 */
export async function deliverNotifications(
  deps: SyncDeps,
  options: {
    notificationId?: string;
    /** Only these notifications' of this space (sent again by an administrator). */
    only?: { spaceId: string; notificationIds: readonly string[] };
    limit?: number;
  } = {},
): Promise<number> {
  const now = deps.now();
  const claimed = await claimNotificationDeliveries(deps.db, {
    channels: channelNames(deps),
    now,
    leaseMs: deps.tuning.leaseMs,
    limit: options.limit ?? BATCH,
    ...(options.notificationId ? { notificationId: options.notificationId } : {}),
    ...(options.only ? { only: options.only } : {}),
  });
  // Each channel in order of raising; the channels side by side.
  await Promise.all(
    deps.channels.map((channel) =>
      deliverInOrder(
        deps,
        channel,
        claimed.filter((d) => d.channel === channel.name),
      ),
    ),
  );
  return claimed.length;
}

type Channel = SyncDeps["channels"][number];

/** How a delivery left untried behind its channel's failure is worded. */
const NOT_TRIED = "not tried: ";

async function deliverInOrder(deps: SyncDeps, channel: Channel, rows: readonly NotificationDelivery[]) {
  for (const [i, delivery] of rows.entries()) {
    // Half the lease gone: the rest is left to the next claim, not sent while another
    // worker may claim it too.
    if (deps.now().getTime() > (delivery.claimedUntil?.getTime() ?? 0) - deps.tuning.leaseMs / 2) return;
    const outcome = await deliverOne(deps, channel, delivery);
    if (typeof outcome === "string") continue;
    // The channel is down: the others wait as long (its Retry-After too), untried, instead
    // of each timing out.
    for (const rest of rows.slice(i + 1))
      await settleFailure(deps, channel, rest, `${NOT_TRIED}the channel failed`, true, outcome.retryAfterMs);
    return;
  }
}

async function deliverOne(
  deps: SyncDeps,
  channel: Channel,
  delivery: NotificationDelivery,
): Promise<"delivered" | "failed" | "gone" | { retryAfterMs: number | undefined }> {
  const found = await findNotificationWithNames(deps.db, delivery.spaceId, delivery.notificationId);
  if (!found) return "gone"; // its space went away, and the delivery with it
  try {
    if ((await channel.deliver(found.notification, found.names)) === "no_recipients") {
      await withdrawNotificationDelivery(deps.db, delivery);
      deps.logger.info(
        { notificationId: delivery.notificationId, channel: channel.name },
        "notification delivery withdrawn: no one asks for it any more",
      );
      return "gone";
    }
  } catch (error) {
    // Channels word their errors without secrets; another channel's text is its own, and
    // whatever URL it quotes loses its credentials before it is stored or logged.
    const message = withoutCredentials(error instanceof Error ? error.message : String(error));
    const retryable = !(error instanceof NotificationDeliveryError) || error.retryable;
    const retryAfterMs = error instanceof NotificationDeliveryError ? error.retryAfterMs : undefined;
    const settled = await settleFailure(deps, channel, delivery, message, retryable, retryAfterMs);
    return settled === "retry" ? { retryAfterMs } : settled;
  }
  await settleNotificationDelivery(deps.db, { delivery, state: "delivered", now: deps.now() });
  return "delivered";
}

/** Retried after a backoff, or failed for good after a refusal or its last attempt. */
async function settleFailure(
  deps: SyncDeps,
  channel: Channel,
  delivery: NotificationDelivery,
  message: string,
  retryable: boolean,
  retryAfterMs: number | undefined,
): Promise<"retry" | "failed"> {
  // This row's own attempts: another row near its last must not fail a fresh one.
  const giveUp = givesUp(retryable, delivery.attempts);
  const now = deps.now();
  await settleNotificationDelivery(deps.db, {
    delivery,
    state: giveUp ? "failed" : "pending",
    error: message,
    ...(giveUp ? {} : { notBefore: new Date(now.getTime() + retryDelayMs(delivery.attempts, retryAfterMs)) }),
    now,
  });
  deps.logger.warn(
    {
      channel: channel.name,
      notificationId: delivery.notificationId,
      attempts: delivery.attempts,
      err: message,
    },
    giveUp ? "notification not delivered: given up" : "notification not delivered: will retry",
  );
  return giveUp ? "failed" : "retry";
}

/** A channel named that this process does not have configured: nothing could send to it. */
export class ChannelNotConfiguredError extends Error {
  override readonly name = "ChannelNotConfiguredError";
  constructor(
    readonly channel: string,
    readonly configured: readonly string[],
  ) {
    super(
      `the channel "${channel}" is not configured (${
        configured.length > 0 ? `configured: ${configured.join(", ")}` : "no channel is configured"
      })`,
    );
  }
}

/** What sending failed deliveries again came to, once the first attempt was made (or waited for long enough). */
export interface ResendResult {
  /** Failed deliveries put back to pending. */
  retried: number;
  /** Of those, delivered by the first attempt. */
  delivered: number;
  /** Refused again for good (a 4xx, an SMTP 5xx): the configuration still needs fixing. */
  failed: number;
  /** Still pending: the channel could not be reached (retried by the worker's rounds), or the attempt is under way. */
  pending: number;
  /** Why the first attempt failed, per channel (the last one's). */
  errors: Array<{ channel: string; error: string }>;
}

/**
 * Sends a space's failed deliveries again, after their channel's configuration was fixed:
 * those of the channels configured here (one, if `channel` is given; some notifications'
 * if `notificationIds` is) go back to pending from their first attempt, and are tried at
 * once rather than at the worker's next round. Waits for that attempt at most `waitMs`;
 * what it has not settled by then, or what fails and may pass later, the worker retries.
 * Idempotent: only failed deliveries are sent again.
 */
export async function resendDeliveries(
  deps: SyncDeps,
  input: { spaceId: string; channel?: string; notificationIds?: readonly string[]; waitMs?: number },
): Promise<ResendResult> {
  const configured = channelNames(deps);
  if (input.channel !== undefined && !configured.includes(input.channel))
    throw new ChannelNotConfiguredError(input.channel, configured);
  const retried = await retryDeliveries(deps.db, input.spaceId, {
    ...(input.channel !== undefined ? { channel: input.channel } : {}),
    ...(input.notificationIds ? { notificationIds: input.notificationIds } : {}),
    channels: configured,
    now: deps.now(),
  });
  const result: ResendResult = { retried: retried.length, delivered: 0, failed: 0, pending: 0, errors: [] };
  if (retried.length === 0) return result;
  deps.logger.info(
    { spaceId: input.spaceId, deliveries: retried.length },
    "failed notification deliveries sent again",
  );
  const notificationIds = [...new Set(retried.map((d) => d.notificationId))];
  const attempt = deliverNotifications(deps, {
    only: { spaceId: input.spaceId, notificationIds },
    limit: Math.min(retried.length, RESEND_BATCH),
  }).catch((error: unknown) => {
    deps.logger.warn({ spaceId: input.spaceId, err: String(error) }, "notification delivery deferred");
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    attempt,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, input.waitMs ?? RESEND_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  const errors = new Map<string, string>();
  for (const d of await deliveryStates(deps.db, input.spaceId, retried)) {
    if (d.state === "delivered") result.delivered++;
    else if (d.state === "failed") result.failed++;
    else result.pending++;
    // An error of a row not tried again yet is the one it was sent again for; a row left
    // untried behind a failing one names no cause: the first real error a channel has wins.
    if (d.state === "delivered" || d.attempts === 0 || !d.lastError) continue;
    const known = errors.get(d.channel);
    if (known === undefined || (known.startsWith(NOT_TRIED) && !d.lastError.startsWith(NOT_TRIED)))
      errors.set(d.channel, d.lastError);
  }
  result.errors = [...errors].map(([channel, error]) => ({ channel, error }));
  return result;
}

/** At most this many are tried at once; the worker's rounds send the others. */
const RESEND_BATCH = 500;
/** How long sending again waits for the first attempt before answering (a channel times out after 10 s). */
export const RESEND_WAIT_MS = 15_000;

export async function clear(
  deps: SyncDeps,
  input: { spaceId: string; kind: string; accountId?: string; adamId?: string },
): Promise<number> {
  return clearNotifications(deps.db, { ...input, now: deps.now() });
}
