import { sql } from "kysely";
import { type LicenseState, type LicenseType, usagePercent } from "../licensing/index.js";
import { appNamesOfSpace } from "./app-names.js";
import type { Db } from "./database.js";
import { freeLicenses, heldForReservations } from "./held-reservations.js";
import { type LicenseFilter, type LicenseOfSpace, licensesOfSpace } from "./views.repo.js";

/**
 * The exports of licenses and of license usage: whole tables walked by key, `batch` rows
 * per query (never OFFSET, never the whole table in memory), as iterateActivity walks the
 * log (activity-view.repo.ts). The rows are the lists' own (views.repo.ts), with what an audit needs.
 */

/** One license, its subject and its dates, as the licenses export writes it. */
export interface LicenseExportRow {
  id: string;
  adamId: string;
  appName?: string;
  accountId: string;
  accountName: string;
  type: LicenseType;
  userId?: string;
  userName?: string;
  userEmail?: string;
  managedAppleId?: string;
  deviceId?: string;
  serialNumber?: string;
  state: LicenseState;
  /** DI6: granted to a reserved user or device. */
  reserved: boolean;
  ruleIds: string[];
  createdAt: Date;
  assignedAt?: Date;
  /** When it was revoked or given back. */
  releasedAt?: Date;
  /** RV3: when the grace period ends, while the license is in it. */
  graceEndsAt?: Date;
}

/**
 * Every license of the space the list's filters and search keep, by id (the primary key's
 * order: each batch is one index range, whatever the space's size).
 */
export async function* iterateLicenses(
  db: Db,
  spaceId: string,
  filter: LicenseFilter,
  q?: string,
  batch = 1000,
): AsyncGenerator<LicenseExportRow> {
  // An asset without a name yet: the catalog's, as the activity export names apps (read once).
  const { rows: named } = await appNamesOfSpace(spaceId).execute(db);
  const appNames = new Map(named.flatMap((r) => (r.name ? [[r.adam_id, r.name] as const] : [])));
  let after: string | undefined;
  for (;;) {
    let query = licensesOfSpace(db, spaceId, filter, q);
    if (after !== undefined) query = query.where("l.id", ">", after);
    const rows = await query.orderBy("l.id").limit(batch).execute();
    for (const row of rows) yield toExportRow(row, appNames.get(row.adam_id));
    if (rows.length < batch) return;
    after = rows[rows.length - 1]?.id;
  }
}

function toExportRow(r: LicenseOfSpace, catalogName: string | undefined): LicenseExportRow {
  const appName = r.app_name ?? catalogName;
  return {
    id: r.id,
    adamId: r.adam_id,
    ...(appName ? { appName } : {}),
    accountId: r.account_id,
    accountName: r.account_name,
    type: r.type,
    ...(r.user_id !== null ? { userId: r.user_id } : {}),
    ...(r.user_name !== null ? { userName: r.user_name } : {}),
    ...(r.user_email !== null ? { userEmail: r.user_email } : {}),
    ...(r.managed_apple_id !== null ? { managedAppleId: r.managed_apple_id } : {}),
    ...(r.device_id !== null ? { deviceId: r.device_id } : {}),
    ...(r.serial_number !== null ? { serialNumber: r.serial_number } : {}),
    state: r.state,
    reserved: r.reserved,
    ruleIds: r.rule_ids,
    createdAt: r.created_at,
    ...(r.assigned_at ? { assignedAt: r.assigned_at } : {}),
    ...(r.released_at ? { releasedAt: r.released_at } : {}),
    ...(r.grace_ends ? { graceEndsAt: new Date(r.grace_ends) } : {}),
  };
}

/** One app bought by one account: Apple's count, Orchard's licenses by state, the queue. */
export interface AppUsageRow {
  adamId: string;
  /** The catalog's name, else the asset's (as the apps list, VU4). */
  appName?: string;
  productType: "App" | "Book";
  accountId: string;
  accountName: string;
  /** Licenses Apple says the account holds for the app (its total count). */
  total: number;
  /** Apple's assigned count, as last synced. */
  appleAssigned: number;
  /** Seats taken: Orchard's licenses holding one, and assignments made outside Orchard. */
  used: number;
  assigned: number;
  /** Granted, waiting for Apple's confirmation. */
  pendingAssign: number;
  /** Being released (the seat is held until Apple confirms). */
  pendingRelease: number;
  /** RV3: released, in their grace period (no seat held). */
  inGrace: number;
  /** DI6: seats set aside for reserved users and devices that hold none yet. */
  reserved: number;
  available: number;
  /**
   * DB2, UB3: requests waiting for the app, users' and devices'. The queue is the app's, not
   * one account's: every account row of the app repeats it.
   */
  waitingUsers: number;
  waitingDevices: number;
  /** NT1: used / total, rounded (an app with no license and some in use: 100). */
  usagePercent: number;
}

export interface AppUsageFilter {
  accountId?: string;
  adamId?: string;
}

/** Every (app, account) of the space, by app id then account id, `batch` per query. */
export async function* iterateAppUsage(
  db: Db,
  spaceId: string,
  filter: AppUsageFilter = {},
  batch = 500,
): AsyncGenerator<AppUsageRow> {
  let after: { adamId: string; accountId: string } | undefined;
  for (;;) {
    const { rows } = await appUsagePage(spaceId, filter, after, batch).execute(db);
    for (const row of rows) yield toUsageRow(row);
    const last = rows[rows.length - 1];
    if (rows.length < batch || !last) return;
    after = { adamId: last.adam_id, accountId: last.account_id };
  }
}

interface AppUsageRecord {
  adam_id: string;
  app_name: string | null;
  product_type: "App" | "Book";
  account_id: string;
  account_name: string;
  total_count: number;
  apple_assigned_count: number;
  used: number;
  assigned: number;
  pending_assign: number;
  pending_release: number;
  in_grace: number;
  reserved: number;
  waiting_users: number;
  waiting_devices: number;
}

/**
 * One page of (app, account) rows with their counts. Seat-holding licenses are counted on
 * their index (licenses_seats), licenses in grace on theirs (licenses_grace): released
 * ones, the bulk of a long-lived space, are never read.
 */
function appUsagePage(
  spaceId: string,
  filter: AppUsageFilter,
  after: { adamId: string; accountId: string } | undefined,
  batch: number,
) {
  const ofAsset = sql`x.space_id = s.space_id and x.account_id = s.account_id and x.adam_id = s.adam_id`;
  return sql<AppUsageRecord>`
    select s.adam_id, coalesce(c.name, s.name) as app_name, s.product_type, s.account_id,
      a.display_name as account_name, s.total_count, s.apple_assigned_count, s.used,
      n.assigned, n.pending_assign, n.pending_release,
      (select count(*) from licenses x where ${ofAsset} and x.grace_ends is not null)::int as in_grace,
      ${heldForReservations("s")} as reserved,
      w.waiting_users, w.waiting_devices
    from assets s
    join accounts a on a.space_id = s.space_id and a.id = s.account_id
    left join catalog_apps c on c.space_id = s.space_id and c.adam_id = s.adam_id
    cross join lateral (
      select count(*) filter (where x.state = 'assigned')::int as assigned,
        count(*) filter (where x.state = 'pending_assign')::int as pending_assign,
        count(*) filter (where x.state = 'pending_release')::int as pending_release
      from licenses x where ${ofAsset} and x.holds_seat) n
    cross join lateral (
      select count(q.user_id)::int as waiting_users, count(q.device_id)::int as waiting_devices
      from license_queue q where q.space_id = s.space_id and q.adam_id = s.adam_id) w
    where s.space_id = ${spaceId}
      ${filter.accountId !== undefined ? sql`and s.account_id = ${filter.accountId}` : sql``}
      ${filter.adamId !== undefined ? sql`and s.adam_id = ${filter.adamId}` : sql``}
      ${after ? sql`and (s.adam_id, s.account_id) > (${after.adamId}, ${after.accountId})` : sql``}
    order by s.adam_id, s.account_id
    limit ${batch}`;
}

function toUsageRow(r: AppUsageRecord): AppUsageRow {
  const total = Number(r.total_count);
  const used = Number(r.used);
  return {
    adamId: r.adam_id,
    ...(r.app_name ? { appName: r.app_name } : {}),
    productType: r.product_type,
    accountId: r.account_id,
    accountName: r.account_name,
    total,
    appleAssigned: Number(r.apple_assigned_count),
    used,
    assigned: Number(r.assigned),
    pendingAssign: Number(r.pending_assign),
    pendingRelease: Number(r.pending_release),
    inGrace: Number(r.in_grace),
    reserved: Number(r.reserved),
    available: freeLicenses({ total, used, reserved: Number(r.reserved) }),
    waitingUsers: Number(r.waiting_users),
    waitingDevices: Number(r.waiting_devices),
    usagePercent: Math.round(usagePercent(used, total)),
  };
}
