import type { NewNotification, Notification } from "../store/index.js";
import { clearNotifications, raiseNotification } from "../store/index.js";
import type { SyncDeps } from "./deps.js";

/**
 * Stores a notification (once while it is open) and delivers it to every configured
 * channel. A channel failing is logged, never fatal: the dashboard still lists it.
 */
export async function raise(deps: SyncDeps, input: NewNotification): Promise<Notification | undefined> {
  const raised = await raiseNotification(deps.db, input);
  if (!raised) return undefined;
  await Promise.all(
    deps.channels.map((channel) =>
      channel.deliver(raised).catch((error: unknown) => {
        deps.logger.warn(
          { channel: channel.name, notificationId: raised.id, err: String(error) },
          "notification not delivered",
        );
      }),
    ),
  );
  return raised;
}

export async function clear(
  deps: SyncDeps,
  input: { spaceId: string; kind: string; accountId?: string; adamId?: string },
): Promise<number> {
  return clearNotifications(deps.db, { ...input, now: deps.now() });
}
