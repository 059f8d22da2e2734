import type { ColumnType, Generated, JSONColumnType } from "kysely";
import type { LicenseType, Platform } from "../licensing/index.js";
import type { NullableTimestamp, Timestamp } from "./space.table.js";

export type AccountHealth =
  | "ok"
  | "expired"
  | "revoked"
  | "invalid"
  | "login_required"
  | "other_mdm"
  | "paused"
  | "location_changed"
  | "duplicate"
  /** AC5: being deleted; its Apple work has stopped (0018). */
  | "deleting";

/** Apple's `mdmInfo` of the token's current owner (AC6). */
export interface MdmInfo {
  id: string;
  metadata?: string;
  name: string;
}

export interface AccountTable {
  space_id: string;
  id: string;
  display_name: string;
  /** AES-256-GCM envelope (crypto.ts); never the plain sToken. */
  stoken_ciphertext: string;
  org_name: string | null;
  location_uid: string | null;
  location_name: string | null;
  /** Apple's countryISO2ACode of the location: the store the metadata lookup asks (0033). */
  country_code: ColumnType<string | null, string | null | undefined, string | null>;
  token_expires_at: NullableTimestamp;
  owner_mdm_info: JSONColumnType<MdmInfo | null, string | null, string | null>;
  /** 1 = first (MA1); unique per space, checked at commit so MA6 can shift several rows. */
  priority: number;
  auto_distribute: Generated<boolean>;
  health: Generated<AccountHealth>;
  last_assets_version_id: string | null;
  last_assignments_version_id: string | null;
  last_users_version_id: string | null;
  last_synced_at: NullableTimestamp;
  /** Apple's notificationAuthToken for this account, sealed like the sToken (0002_sync). */
  notification_secret_ciphertext: ColumnType<string | null, string | null | undefined, string | null>;
  /** Apple's `urls.invitationEmail` as the last users sync read it (0034): users' invitation links. */
  invitation_url_template: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AssetTable {
  space_id: string;
  account_id: string;
  adam_id: string;
  pricing_param: "STDQ" | "PLUS";
  product_type: "App" | "Book";
  name: string | null;
  total_count: number;
  /** Apple's own counts, as last synced. */
  apple_assigned_count: Generated<number>;
  apple_available_count: Generated<number>;
  apple_retired_count: Generated<number>;
  /** Seats held by Orchard's licenses (SEAT_HOLDING_STATES) + assignments made outside Orchard. */
  used: Generated<number>;
  device_assignable: boolean;
  revocable: Generated<boolean>;
  platforms: ColumnType<Platform[], Platform[], Platform[]>;
  price: number | null;
  /** The price's currency (ISO 4217), from the store's lookup. 0021. */
  currency: string | null;
  updated_at: Timestamp;
  /** From the store's metadata lookup (0007): DB5, VU4, DB4. */
  genre: ColumnType<string | null, string | null | undefined, string | null>;
  bundle_id: ColumnType<string | null, string | null | undefined, string | null>;
  artwork_url: ColumnType<string | null, string | null | undefined, string | null>;
  custom: Generated<boolean>;
  latest_version: ColumnType<string | null, string | null | undefined, string | null>;
  metadata_at: NullableTimestamp;
}

export type UpdateMode = "immediate" | "automatic";

export interface CatalogAppTable {
  space_id: string;
  adam_id: string;
  name: string | null;
  in_catalog: Generated<boolean>;
  /** CA1 "Install on device": the app is mandatory. */
  install_on_device: Generated<boolean>;
  update_mode: Generated<UpdateMode>;
  delegated_from_space_id: string | null;
  added_at: Timestamp;
  /** CA1's optional description (0005). */
  description: ColumnType<string | null, string | null | undefined, string | null>;
}

/** FCFS settings of one (account, app) (DI1, DI2); its groups are in `rule_groups`. */
export interface AppRulesTable {
  space_id: string;
  account_id: string;
  adam_id: string;
  fcfs_enabled: boolean;
  fcfs_requested_type: LicenseType;
  fcfs_mandatory_type: LicenseType;
  updated_at: Timestamp;
}

export interface RuleGroupTable {
  space_id: string;
  account_id: string;
  adam_id: string;
  group_id: string;
}

/** One role per user and (account, app): the primary key makes "reserved and prohibited" impossible (DI7). */
export interface RuleUserTable {
  space_id: string;
  account_id: string;
  adam_id: string;
  user_id: string;
  role: "reserved" | "prohibited";
}

export interface RuleDeviceTable {
  space_id: string;
  account_id: string;
  adam_id: string;
  device_id: string;
}
