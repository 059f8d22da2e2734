import { type ExpressionBuilder, type Selectable, sql } from "kysely";
import { type ActivityRecord, toActivity } from "./activity.repo.js";
import { activitySearch } from "./activity-search.js";
import { appNamesOfSpace } from "./app-names.js";
import type { Db } from "./database.js";
import type { ActivityTable, ActorKind } from "./license.table.js";
import { type Page, type PageRequest, paged } from "./paging.js";

/** The activity log as the console, the API and the exports read it: filtered, named, paged or streamed. */
export interface ActivityFilter {
  action?: string;
  actorKind?: ActorKind;
  adamId?: string;
  userId?: string;
  deviceId?: string;
  accountId?: string;
  licenseId?: string;
  ruleId?: string;
  from?: Date;
  to?: Date;
  /** Entries older than this sequence number (CSV export walks the log with it). */
  beforeSeq?: number;
}

function activityQuery(
  db: Db,
  spaceId: string,
  f: ActivityFilter,
  search: Pick<PageRequest, "q" | "keys"> = {},
) {
  let query = db.selectFrom("activity_log as g").selectAll("g").where("g.space_id", "=", spaceId);
  if (f.action) query = query.where("g.action", "=", f.action);
  if (f.actorKind) query = query.where("g.actor_kind", "=", f.actorKind);
  if (f.adamId) query = query.where("g.adam_id", "=", f.adamId);
  if (f.userId) query = query.where("g.user_id", "=", f.userId);
  if (f.deviceId) query = query.where("g.device_id", "=", f.deviceId);
  if (f.accountId) query = query.where("g.account_id", "=", f.accountId);
  if (f.licenseId) query = query.where("g.license_id", "=", f.licenseId);
  if (f.ruleId) query = query.where(sql<boolean>`${f.ruleId} = any(g.rule_ids)`);
  if (f.from) query = query.where("g.at", ">=", f.from);
  if (f.to) query = query.where("g.at", "<", f.to);
  if (f.beforeSeq !== undefined) query = query.where("g.seq", "<", f.beforeSeq);
  // Only a search reads the names (and pays for it).
  if (search.q || search.keys?.length) query = query.where((eb) => activitySearch(eb, spaceId, search));
  return query;
}

/** A line of the log with the names of what it refers to, as the console shows them. */
export interface ActivityView extends ActivityRecord {
  deviceSerialNumber?: string;
  userName?: string;
  /** The app's name from an account's asset, else from the catalog. */
  appName?: string;
  accountName?: string;
  /** Who acted: an administrator's display name, an API token's name. */
  actorName?: string;
}

/**
 * Newest first, with the names of the device, user, app and account each line refers to
 * (rows kept after a deletion keep their ids; a name is absent when its row is gone).
 */
export function listActivityView(
  db: Db,
  spaceId: string,
  filter: ActivityFilter,
  page: PageRequest,
): Promise<Page<ActivityView>> {
  const query = withNames(activityQuery(db, spaceId, filter, page)).select(
    sql<string | null>`coalesce(
        (select max(s.name) from assets s where s.space_id = g.space_id and s.adam_id = g.adam_id),
        (select c.name from catalog_apps c where c.space_id = g.space_id and c.adam_id = g.adam_id))`.as(
      "app_name",
    ),
  );
  return paged(query, { ...page, order: "desc" }, { seq: "g.seq" }, "seq", "g.seq", (row) =>
    toActivityView(row, row.app_name),
  );
}

/** The device, user and account names of the lines (rows kept after a deletion keep theirs). */
function withNames(query: ReturnType<typeof activityQuery>) {
  return query
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "g.space_id").onRef("d.id", "=", "g.device_id"),
    )
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "g.space_id").onRef("u.id", "=", "g.user_id"))
    .leftJoin("accounts as a", (j) =>
      j.onRef("a.space_id", "=", "g.space_id").onRef("a.id", "=", "g.account_id"),
    )
    .select([
      "d.serial_number as device_serial_number",
      "u.name as user_name",
      "a.display_name as account_name",
      // Who acted (auth tables, outside the store's schema type): gone with its row.
      sql<string | null>`case g.actor_kind
        when 'admin' then (select ad.display_name from admins ad where ad.id = g.actor_id)
        when 'api_token' then (select tk.name from api_tokens tk where tk.id = g.actor_id) end`.as(
        "actor_name",
      ),
    ]);
}

function toActivityView(
  row: Selectable<ActivityTable> & {
    device_serial_number: string | null;
    user_name: string | null;
    account_name: string | null;
    actor_name: string | null;
  },
  appName: string | null | undefined,
): ActivityView {
  return {
    ...toActivity(row),
    ...(row.device_serial_number !== null ? { deviceSerialNumber: row.device_serial_number } : {}),
    ...(row.user_name !== null ? { userName: row.user_name } : {}),
    ...(appName ? { appName } : {}),
    ...(row.account_name !== null ? { accountName: row.account_name } : {}),
    ...(row.actor_name !== null ? { actorName: row.actor_name } : {}),
  };
}

/**
 * The whole filtered log with its names, newest first, `batch` rows per query (keyset:
 * never OFFSET). App names are read once for the export (a space has a few hundred apps;
 * its log, millions of lines).
 */
export async function* iterateActivity(
  db: Db,
  spaceId: string,
  filter: ActivityFilter,
  search: Pick<PageRequest, "q" | "keys"> = {},
  batch = 1000,
): AsyncGenerator<ActivityView> {
  const appNames = await appNamesOf(db, spaceId);
  let before: number | undefined = filter.beforeSeq;
  for (;;) {
    const rows = await withNames(
      activityQuery(
        db,
        spaceId,
        { ...filter, ...(before !== undefined ? { beforeSeq: before } : {}) },
        search,
      ),
    )
      .orderBy("g.seq", "desc")
      .limit(batch)
      .execute();
    for (const row of rows) yield toActivityView(row, row.adam_id ? appNames.get(row.adam_id) : undefined);
    if (rows.length < batch) return;
    before = Number(rows[rows.length - 1]?.seq);
  }
}

/** Every app name of the space: an account's asset's, else the catalog's. */
async function appNamesOf(db: Db, spaceId: string): Promise<Map<string, string>> {
  const { rows } = await appNamesOfSpace(spaceId).execute(db);
  return new Map(rows.flatMap((r) => (r.name ? [[r.adam_id, r.name] as [string, string]] : [])));
}

/**
 * A place in the change feed: just after the line written by transaction `xid` (xid8, as
 * decimal text) with `seq`. Lines before migration 0049 have xid 0.
 */
export interface FeedPosition {
  xid: string;
  seq: number;
}

/** A position as readers keep it (the API's `next`, the CLI's `--after`): "xid.seq". */
export const FEED_CURSOR = /^\d{1,20}\.\d{1,15}$/;

export function formatFeedCursor(p: FeedPosition): string {
  return `${p.xid}.${p.seq}`;
}

/** A cursor `formatFeedCursor` wrote (FEED_CURSOR checked first), back to its position. */
export function parseFeedCursor(cursor: string): FeedPosition {
  const [xid, seq] = cursor.split(".");
  return { xid: String(BigInt(xid as string)), seq: Number(seq) };
}

/** The start of the log: before every line. */
export const FEED_START: FeedPosition = { xid: "0", seq: 0 };

/** Lines a filtered read looks at, at most: its cost whatever the filter keeps. */
export const FEED_SCAN = 10_000;

/** What a feed reader may ask for: the lines naming one of these. */
export const FEED_SUBJECTS = ["license", "device", "user", "app", "account"] as const;
export type FeedSubject = (typeof FEED_SUBJECTS)[number];

export interface FeedPage {
  items: ActivityView[];
  /** Where the next read starts: after the last line read, or where this one started. */
  next: FeedPosition;
  hasMore: boolean;
}

const SUBJECT_COLUMN = {
  license: "g.license_id",
  device: "g.device_id",
  user: "g.user_id",
  app: "g.adam_id",
  account: "g.account_id",
} as const;

/**
 * The log in commit order, after a position (`"now"`: from what commits from now on), for
 * an MDM or an auditor to follow every change (invariant 4) with no line skipped or read twice.
 *
 * A line's `seq` is taken at insert, not at commit: a transaction may commit a line after
 * another's later one, so a cursor on `seq` would skip it. Lines are ordered by their
 * transaction's id instead, and read only below the horizon: the oldest transaction still
 * running (the snapshot's xmin), under which every transaction has ended, so nothing can
 * come before a position once read. A long transaction holds the feed back, never loses a line.
 *
 * Returns undefined for a position past every transaction this database has run: one from
 * another copy of it (a restore; settleFeedAfterRestore), which the reader must start again from.
 */
export async function readActivityFeed(
  db: Db,
  spaceId: string,
  request: { after: FeedPosition | "now"; limit: number; about?: readonly FeedSubject[] },
): Promise<FeedPage | undefined> {
  const { rows } = await sql<{ xmin: string; xmax: string }>`select
      pg_snapshot_xmin(pg_current_snapshot())::text as xmin,
      pg_snapshot_xmax(pg_current_snapshot())::text as xmax`.execute(db);
  const horizon = rows[0] as { xmin: string; xmax: string };
  const start: FeedPosition = request.after === "now" ? { xid: horizon.xmin, seq: 0 } : request.after;
  if (BigInt(start.xid) > BigInt(horizon.xmax)) return undefined;
  const after = (eb: ExpressionBuilder<{ g: ActivityTable }, "g">) =>
    eb.and([
      eb("g.space_id", "=", spaceId),
      sql<boolean>`(g.xid, g.seq) > (${start.xid}::xid8, ${start.seq})`,
      sql<boolean>`g.xid < ${horizon.xmin}::xid8`,
    ]);
  const about = request.about ?? [];
  // A filter passes over the lines it does not keep: at most FEED_SCAN of them a read, so
  // that a reader far behind with a rare filter costs no more than any other. The read
  // then ends at the last line looked at, and says there is more.
  const bound =
    about.length > 0
      ? await db
          .selectFrom("activity_log as g")
          .select(["g.xid", "g.seq"])
          .where(after)
          .orderBy("g.xid")
          .orderBy("g.seq")
          .offset(FEED_SCAN - 1)
          .limit(1)
          .executeTakeFirst()
      : undefined;
  let query = withNames(db.selectFrom("activity_log as g").selectAll("g").where(after))
    .orderBy("g.xid")
    .orderBy("g.seq")
    .limit(request.limit + 1);
  if (bound) query = query.where(sql<boolean>`(g.xid, g.seq) <= (${bound.xid}::xid8, ${bound.seq})`);
  if (about.length > 0)
    query = query.where((eb) => eb.or(about.map((s) => eb(SUBJECT_COLUMN[s], "is not", null))));
  const read = await query.execute();
  const page = read.slice(0, request.limit);
  const full = read.length > request.limit;
  const last = page[page.length - 1];
  const appNames = page.some((r) => r.adam_id) ? await appNamesOf(db, spaceId) : new Map<string, string>();
  return {
    items: page.map((row) => toActivityView(row, row.adam_id ? appNames.get(row.adam_id) : undefined)),
    // After the last line read (nothing under the horizon was left unread before it), or the
    // last one looked at when the filter kept too few; else where it started: the same
    // answer while nothing changes.
    next:
      !full && bound
        ? { xid: bound.xid, seq: Number(bound.seq) }
        : last
          ? { xid: last.xid, seq: Number(last.seq) }
          : start,
    hasMore: full || bound !== undefined,
  };
}
