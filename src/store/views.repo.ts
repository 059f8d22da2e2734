import { sql } from "kysely";
import type { LicenseState, LicenseType } from "../licensing/index.js";
import type { Db } from "./database.js";
import { heldForReservations } from "./held-reservations.js";
import { likePattern, type Page, type PageRequest, paged } from "./paging.js";
import { rulesVersion } from "./rules.repo.js";

/**
 * The list views of licenses and apps (VU2, VU4, VU5, DI5): searchable, paged, sorted,
 * always scoped to one space.
 */
export interface LicenseRow {
  id: string;
  accountId: string;
  accountName: string;
  adamId: string;
  appName?: string;
  type: LicenseType;
  userId?: string;
  userName?: string;
  deviceId?: string;
  serialNumber?: string;
  /** A device license: the device's name, as its MDM named it (0050; the list finds it by it). */
  deviceName?: string;
  /** A device license: the device's user, whose device it is (the list finds it by their name). */
  deviceUserId?: string;
  deviceUserName?: string;
  state: LicenseState;
  reserved: boolean;
  /** False for a book: Apple never takes its license back, so no revoke releases it. */
  revocable: boolean;
  ruleIds: string[];
  createdAt: Date;
  assignedAt?: Date;
  releasedAt?: Date;
  graceUntil?: Date;
  /** DI5: the latest activity-log action on this license. */
  lastAction?: string;
  lastActionAt?: Date;
}

export interface LicenseFilter {
  adamId?: string;
  userId?: string;
  deviceId?: string;
  accountId?: string;
  type?: LicenseType;
  state?: LicenseState;
}

export const LICENSE_SORTS = {
  createdAt: "l.created_at",
  assignedAt: "l.assigned_at",
  appName: "s.name",
  userName: "u.name",
  /** The "user or device" column: the user's name, else the device's serial number. */
  subject: "coalesce(u.name, d.serial_number)",
  serialNumber: "d.serial_number",
  state: "l.state",
  type: "l.type",
} as const;

/**
 * The licenses of a space with the names of what they refer to, filtered, `q` searching
 * user names, serial numbers, device names and app names (VU5): what the list pages and the export walks.
 */
export function licensesOfSpace(db: Db, spaceId: string, filter: LicenseFilter, q?: string) {
  let query = db
    .selectFrom("licenses as l")
    .innerJoin("accounts as a", (j) =>
      j.onRef("a.space_id", "=", "l.space_id").onRef("a.id", "=", "l.account_id"),
    )
    .innerJoin("assets as s", (j) =>
      j
        .onRef("s.space_id", "=", "l.space_id")
        .onRef("s.account_id", "=", "l.account_id")
        .onRef("s.adam_id", "=", "l.adam_id"),
    )
    .leftJoin("users as u", (j) => j.onRef("u.space_id", "=", "l.space_id").onRef("u.id", "=", "l.user_id"))
    .leftJoin("devices as d", (j) =>
      j.onRef("d.space_id", "=", "l.space_id").onRef("d.id", "=", "l.device_id"),
    )
    // A device license is found by its device's user too: "Ada" finds the license of Ada's iPad.
    .leftJoin("users as du", (j) =>
      j.onRef("du.space_id", "=", "d.space_id").onRef("du.id", "=", "d.user_id"),
    )
    .select([
      "l.id",
      "l.account_id",
      "a.display_name as account_name",
      "l.adam_id",
      "s.name as app_name",
      "l.type",
      "l.user_id",
      "u.name as user_name",
      "u.email as user_email",
      "u.managed_apple_id",
      "l.device_id",
      "d.serial_number",
      "d.name as device_name",
      "du.id as device_user_id",
      "du.name as device_user_name",
      "l.state",
      "l.reserved",
      "s.revocable",
      "l.rule_ids",
      "l.created_at",
      "l.assigned_at",
      "l.released_at",
      "l.grace_until",
      "l.grace_ends",
    ])
    .where("l.space_id", "=", spaceId);
  if (filter.adamId) query = query.where("l.adam_id", "=", filter.adamId);
  if (filter.userId) query = query.where("l.user_id", "=", filter.userId);
  if (filter.deviceId) query = query.where("l.device_id", "=", filter.deviceId);
  if (filter.accountId) query = query.where("l.account_id", "=", filter.accountId);
  if (filter.type) query = query.where("l.type", "=", filter.type);
  if (filter.state) query = query.where("l.state", "=", filter.state);
  if (q) {
    const like = likePattern(q);
    query = query.where((eb) =>
      eb.or([
        eb("u.name", "ilike", like),
        eb("d.serial_number", "ilike", like),
        eb("d.name", "ilike", like),
        eb("du.name", "ilike", like),
        eb("s.name", "ilike", like),
      ]),
    );
  }
  return query;
}

/** A row of `licensesOfSpace` as the list shows it (the last action aside). */
export function toLicenseRow(r: LicenseOfSpace): LicenseRow {
  return {
    id: r.id,
    accountId: r.account_id,
    accountName: r.account_name,
    adamId: r.adam_id,
    appName: r.app_name ?? undefined,
    type: r.type,
    userId: r.user_id ?? undefined,
    userName: r.user_name ?? undefined,
    deviceId: r.device_id ?? undefined,
    serialNumber: r.serial_number ?? undefined,
    ...(r.device_name ? { deviceName: r.device_name } : {}),
    ...(r.type === "device" && r.device_user_id
      ? { deviceUserId: r.device_user_id, deviceUserName: r.device_user_name ?? undefined }
      : {}),
    state: r.state,
    reserved: r.reserved,
    revocable: r.revocable,
    ruleIds: r.rule_ids,
    createdAt: r.created_at,
    assignedAt: r.assigned_at ?? undefined,
    releasedAt: r.released_at ?? undefined,
    graceUntil: r.grace_until ?? undefined,
  };
}

export type LicenseOfSpace = Awaited<
  ReturnType<ReturnType<typeof licensesOfSpace>["executeTakeFirstOrThrow"]>
>;

/** Licenses of a space, paged (VU5, DI5): with the latest action of each. */
export function listLicensesView(
  db: Db,
  spaceId: string,
  filter: LicenseFilter,
  page: PageRequest,
): Promise<Page<LicenseRow>> {
  const query = withLastAction(licensesOfSpace(db, spaceId, filter, page.q));
  return paged(query, page, LICENSE_SORTS, "createdAt", "l.id", toLicenseRowWithAction);
}

/** One license as the list shows it (names, dates, its latest action); undefined: not the space's. */
export async function findLicenseView(
  db: Db,
  spaceId: string,
  licenseId: string,
): Promise<LicenseRow | undefined> {
  const row = await withLastAction(licensesOfSpace(db, spaceId, {}))
    .where("l.id", "=", licenseId)
    .executeTakeFirst();
  return row && toLicenseRowWithAction(row);
}

/** DI5: each license's latest activity-log action, by the log's license index. */
function withLastAction(query: ReturnType<typeof licensesOfSpace>) {
  return query.select([
    sql<
      string | null
    >`(select g.action from activity_log g where g.space_id = l.space_id and g.license_id = l.id order by g.seq desc limit 1)`.as(
      "last_action",
    ),
    sql<Date | null>`(select g.at from activity_log g where g.space_id = l.space_id and g.license_id = l.id order by g.seq desc limit 1)`.as(
      "last_action_at",
    ),
  ]);
}

function toLicenseRowWithAction(
  r: LicenseOfSpace & { last_action: string | null; last_action_at: Date | null },
): LicenseRow {
  return {
    ...toLicenseRow(r),
    lastAction: r.last_action ?? undefined,
    lastActionAt: r.last_action_at ? new Date(r.last_action_at) : undefined,
  };
}

/** VU4: one app of the space, its counts summed over the accounts that bought it. */
export interface AppRow {
  adamId: string;
  name?: string;
  productType: "App" | "Book";
  /** Price per license (the highest over the accounts). */
  price?: number;
  /** The price's currency (ISO 4217), when the store's lookup gave it. */
  currency?: string;
  total: number;
  used: number;
  /** Free for anyone: neither used nor held for a reservation (DI6). */
  available: number;
  /** DI6: held for reservations whose holder has no license yet. */
  reserved: number;
  accounts: number;
  inCatalog: boolean;
  /** From the store's metadata lookup (src/sync/metadata.ts). */
  genre?: string;
  bundleId?: string;
  artworkUrl?: string;
  /** Not in the public store: a custom (B2B) app. */
  custom: boolean;
  latestVersion?: string;
  /** DB5: the console reminds to check device-license support with the developer. */
  deviceLicenseReminder: boolean;
  /** DB2, UB3: requests waiting for a license of the app. */
  waiting: number;
  /**
   * CA1: the default space's id, when it delegated the app to this space: its catalog
   * options are this space's, the delegation is the default space's.
   */
  delegatedFrom?: string;
}

/** DB5: a custom (B2B) or Productivity-genre app gets the reminder when device-based is chosen. */
export function needsDeviceLicenseReminder(app: { custom: boolean; genre?: string | undefined }): boolean {
  return app.custom || app.genre === "Productivity";
}

export const APP_SORTS = {
  name: "name",
  price: "price",
  total: "total",
  used: "used",
  available: "available",
  waiting: "waiting",
  adamId: "adam_id",
} as const;

/**
 * VU4: the apps of the space's accounts (or of one account), and, for the whole space, the
 * apps delegated to it that none of its accounts bought (CA1): the space has no license of
 * them, but may have their waits; what the store knows of them comes from the delegating
 * space's assets.
 */
export function listAppsView(
  db: Db,
  spaceId: string,
  filter: { accountId?: string },
  page: PageRequest,
): Promise<Page<AppRow>> {
  let bought = db
    .selectFrom("assets as s")
    .leftJoin("catalog_apps as c", (j) =>
      j.onRef("c.space_id", "=", "s.space_id").onRef("c.adam_id", "=", "s.adam_id"),
    )
    .select([
      "s.adam_id",
      sql<string | null>`coalesce(max(c.name), max(s.name))`.as("name"),
      sql<"App" | "Book">`max(s.product_type)`.as("product_type"),
      sql<number | null>`max(s.price)`.as("price"),
      sql<string | null>`max(s.currency)`.as("currency"),
      sql<number>`sum(s.total_count)::int`.as("total"),
      sql<number>`sum(s.used)::int`.as("used"),
      // DI6: per account, what is neither used nor held for a reservation (as explain counts it).
      sql<number>`sum(greatest(s.total_count - s.used - ${heldForReservations("s")}, 0))::int`.as(
        "available",
      ),
      sql<number>`sum(${heldForReservations("s")})::int`.as("reserved"),
      sql<number>`count(*)::int`.as("accounts"),
      sql<boolean>`coalesce(bool_or(c.in_catalog), false)`.as("in_catalog"),
      sql<string | null>`max(s.genre)`.as("genre"),
      sql<string | null>`max(s.bundle_id)`.as("bundle_id"),
      sql<string | null>`max(s.artwork_url)`.as("artwork_url"),
      sql<boolean>`coalesce(bool_or(s.custom), false)`.as("custom"),
      sql<string | null>`max(s.latest_version)`.as("latest_version"),
      sql<string | null>`max(c.delegated_from_space_id)`.as("delegated_from"),
    ])
    .where("s.space_id", "=", spaceId)
    .groupBy("s.adam_id");
  if (filter.accountId) bought = bought.where("s.account_id", "=", filter.accountId);
  const apps = filter.accountId ? bought : bought.unionAll(delegatedNotBought(db, spaceId));
  let query = db
    .selectFrom(apps.as("v"))
    .selectAll()
    .select(
      sql<number>`(select count(*) from license_queue q where q.space_id = ${spaceId} and q.adam_id = v.adam_id)::int`.as(
        "waiting",
      ),
    );
  if (page.q) {
    const like = likePattern(page.q);
    query = query.where((eb) => eb.or([eb("v.name", "ilike", like), eb("v.adam_id", "ilike", like)]));
  }
  return paged(query, page, APP_SORTS, "name", "adam_id", (r) => ({
    adamId: r.adam_id,
    name: r.name ?? undefined,
    productType: r.product_type,
    price: r.price === null ? undefined : Number(r.price),
    currency: r.currency ?? undefined,
    total: r.total,
    used: r.used,
    available: r.available,
    reserved: r.reserved,
    accounts: r.accounts,
    inCatalog: r.in_catalog,
    genre: r.genre ?? undefined,
    bundleId: r.bundle_id ?? undefined,
    artworkUrl: r.artwork_url ?? undefined,
    custom: r.custom,
    latestVersion: r.latest_version ?? undefined,
    deviceLicenseReminder: needsDeviceLicenseReminder({ custom: r.custom, genre: r.genre ?? undefined }),
    waiting: r.waiting,
    delegatedFrom: r.delegated_from ?? undefined,
  }));
}

/** CA1: apps delegated to the space that none of its accounts bought, in listAppsView's columns. */
function delegatedNotBought(db: Db, spaceId: string) {
  return db
    .selectFrom("catalog_apps as c")
    .leftJoin("assets as s", (j) =>
      j.onRef("s.space_id", "=", "c.delegated_from_space_id").onRef("s.adam_id", "=", "c.adam_id"),
    )
    .select([
      "c.adam_id",
      sql<string | null>`coalesce(max(c.name), max(s.name))`.as("name"),
      sql<"App" | "Book">`coalesce(max(s.product_type), 'App')`.as("product_type"),
      sql<number | null>`max(s.price)`.as("price"),
      sql<string | null>`max(s.currency)`.as("currency"),
      sql<number>`0::int`.as("total"),
      sql<number>`0::int`.as("used"),
      sql<number>`0::int`.as("available"),
      sql<number>`0::int`.as("reserved"),
      sql<number>`0::int`.as("accounts"),
      sql<boolean>`bool_or(c.in_catalog)`.as("in_catalog"),
      sql<string | null>`max(s.genre)`.as("genre"),
      sql<string | null>`max(s.bundle_id)`.as("bundle_id"),
      sql<string | null>`max(s.artwork_url)`.as("artwork_url"),
      sql<boolean>`coalesce(bool_or(s.custom), false)`.as("custom"),
      sql<string | null>`max(s.latest_version)`.as("latest_version"),
      sql<string | null>`max(c.delegated_from_space_id)`.as("delegated_from"),
    ])
    .where("c.space_id", "=", spaceId)
    .where("c.delegated_from_space_id", "is not", null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("assets as b")
            .select("b.adam_id")
            .whereRef("b.space_id", "=", "c.space_id")
            .whereRef("b.adam_id", "=", "c.adam_id"),
        ),
      ),
    )
    .groupBy("c.adam_id");
}

/** VU2's three tabs for one (account, app), with names for display. */
export async function rulesView(db: Db, spaceId: string, accountId: string, adamId: string) {
  const key = (t: "rule_groups" | "rule_users" | "rule_devices") =>
    db
      .selectFrom(t)
      .where(`${t}.space_id`, "=", spaceId)
      .where(`${t}.account_id`, "=", accountId)
      .where(`${t}.adam_id`, "=", adamId);
  const [fcfs, groups, users, devices] = await Promise.all([
    db
      .selectFrom("app_rules")
      .selectAll()
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .where("adam_id", "=", adamId)
      .executeTakeFirst(),
    key("rule_groups")
      .innerJoin("groups as g", (j) =>
        j.onRef("g.space_id", "=", "rule_groups.space_id").onRef("g.id", "=", "rule_groups.group_id"),
      )
      .select(["g.id", "g.name"])
      .orderBy("g.name")
      .execute(),
    key("rule_users")
      .innerJoin("users as u", (j) =>
        j.onRef("u.space_id", "=", "rule_users.space_id").onRef("u.id", "=", "rule_users.user_id"),
      )
      .select(["u.id", "u.name", "rule_users.role"])
      .orderBy("u.name")
      .execute(),
    key("rule_devices")
      .innerJoin("devices as d", (j) =>
        j.onRef("d.space_id", "=", "rule_devices.space_id").onRef("d.id", "=", "rule_devices.device_id"),
      )
      .select(["d.id", "d.serial_number"])
      .orderBy("d.serial_number")
      .execute(),
  ]);
  const reservedUsers = users.filter((u) => u.role === "reserved").map((u) => ({ id: u.id, name: u.name }));
  const prohibitedUsers = users
    .filter((u) => u.role === "prohibited")
    .map((u) => ({ id: u.id, name: u.name }));
  const fcfsRule = fcfs?.fcfs_enabled
    ? { requestedType: fcfs.fcfs_requested_type, mandatoryType: fcfs.fcfs_mandatory_type }
    : undefined;
  const ids = (named: ReadonlyArray<{ id: string }>) => named.map((n) => n.id);
  return {
    fcfs: fcfsRule ? { groups, ...fcfsRule } : undefined,
    reservedUsers,
    reservedDevices: devices.map((d) => ({ id: d.id, serialNumber: d.serial_number })),
    prohibitedUsers,
    // The version an edit names (If-Match), computed as editAppRules computes it.
    version: rulesVersion({
      ...(fcfsRule ? { fcfs: { groupIds: ids(groups), ...fcfsRule } } : {}),
      reservedUserIds: ids(reservedUsers),
      reservedDeviceIds: ids(devices),
      prohibitedUserIds: ids(prohibitedUsers),
    }),
  };
}
