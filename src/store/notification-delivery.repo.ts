import { type Selectable, sql } from "kysely";
import type { Db } from "./database.js";
import type { NotificationDeliveryTable } from "./license.table.js";
import { settledAttempt } from "./sql-helpers.js";

/**
 * Each notification's delivery to each configured channel (0022): queued with the
 * notification, claimed with a lease, settled once. At least once: a worker killed after
 * sending leaves the row to be sent again when its lease runs out (receivers dedupe on
 * the notification's id).
 */
export type DeliveryState = NotificationDeliveryTable["state"];

export interface NotificationDelivery {
  spaceId: string;
  notificationId: string;
  channel: string;
  state: DeliveryState;
  /** Including the claim that returned it. */
  attempts: number;
  notBefore?: Date;
  claimedUntil?: Date;
  lastError?: string;
  createdAt: Date;
}

/** One pending delivery per channel, in the transaction that raises the notification. */
export async function queueNotificationDeliveries(
  db: Db,
  input: { spaceId: string; notificationId: string; channels: readonly string[]; now: Date },
): Promise<void> {
  const channels = [...new Set(input.channels)];
  if (channels.length === 0) return;
  await db
    .insertInto("notification_deliveries")
    .values(
      channels.map((channel) => ({
        space_id: input.spaceId,
        notification_id: input.notificationId,
        channel,
        state: "pending" as const,
        attempts: 0,
        created_at: input.now,
        updated_at: input.now,
      })),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/**
 * Claims due deliveries to `channels`, oldest first: pending, past their backoff, and
 * not under another worker's lease. Each claim counts an attempt. SKIP LOCKED: two
 * workers never claim the same row.
 */
export async function claimNotificationDeliveries(
  db: Db,
  input: {
    channels: readonly string[];
    now: Date;
    leaseMs: number;
    limit: number;
    /** Only this notification's (a first attempt right after raising it). */
    notificationId?: string;
  },
): Promise<NotificationDelivery[]> {
  if (input.channels.length === 0) return [];
  const now = input.now.toISOString();
  const until = new Date(input.now.getTime() + input.leaseMs).toISOString();
  const only = input.notificationId ? sql`and notification_id = ${input.notificationId}` : sql``;
  const { rows } = await sql<Selectable<NotificationDeliveryTable>>`with pick as (
      select space_id, notification_id, channel
      from notification_deliveries
      where state = 'pending'
        and channel in (${sql.join(input.channels.map((c) => sql`${c}`))})
        and (not_before is null or not_before <= ${now}::timestamptz)
        and (claimed_until is null or claimed_until < ${now}::timestamptz)
        ${only}
      order by created_at, notification_id, channel
      limit ${input.limit}
      for update skip locked
    )
    update notification_deliveries d
    set claimed_until = ${until}::timestamptz, attempts = d.attempts + 1, updated_at = ${now}::timestamptz
    from pick
    where d.space_id = pick.space_id and d.notification_id = pick.notification_id and d.channel = pick.channel
    returning d.*`.execute(db);
  return rows
    .map(toDelivery)
    .sort(
      (a, b) =>
        a.createdAt.getTime() - b.createdAt.getTime() || a.notificationId.localeCompare(b.notificationId),
    );
}

/**
 * Records an attempt: delivered, retried after `notBefore`, or failed for good. Only
 * while the claim is still this attempt's (pending, same lease): a row claimed again by
 * another worker after the lease ran out is theirs to settle.
 */
export async function settleNotificationDelivery(
  db: Db,
  input: {
    delivery: Pick<NotificationDelivery, "spaceId" | "notificationId" | "channel" | "claimedUntil">;
    state: DeliveryState;
    error?: string;
    notBefore?: Date;
    now: Date;
  },
): Promise<boolean> {
  const { delivery } = input;
  if (!delivery.claimedUntil) return false;
  const result = await db
    .updateTable("notification_deliveries")
    .set(settledAttempt(input))
    .where("space_id", "=", delivery.spaceId)
    .where("notification_id", "=", delivery.notificationId)
    .where("channel", "=", delivery.channel)
    .where("state", "=", "pending")
    .where("claimed_until", "=", delivery.claimedUntil)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** A notification's deliveries (tests, support). */
export async function listNotificationDeliveries(
  db: Db,
  spaceId: string,
  notificationId: string,
): Promise<NotificationDelivery[]> {
  const rows = await db
    .selectFrom("notification_deliveries")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("notification_id", "=", notificationId)
    .orderBy("channel")
    .execute();
  return rows.map(toDelivery);
}

function toDelivery(row: Selectable<NotificationDeliveryTable>): NotificationDelivery {
  return {
    spaceId: row.space_id,
    notificationId: row.notification_id,
    channel: row.channel,
    state: row.state,
    attempts: row.attempts,
    ...(row.not_before ? { notBefore: new Date(row.not_before) } : {}),
    ...(row.claimed_until ? { claimedUntil: new Date(row.claimed_until) } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    createdAt: new Date(row.created_at),
  };
}
