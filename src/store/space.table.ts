import type { ColumnType, Generated, GeneratedAlways } from "kysely";

/** Timestamps: written as Date (or left to the default), read as Date. */
export type Timestamp = ColumnType<Date, Date | undefined, Date>;
export type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface SpaceTable {
  id: string;
  name: string;
  is_default: Generated<boolean>;
  apps_and_books_enabled: Generated<boolean>;
  /** UB2: register at Apple the users a user-based request waits for (0034); off by default. */
  register_waiting_users: Generated<boolean>;
  /** UB2: the MDM delivers the invitation link to the user's devices (InviteToProgram, 0036); off by default. */
  send_invitations_to_devices: Generated<boolean>;
  created_at: Timestamp;
}

export type AppleUserStatus = "Registered" | "Associated" | "Retired";

export interface UserTable {
  space_id: string;
  id: string;
  external_id: string | null;
  name: string;
  email: string | null;
  managed_apple_id: string | null;
  /** The id Orchard gives Apple for this user (clientUserId). */
  apple_client_user_id: string | null;
  /** Apple's status for the user; null until invited. `Associated` = enrolled (UB2). */
  apple_status: AppleUserStatus | null;
  invite_code: string | null;
  /** UB2: when Orchard last asked Apple to register the user; null once Apple told their status (0034). */
  registration_requested_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Set when the MDM deleted the user (RV5); the row stays for the licenses' history (0004_mdm). */
  deleted_at: NullableTimestamp;
}

export interface GroupTable {
  space_id: string;
  id: string;
  name: string;
  external_id: string | null;
  created_at: Timestamp;
}

export interface GroupMemberTable {
  space_id: string;
  group_id: string;
  user_id: string;
}

export type DeviceStatus = "active" | "retired" | "wiped" | "inactive" | "unenrolled";

export interface DeviceTable {
  space_id: string;
  id: string;
  serial_number: string;
  platform: "iOS" | "macOS" | "tvOS" | "visionOS" | "watchOS";
  shared_ipad: Generated<boolean>;
  supervised: Generated<boolean>;
  user_id: string | null;
  status: Generated<DeviceStatus>;
  last_check_in_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** The spelling Apple was sent when it is not `serial_number` (0026 upper-cased that one); else null. */
  apple_serial_number: string | null;
  /** Computed by PostgreSQL (0028): the UTC day of the last check-in, else of the creation (reclaim.repo.ts). */
  last_seen_on: GeneratedAlways<Date>;
  /** As the MDM names the device ("Classroom iPad 12"), its model ("iPad13,18") and OS version ("17.5.1"), 0050; null until told. */
  name: string | null;
  model: string | null;
  os_version: string | null;
}

/** Managed apps on a device as the MDM last reported them (VU3, removal commands). */
export interface InstalledAppTable {
  space_id: string;
  device_id: string;
  bundle_id: string;
  adam_id: string | null;
  name: string | null;
  version: string | null;
  source: string | null;
  size_bytes: number | null;
  license_type: "user" | "device" | null;
  installed_at: NullableTimestamp;
  reported_at: Timestamp;
}
