import { type ExpressionBuilder, type Selectable, sql } from "kysely";
import { hasNotificationRecipients, type Language } from "./auth.repo.js";
import type { Database, Db } from "./database.js";
import type { NotificationDeliveryTable, NotificationTable, Severity } from "./license.table.js";
import type { NotificationParamValue } from "./notification-messages.js";
import { type Page, type PageRequest, paged } from "./paging.js";
import { inList, settledAttempt } from "./sql-helpers.js";

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

/**
 * A channel a notification is queued for: by name, or one that only reaches the space's
 * administrators who asked for its notifications in a language (NT3: e-mail without
 * NOTIFY_EMAIL_TO, or in French), queued only while there is one (read in the raising
 * transaction).
 */
export type DeliveryChannel = string | { name: string; administratorsIn: Language };

/** One pending delivery per channel, in the transaction that raises the notification. */
export async function queueNotificationDeliveries(
  db: Db,
  input: { spaceId: string; notificationId: string; channels: readonly DeliveryChannel[]; now: Date },
): Promise<void> {
  const channels: string[] = [];
  for (const c of new Set(input.channels)) {
    if (typeof c === "string") channels.push(c);
    else if (await hasNotificationRecipients(db, input.spaceId, c.administratorsIn)) channels.push(c.name);
  }
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
    /** Only these notifications' of this space (a first attempt right after sending them again). */
    only?: { spaceId: string; notificationIds: readonly string[] };
  },
): Promise<NotificationDelivery[]> {
  if (input.channels.length === 0) return [];
  if (input.only && input.only.notificationIds.length === 0) return [];
  const now = input.now.toISOString();
  const until = new Date(input.now.getTime() + input.leaseMs).toISOString();
  const only = sql.join(
    [
      ...(input.notificationId ? [sql`and notification_id = ${input.notificationId}`] : []),
      ...(input.only
        ? [
            sql`and space_id = ${input.only.spaceId}`,
            sql`and ${inList("notification_id", input.only.notificationIds)}`,
          ]
        : []),
    ],
    sql` `,
  );
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
  const claimedUntil = delivery.claimedUntil;
  if (!claimedUntil) return false;
  const result = await db
    .updateTable("notification_deliveries")
    .set(settledAttempt(input))
    .where((eb) => underClaim(eb, { ...delivery, claimedUntil }))
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** The delivery's row, still pending under the claim that took it (another's claim is left alone). */
function underClaim(
  eb: ExpressionBuilder<Database, "notification_deliveries">,
  d: Pick<NotificationDelivery, "spaceId" | "notificationId" | "channel"> & { claimedUntil: Date },
) {
  return eb.and([
    eb("space_id", "=", d.spaceId),
    eb("notification_id", "=", d.notificationId),
    eb("channel", "=", d.channel),
    eb("state", "=", "pending"),
    eb("claimed_until", "=", d.claimedUntil),
  ]);
}

/**
 * A claimed delivery with no one left to send it to (NT3: the administrators who asked for
 * e-mails no longer do) goes, under its claim, as if it had never been queued: nothing
 * failed, and nothing is left to send again.
 */
export async function withdrawNotificationDelivery(
  db: Db,
  delivery: Pick<NotificationDelivery, "spaceId" | "notificationId" | "channel" | "claimedUntil">,
): Promise<void> {
  const claimedUntil = delivery.claimedUntil;
  if (!claimedUntil) return;
  await db
    .deleteFrom("notification_deliveries")
    .where((eb) => underClaim(eb, { ...delivery, claimedUntil }))
    .execute();
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

/** A delivery as the administrator's list shows it, with the notification it carries. */
export interface NotificationDeliveryView {
  notificationId: string;
  channel: string;
  state: DeliveryState;
  /** Since it was queued, or sent again (`retryDeliveries` starts them from 0). */
  attempts: number;
  /** Why the last attempt failed: kept while the delivery is retried, until an attempt settles. */
  lastError?: string;
  /** A pending delivery's next attempt, when it waits after a failure. */
  nextAttemptAt?: Date;
  /** Queued, with the notification. */
  createdAt: Date;
  /** Its last change: an attempt settled (delivered, failed, put off) or sent again. */
  updatedAt: Date;
  notification: {
    title: string;
    messageKey?: string;
    messageParams?: Record<string, NotificationParamValue>;
    kind: string;
    severity: Severity;
    raisedAt: Date;
  };
}

export interface DeliveryFilter {
  state?: DeliveryState;
  /** Any name: a channel no longer configured still has its deliveries listed. */
  channel?: string;
}

/**
 * A space's deliveries, paged like the other lists (newest first by default: `createdAt`,
 * or `updatedAt`, the last attempt), joined with their notification's title, kind,
 * severity and time. Bounded by the primary key's space_id prefix; failed ones (the list
 * an administrator opens first) by their own index (0023), as deliveries are kept for good.
 */
export async function listNotificationDeliveriesView(
  db: Db,
  spaceId: string,
  filter: DeliveryFilter,
  page: PageRequest,
): Promise<Page<NotificationDeliveryView>> {
  let query = db
    .selectFrom("notification_deliveries as d")
    .innerJoin("notifications as n", (join) =>
      join.onRef("n.space_id", "=", "d.space_id").onRef("n.id", "=", "d.notification_id"),
    )
    .selectAll("d")
    .select(["n.title", "n.message_key", "n.message_params", "n.kind", "n.severity", "n.raised_at"])
    .where("d.space_id", "=", spaceId);
  if (filter.state) query = query.where("d.state", "=", filter.state);
  if (filter.channel) query = query.where("d.channel", "=", filter.channel);
  return paged(
    query,
    page,
    { createdAt: "d.created_at", updatedAt: "d.updated_at" },
    "createdAt",
    "d.notification_id, d.channel",
    toDeliveryView,
  );
}

/** A channel's deliveries in a space, by state, and its latest failure. */
export interface ChannelDeliveries {
  channel: string;
  pending: number;
  /** Of the pending: those whose last attempt failed, waiting for the next one. */
  retrying: number;
  delivered: number;
  failed: number;
  /** The delivery that failed last, for good: why, and when. */
  lastFailure?: { notificationId: string; error?: string; at: Date };
}

/** Counts per (channel, state) of a space's deliveries, channels by name. */
export async function summarizeNotificationDeliveries(db: Db, spaceId: string): Promise<ChannelDeliveries[]> {
  const counts = await db
    .selectFrom("notification_deliveries")
    .select([
      "channel",
      sql<number>`count(*) filter (where state = 'pending')::int`.as("pending"),
      sql<number>`count(*) filter (where state = 'pending' and attempts > 0 and last_error is not null)::int`.as(
        "retrying",
      ),
      sql<number>`count(*) filter (where state = 'delivered')::int`.as("delivered"),
      sql<number>`count(*) filter (where state = 'failed')::int`.as("failed"),
    ])
    .where("space_id", "=", spaceId)
    .groupBy("channel")
    .orderBy("channel")
    .execute();
  if (counts.every((c) => c.failed === 0)) return counts.map((c) => ({ ...c }));
  const latest = await db
    .selectFrom("notification_deliveries")
    .distinctOn("channel")
    .select(["channel", "notification_id", "last_error", "updated_at"])
    .where("space_id", "=", spaceId)
    .where("state", "=", "failed")
    .orderBy("channel")
    .orderBy("updated_at", "desc")
    .orderBy("notification_id")
    .execute();
  const byChannel = new Map(latest.map((row) => [row.channel, row]));
  return counts.map((c) => {
    const last = byChannel.get(c.channel);
    return {
      ...c,
      ...(last
        ? {
            lastFailure: {
              notificationId: last.notification_id,
              ...(last.last_error !== null ? { error: last.last_error } : {}),
              at: new Date(last.updated_at),
            },
          }
        : {}),
    };
  });
}

/**
 * Puts a space's failed deliveries back to pending, to be sent again from their first
 * attempt (after the channel's configuration was fixed): attempts 0, no backoff, no claim.
 * The last error stays until the next attempt settles. Only failed rows change: sending
 * again twice, or while they are being sent, re-queues nothing more (idempotent). Narrowed
 * to one channel, to some notifications, and to the channels that can send them (`channels`:
 * a delivery to a channel no process has would wait for ever). Returns the rows re-queued.
 */
export async function retryDeliveries(
  db: Db,
  spaceId: string,
  options: {
    channel?: string;
    notificationIds?: readonly string[];
    channels?: readonly string[];
    now: Date;
  },
): Promise<Array<{ notificationId: string; channel: string }>> {
  if (options.notificationIds?.length === 0 || options.channels?.length === 0) return [];
  let query = db
    .updateTable("notification_deliveries")
    .set({ state: "pending", attempts: 0, not_before: null, claimed_until: null, updated_at: options.now })
    .where("space_id", "=", spaceId)
    .where("state", "=", "failed");
  if (options.channel !== undefined) query = query.where("channel", "=", options.channel);
  if (options.channels) query = query.where(inList("channel", options.channels));
  if (options.notificationIds) query = query.where(inList("notification_id", options.notificationIds));
  const rows = await query.returning(["notification_id", "channel"]).execute();
  return rows.map((row) => ({ notificationId: row.notification_id, channel: row.channel }));
}

/** The states of some deliveries of a space now (what sending them again came to). */
export async function deliveryStates(
  db: Db,
  spaceId: string,
  keys: ReadonlyArray<{ notificationId: string; channel: string }>,
): Promise<
  Array<{
    notificationId: string;
    channel: string;
    state: DeliveryState;
    attempts: number;
    lastError?: string;
  }>
> {
  if (keys.length === 0) return [];
  const wanted = new Set(keys.map((k) => `${k.channel}/${k.notificationId}`));
  const rows = await db
    .selectFrom("notification_deliveries")
    .select(["notification_id", "channel", "state", "attempts", "last_error"])
    .where("space_id", "=", spaceId)
    .where(inList("notification_id", [...new Set(keys.map((k) => k.notificationId))]))
    .execute();
  return rows
    .filter((row) => wanted.has(`${row.channel}/${row.notification_id}`))
    .map((row) => ({
      notificationId: row.notification_id,
      channel: row.channel,
      state: row.state,
      attempts: row.attempts,
      ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    }));
}

function toDeliveryView(
  row: Selectable<NotificationDeliveryTable> &
    Pick<
      Selectable<NotificationTable>,
      "title" | "message_key" | "message_params" | "kind" | "severity" | "raised_at"
    >,
): NotificationDeliveryView {
  return {
    notificationId: row.notification_id,
    channel: row.channel,
    state: row.state,
    attempts: row.attempts,
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.state === "pending" && row.not_before ? { nextAttemptAt: new Date(row.not_before) } : {}),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    notification: {
      title: row.title,
      ...(row.message_key !== null
        ? { messageKey: row.message_key, messageParams: row.message_params ?? {} }
        : {}),
      kind: row.kind,
      severity: row.severity,
      raisedAt: new Date(row.raised_at),
    },
  };
}

/**
 * `scheme://user:password@host` as `scheme://***@host`. The channels word their errors
 * without the URL (channels.ts); this second guard is applied where any channel's error
 * text enters Orchard (notify.ts, before it is stored or logged), so stored errors are
 * read back as they are.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, "$1***@");
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
