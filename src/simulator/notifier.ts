/**
 * Notifications POSTed to the location's notificationUrl with
 * `Authorization: Bearer <notificationAuthToken>` in Apple's envelope
 * `{notification, notificationId, notificationType, uId}`; best-effort, up to 3 attempts,
 * any 2xx is delivered. https://developer.apple.com/documentation/devicemanagement/subscribing-to-notifications
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Faults } from "./faults.js";
import type { Location } from "./location.js";
import type { Prng } from "./prng.js";

export interface SimulatorLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface NotifierOptions {
  faults: Faults;
  ids: Prng;
  logger?: SimulatorLogger;
  /** Apple spreads its 3 attempts over 1-5 minutes; the simulator waits this long times the attempt number. */
  retryDelayMs: number;
  timeoutMs: number;
}

/** Apple: at most 100 elements per notification; larger batches are split. */
export const MAX_NOTIFICATION_ELEMENTS = 100;
const ATTEMPTS = 3;

export function chunks<T>(items: readonly T[], size = MAX_NOTIFICATION_ELEMENTS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class Notifier {
  private readonly pending = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: NotifierOptions) {}

  /** Queues a notification if the location subscribed to its type. */
  send(location: Location, notificationType: string, notification: object): void {
    const { notificationUrl: url, notificationAuthToken: token, notificationTypes } = location.clientConfig;
    if (!url || !token || !notificationTypes.includes(notificationType)) return;
    const body = {
      notification,
      notificationId: this.options.ids.uuid(),
      notificationType,
      uId: location.uId,
    };
    if (this.options.faults.dropNotification()) {
      this.options.logger?.info(
        { notificationId: body.notificationId, notificationType },
        "notification dropped",
      );
      return;
    }
    const copies = this.options.faults.duplicateNotification() ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delayMs = this.options.faults.notificationDelayMs();
      const delivery = this.deliver(url, token, body, delayMs).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
  }

  /** One TEST_NOTIFICATION attempt; false when the URL does not answer 2xx (then 9728). */
  test(url: string, token: string, uId: string): Promise<boolean> {
    const body = {
      notification: {},
      notificationId: this.options.ids.uuid(),
      notificationType: "TEST_NOTIFICATION",
      uId,
    };
    return this.post(url, token, body);
  }

  /** Resolves when every queued notification was delivered or given up. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.idle();
  }

  private async deliver(
    url: string,
    token: string,
    body: { notificationId: string },
    delayMs: number,
  ): Promise<void> {
    if (delayMs > 0) {
      try {
        await sleep(delayMs, undefined, { signal: this.abort.signal });
      } catch {
        return; // closing
      }
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (await this.post(url, token, body)) return;
      if (attempt === ATTEMPTS || this.abort.signal.aborted) break;
      try {
        await sleep(this.options.retryDelayMs * attempt, undefined, { signal: this.abort.signal });
      } catch {
        break; // closing
      }
    }
    this.options.logger?.warn({ notificationId: body.notificationId, url }, "notification not delivered");
  }

  private async post(url: string, token: string, body: object): Promise<boolean> {
    if (this.abort.signal.aborted) return false;
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.ok;
    } catch {
      return false;
    }
  }
}
