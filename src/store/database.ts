import type { Kysely, Transaction } from "kysely";
import type {
  AccountTable,
  AppRulesTable,
  AssetTable,
  CatalogAppTable,
  RuleDeviceTable,
  RuleGroupTable,
  RuleUserTable,
} from "./account.table.js";
import type {
  ActivityTable,
  LicenseQueueTable,
  LicenseTable,
  NotificationTable,
  OutboxTable,
} from "./license.table.js";
import type { AppVersionTable, DistributionExclusionTable, MdmCommandTable } from "./mdm.table.js";
import type {
  DeviceTable,
  GroupMemberTable,
  GroupTable,
  InstalledAppTable,
  SpaceTable,
  UserTable,
} from "./space.table.js";
import type { AppleCallTable, AppleNotificationTable } from "./sync.table.js";

/** The whole schema as Kysely sees it; row types stay snake_case inside src/store. */
export interface Database {
  spaces: SpaceTable;
  users: UserTable;
  groups: GroupTable;
  group_members: GroupMemberTable;
  devices: DeviceTable;
  installed_apps: InstalledAppTable;
  accounts: AccountTable;
  assets: AssetTable;
  catalog_apps: CatalogAppTable;
  app_rules: AppRulesTable;
  rule_groups: RuleGroupTable;
  rule_users: RuleUserTable;
  rule_devices: RuleDeviceTable;
  licenses: LicenseTable;
  license_queue: LicenseQueueTable;
  outbox: OutboxTable;
  activity_log: ActivityTable;
  notifications: NotificationTable;
  apple_notifications: AppleNotificationTable;
  apple_calls: AppleCallTable;
  apple_request_windows: { token_key: string; sent_at: Date[] };
  mdm_commands: MdmCommandTable;
  app_versions: AppVersionTable;
  distribution_exclusions: DistributionExclusionTable;
}

/** A handle or an open transaction: every repository function takes one first. */
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

/** Runs `work` in a transaction, or inside the caller's when `db` already is one. */
export async function withTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Trx);
  return db.transaction().execute(work);
}
