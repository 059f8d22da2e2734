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
  AssociationRefusalTable,
  LicenseQueueTable,
  LicenseTable,
  NotificationDeliveryTable,
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
import type {
  AppleCallTable,
  AppleNotificationTable,
  OutsideAssignmentSnapshotTable,
  OutsideAssignmentTable,
} from "./sync.table.js";

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
  association_refusals: AssociationRefusalTable;
  outbox: OutboxTable;
  activity_log: ActivityTable;
  notifications: NotificationTable;
  notification_deliveries: NotificationDeliveryTable;
  apple_notifications: AppleNotificationTable;
  apple_calls: AppleCallTable;
  apple_request_windows: { token_key: string; sent_at: Date[] };
  mdm_commands: MdmCommandTable;
  app_versions: AppVersionTable;
  distribution_exclusions: DistributionExclusionTable;
  outside_assignments: OutsideAssignmentTable;
  outside_assignment_snapshots: OutsideAssignmentSnapshotTable;
}

/** A handle or an open transaction: every repository function takes one first. */
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;

/** What must follow a commit, given the handle the transaction was opened on. */
export type AfterCommit = (db: Db) => Promise<void>;

const afterCommitOf = new WeakMap<object, AfterCommit[]>();

/**
 * Runs `work` in a transaction, or inside the caller's when `db` already is one. Once
 * the outermost transaction has committed, what its work asked for with `afterCommit` runs,
 * in order, before this returns (never when it rolls back).
 */
export async function withTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  if (db.isTransaction) return work(db as Trx);
  const pending: AfterCommit[] = [];
  const result = await db.transaction().execute((trx) => {
    afterCommitOf.set(trx, pending);
    return work(trx);
  });
  for (const run of pending) await run(db);
  return result;
}

/**
 * Asks for `run` once the transaction `trx` belongs to has committed (withTransaction).
 * Outside a transaction the change is already committed: it runs now. A transaction opened
 * another way has nobody to run it: it is dropped (the caller's work must not depend on it).
 */
export async function afterCommit(trx: Db, run: AfterCommit): Promise<void> {
  if (!trx.isTransaction) return run(trx);
  afterCommitOf.get(trx)?.push(run);
}
