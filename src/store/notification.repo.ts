import { randomUUID } from "node:crypto";
import { type Expression, type ExpressionBuilder, type Selectable, type SqlBool, sql } from "kysely";
import { type Database, type Db, withTransaction } from "./database.js";
import { NotFoundError } from "./errors.js";
import type { NotificationTable, Severity } from "./license.table.js";
import { type DeliveryChannel, queueNotificationDeliveries } from "./notification-delivery.repo.js";
import {
  type NotificationMessage,
  type NotificationParamValue,
  renderNotificationRemedy,
  renderNotificationTitle,
} from "./notification-messages.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";
import { inList, unique } from "./sql-helpers.js";

/** NT1's kind: the one whose notifications the list folds per (account, app). */
export const USAGE_KIND = "license_usage";

export interface NewNotification {
  spaceId: string;
  /** e.g. "license_usage" (NT1), "token_expired" (NT2). */
  kind: string;
  severity: Severity;
  component: string;
  /** Its title (and remedy, if any): the English is stored, the key and params kept beside it. */
  message: NotificationMessage;
  details?: Record<string, unknown>;
  accountId?: string;
  adamId?: string;
  threshold?: number;
  now: Date;
}

export interface Notification extends Omit<NewNotification, "now" | "message"> {
  id: string;
  /** In English: the API's, the CLI's, the webhook's and the e-mail's. */
  title: string;
  /** The message's catalogue key and params; absent on notifications raised before 0020. */
  messageKey?: string;
  messageParams?: Record<string, NotificationParamValue>;
  details: Record<string, unknown>;
  raisedAt: Date;
  clearedAt?: Date;
  acknowledgedAt?: Date;
}

/** A notification as the list shows it (NT3): with the names of its app and account. */
export interface NotificationView extends Notification {
  appName?: string;
  accountName?: string;
  /** Grouped lists only: the lower NT1 levels of the same (account, app) folded into this one. */
  folded?: FoldedNotification[];
}

export interface FoldedNotification {
  id: string;
  severity: Severity;
  threshold?: number;
  raisedAt: Date;
  acknowledgedAt?: Date;
}

/**
 * Raises a notification unless the same one (kind, account, app, threshold) is still
 * open: NT1 raises each threshold once per upward crossing. Returns it when raised.
 * The English remedy of the message, if any, goes into `details.remedy`. Its delivery to
 * each of `channels` is queued in the same transaction: none is lost if the process
 * ends before sending it.
 */
export async function raiseNotification(
  db: Db,
  input: NewNotification,
  channels: readonly DeliveryChannel[] = [],
): Promise<Notification | undefined> {
  return withTransaction(db, async (trx) => {
    const raised = await insertNotification(trx, input);
    if (raised)
      await queueNotificationDeliveries(trx, {
        spaceId: raised.spaceId,
        notificationId: raised.id,
        channels,
        now: input.now,
      });
    return raised;
  });
}

async function insertNotification(db: Db, input: NewNotification): Promise<Notification | undefined> {
  const remedy = renderNotificationRemedy(input.message);
  const row = await db
    .insertInto("notifications")
    .values({
      space_id: input.spaceId,
      id: randomUUID(),
      kind: input.kind,
      severity: input.severity,
      component: input.component,
      title: renderNotificationTitle(input.message),
      message_key: input.message.key,
      message_params: JSON.stringify(input.message.params),
      details: JSON.stringify({ ...input.details, ...(remedy ? { remedy } : {}) }),
      account_id: input.accountId ?? null,
      adam_id: input.adamId ?? null,
      threshold: input.threshold ?? null,
      raised_at: input.now,
    })
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && toNotification(row);
}

/** Any number standing for NT1 in the two-key advisory lock space. */
const USAGE_LOCK_CLASS = 0x4e5431; // "NT1"

/** An (account, app) of a space: what NT1 evaluates. */
export interface UsageKey {
  spaceId: string;
  accountId: string;
  adamId: string;
}

/**
 * Serialises NT1's evaluations of each (account, app) until the transaction ends: each
 * reads the usage and the levels open after the one before has raised or cleared, so a
 * stale read never clears levels just raised, nor raises levels just cleared. Many keys
 * are locked by one statement, in the order of the locks themselves (two evaluators of
 * overlapping keys never wait for each other in a circle, hash collisions included).
 */
export async function lockUsageNotifications(trx: Db, keys: readonly UsageKey[]): Promise<void> {
  if (keys.length === 0) return;
  const names = keys.map((k) => `${k.spaceId}/${k.accountId}/${k.adamId}`);
  await sql`select pg_advisory_xact_lock(${USAGE_LOCK_CLASS}, h)
    from (select distinct hashtext(n) as h from unnest(${names}::text[]) as t(n) order by 1) locks`.execute(
    trx,
  );
}

/**
 * What NT1 judges each key on, in one query: the asset's counts and name (none: the
 * account does not hold the app) and the levels open for it.
 */
export async function usageOfKeys(
  db: Db,
  keys: readonly UsageKey[],
): Promise<Array<UsageKey & { used: number; total: number; name?: string; open: number[] }>> {
  if (keys.length === 0) return [];
  const { rows } = await sql<{
    space_id: string;
    account_id: string;
    adam_id: string;
    used: number;
    total_count: number;
    name: string | null;
    open: number[] | null;
  }>`select a.space_id, a.account_id, a.adam_id, a.used, a.total_count, a.name,
      (select array_agg(n.threshold) from notifications n
        where n.space_id = a.space_id and n.kind = ${USAGE_KIND} and n.account_id = a.account_id
          and n.adam_id = a.adam_id and n.cleared_at is null and n.threshold is not null) as open
    from unnest(${keys.map((k) => k.spaceId)}::text[], ${keys.map((k) => k.accountId)}::text[],
      ${keys.map((k) => k.adamId)}::text[]) as k(space_id, account_id, adam_id)
    join assets a on a.space_id = k.space_id and a.account_id = k.account_id and a.adam_id = k.adam_id`.execute(
    db,
  );
  return rows.map((r) => ({
    spaceId: r.space_id,
    accountId: r.account_id,
    adamId: r.adam_id,
    used: Number(r.used),
    total: Number(r.total_count),
    ...(r.name ? { name: r.name } : {}),
    open: (r.open ?? []).map(Number),
  }));
}

/** Clears the open notifications of a kind for an account/app (NT1: all of them below 50 %). */
export async function clearNotifications(
  db: Db,
  input: { spaceId: string; kind: string; accountId?: string; adamId?: string; now: Date },
): Promise<number> {
  let query = db
    .updateTable("notifications")
    .set({ cleared_at: input.now })
    .where("space_id", "=", input.spaceId)
    .where("kind", "=", input.kind)
    .where("cleared_at", "is", null);
  if (input.accountId) query = query.where("account_id", "=", input.accountId);
  if (input.adamId) query = query.where("adam_id", "=", input.adamId);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function acknowledgeNotification(db: Db, spaceId: string, id: string, now: Date): Promise<void> {
  const result = await db
    .updateTable("notifications")
    .set({ acknowledged_at: now })
    .where("space_id", "=", spaceId)
    .where("id", "=", id)
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) throw new NotFoundError("notification", id);
}

/**
 * Acknowledges several notifications of the space at once (NT3: a folded NT1 group, a
 * selection). Ids of another space, or of none, are ignored; one already acknowledged
 * keeps its first date. Returns how many were acknowledged now.
 */
export async function acknowledgeNotifications(
  db: Db,
  spaceId: string,
  ids: readonly string[],
  now: Date,
): Promise<{ acknowledged: string[]; skipped: NotificationAckSkip[] }> {
  const wanted = unique(ids);
  if (wanted.length === 0) return { acknowledged: [], skipped: [] };
  return withTransaction(db, async (trx) => {
    const acknowledged = (
      await trx
        .updateTable("notifications")
        .set({ acknowledged_at: now })
        .where("space_id", "=", spaceId)
        .where(inList("id", wanted))
        .where("acknowledged_at", "is", null)
        .returning("id")
        .execute()
    ).map((r) => r.id);
    const done = new Set(acknowledged);
    const others = wanted.filter((id) => !done.has(id));
    const before = new Set(
      others.length === 0
        ? []
        : (
            await trx
              .selectFrom("notifications")
              .select("id")
              .where("space_id", "=", spaceId)
              .where(inList("id", others))
              .execute()
          ).map((r) => r.id),
    );
    const skipped = others.map(
      (id): NotificationAckSkip => ({ id, reason: before.has(id) ? "acknowledged_already" : "not_found" }),
    );
    return { acknowledged, skipped };
  });
}

/** An id an acknowledgement left as it was: acknowledged before (its date kept), or none of the space's. */
export interface NotificationAckSkip {
  id: string;
  reason: "acknowledged_already" | "not_found";
}

/** Notifications of a space by id (the deliveries claimed); ids of none are left out. */
export async function findNotifications(
  db: Db,
  spaceId: string,
  ids: readonly string[],
): Promise<Notification[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom("notifications")
    .selectAll()
    .where("space_id", "=", spaceId)
    .where("id", "in", [...new Set(ids)])
    .execute();
  return rows.map(toNotification);
}

/** What a delivery names besides the notification itself (NT3: an e-mail reads as the console). */
export interface NotificationNames {
  spaceName: string;
  appName?: string;
  accountName?: string;
}

/** One notification of a space as the list shows it (NT3: a link to it opens it). */
export async function findNotificationView(
  db: Db,
  spaceId: string,
  id: string,
): Promise<NotificationView | undefined> {
  const found = await findNotificationWithNames(db, spaceId, id);
  return (
    found && { ...found.notification, appName: found.names.appName, accountName: found.names.accountName }
  );
}

/** A notification to deliver, with the names of its space, app and account. */
export async function findNotificationWithNames(
  db: Db,
  spaceId: string,
  id: string,
): Promise<{ notification: Notification; names: NotificationNames } | undefined> {
  const row = await db
    .selectFrom("notifications as n")
    .innerJoin("spaces as s", "s.id", "n.space_id")
    .selectAll("n")
    .select(namesOf("n"))
    .select("s.name as space_name")
    .where("n.space_id", "=", spaceId)
    .where("n.id", "=", id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { appName, accountName, ...notification } = toView(row);
  return {
    notification,
    names: {
      spaceName: row.space_name,
      ...(appName !== undefined ? { appName } : {}),
      ...(accountName !== undefined ? { accountName } : {}),
    },
  };
}

/** Newest first; `open` = not cleared. */
export async function listNotifications(
  db: Db,
  spaceId: string,
  filter: { open?: boolean; limit?: number } = {},
): Promise<Notification[]> {
  let query = db
    .selectFrom("notifications")
    .selectAll()
    .where("space_id", "=", spaceId)
    .orderBy("raised_at", "desc")
    .limit(filter.limit ?? 100);
  if (filter.open) query = query.where("cleared_at", "is", null);
  return (await query.execute()).map(toNotification);
}

export interface NotificationFilter {
  open?: boolean;
  acknowledged?: boolean;
  severity?: Severity;
  kind?: string;
  /**
   * NT3: one row per (account, app) and episode for NT1 — the highest level raised, the
   * lower ones that match the filter too folded into it. An episode is the levels raised
   * since usage last fell below 50 %: those still open, or those cleared together.
   */
  group?: boolean;
}

/**
 * NT3's list, paged: each notification with its app's and account's names (the asset's
 * name, else the app's name in another account of the space; the account's display name).
 */
export async function listNotificationsView(
  db: Db,
  spaceId: string,
  filter: NotificationFilter,
  page: PageRequest,
): Promise<Page<NotificationView>> {
  // The notifications that match, bare: their names are read only for the page shown.
  const matching = () => {
    let query = db.selectFrom("notifications as n").selectAll("n").where("n.space_id", "=", spaceId);
    if (filter.open !== undefined) query = query.where("n.cleared_at", filter.open ? "is" : "is not", null);
    if (filter.acknowledged !== undefined)
      query = query.where("n.acknowledged_at", filter.acknowledged ? "is not" : "is", null);
    if (filter.severity) query = query.where("n.severity", "=", filter.severity);
    if (filter.kind) query = query.where("n.kind", "=", filter.kind);
    if (page.q || page.keys?.length) query = query.where((eb) => eb.or(searched(eb, page)));
    return query;
  };
  if (!filter.group)
    return paged(
      matching().select(namesOf("n")),
      page,
      { raisedAt: "n.raised_at", severity: "n.severity" },
      "raisedAt",
      "n.id",
      toView,
    );

  // The highest level of each NT1 episode stands for it; every other notification stands alone.
  // Ranked on bare columns: the names are added outside, to the page's rows only (after its
  // LIMIT), not to every notification of the space the window function reads.
  const ranked = matching().select(
    sql<number>`case when n.kind = ${USAGE_KIND} then row_number() over (
      partition by n.kind, n.account_id, n.adam_id, n.cleared_at
      order by n.threshold desc nulls last, n.raised_at desc, n.id) else 1 end`.as("episode_rank"),
  );
  const heads = db.selectFrom(ranked.as("g")).selectAll("g").where("g.episode_rank", "=", 1);
  const { total } = (await heads
    .clearSelect()
    .select(sql<number>`count(*)::int`.as("total"))
    .executeTakeFirst()) ?? { total: 0 };
  // As paged() orders a page: the sort asked (raisedAt by default), nulls last, then the id.
  const column = page.sort === "severity" ? "severity" : "raised_at";
  const direction = page.order === "desc" ? sql`desc` : sql`asc`;
  const order = (t: "g" | "p") => sql`${sql.ref(`${t}.${column}`)} ${direction} nulls last`;
  const pageOfHeads = heads
    .orderBy(order("g"))
    .orderBy("g.id")
    .limit(page.pageSize)
    .offset((page.page - 1) * page.pageSize);
  const rows = await db
    .selectFrom(pageOfHeads.as("p"))
    .selectAll("p")
    .select(namesOf("p"))
    .orderBy(order("p"))
    .orderBy("p.id")
    .execute();
  const result: Page<NotificationView> = {
    items: rows.map(toView),
    total: Number(total ?? 0),
    page: page.page,
    pageSize: page.pageSize,
  };
  const usage = result.items.filter((n) => n.kind === USAGE_KIND && n.accountId && n.adamId);
  if (usage.length === 0) return result;
  const episode = (n: { accountId?: string; adamId?: string; clearedAt?: Date }) =>
    `${n.accountId}/${n.adamId}/${n.clearedAt?.getTime() ?? "open"}`;
  const lower = await matching()
    .where("n.kind", "=", USAGE_KIND)
    .where("n.adam_id", "in", [...new Set(usage.map((n) => n.adamId ?? ""))])
    .where("n.account_id", "in", [...new Set(usage.map((n) => n.accountId ?? ""))])
    .where(
      "n.id",
      "not in",
      usage.map((n) => n.id),
    )
    .orderBy("n.threshold", "desc")
    .execute();
  const byEpisode = new Map<string, FoldedNotification[]>();
  for (const row of lower.map(toNotification)) {
    const folded = byEpisode.get(episode(row)) ?? [];
    folded.push({
      id: row.id,
      severity: row.severity,
      threshold: row.threshold,
      raisedAt: row.raisedAt,
      acknowledgedAt: row.acknowledgedAt,
    });
    byEpisode.set(episode(row), folded);
  }
  for (const head of usage) head.folded = byEpisode.get(episode(head)) ?? [];
  return result;
}

/**
 * The search box: `q` in the English title or in the names the list shows, or a message key
 * among `keys` (those whose words in the reader's language contain `q`). A space has few
 * notifications: the names are matched row by row, with the very expressions the list shows.
 */
function searched(
  eb: ExpressionBuilder<Database & { n: NotificationTable }, "n">,
  { q, keys }: Pick<PageRequest, "q" | "keys">,
): Expression<SqlBool>[] {
  const any: Expression<SqlBool>[] = [];
  if (q) {
    const like = likePattern(q);
    any.push(
      eb("n.title", "ilike", like),
      sql<SqlBool>`${appNameOf("n")} ilike ${like}`,
      sql<SqlBool>`${accountNameOf("n")} ilike ${like}`,
    );
  }
  if (keys?.length) any.push(inList("n.message_key", keys));
  return any;
}

/** The app's name (its asset's, else the app's in another account of the space) and the account's. */
function namesOf(t: "n" | "p") {
  return [appNameOf(t).as("app_name"), accountNameOf(t).as("account_name")] as const;
}

function appNameOf(t: "n" | "p") {
  const ref = (column: string) => sql.ref(`${t}.${column}`);
  return sql<string | null>`(select a.name from assets a where a.space_id = ${ref("space_id")}
    and a.adam_id = ${ref("adam_id")} and a.name is not null
    order by (a.account_id = ${ref("account_id")}) desc, a.account_id limit 1)`;
}

function accountNameOf(t: "n" | "p") {
  const ref = (column: string) => sql.ref(`${t}.${column}`);
  return sql<string | null>`(select c.display_name from accounts c
    where c.space_id = ${ref("space_id")} and c.id = ${ref("account_id")})`;
}

function toNotification(row: Selectable<NotificationTable>): Notification {
  return {
    id: row.id,
    spaceId: row.space_id,
    kind: row.kind,
    severity: row.severity,
    component: row.component,
    title: row.title,
    messageKey: row.message_key ?? undefined,
    messageParams: row.message_key === null ? undefined : (row.message_params ?? {}),
    details: row.details,
    accountId: row.account_id ?? undefined,
    adamId: row.adam_id ?? undefined,
    threshold: row.threshold ?? undefined,
    raisedAt: row.raised_at,
    clearedAt: row.cleared_at ?? undefined,
    acknowledgedAt: row.acknowledged_at ?? undefined,
  };
}

function toView(
  row: Selectable<NotificationTable> & { app_name: string | null; account_name: string | null },
): NotificationView {
  return {
    ...toNotification(row),
    appName: row.app_name ?? undefined,
    accountName: row.account_name ?? undefined,
  };
}
