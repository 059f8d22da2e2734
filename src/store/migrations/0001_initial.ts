import type { Migration } from "kysely";
import { runStatements } from "./run-statements.js";

/**
 * The first schema. Every table of a space is keyed by (space_id, ...) and references
 * its parents through keys that include space_id: a row can never point into another
 * space, and the schema can later be distributed by space_id (Citus).
 * SQL that PostgreSQL 15 accepts (CI's server) and PGlite (PostgreSQL 18) too.
 */
const statements = [
  `CREATE TABLE spaces (
    id text PRIMARY KEY,
    name text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    apps_and_books_enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX spaces_one_default ON spaces ((true)) WHERE is_default`,

  `CREATE TABLE users (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    id text NOT NULL,
    external_id text,
    name text NOT NULL,
    email text,
    managed_apple_id text,
    apple_client_user_id text,
    apple_status text CHECK (apple_status IN ('Registered', 'Associated', 'Retired')),
    invite_code text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, id),
    UNIQUE (space_id, external_id),
    UNIQUE (space_id, apple_client_user_id)
  )`,

  `CREATE TABLE groups (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    id text NOT NULL,
    name text NOT NULL,
    external_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, id)
  )`,

  `CREATE TABLE group_members (
    space_id text NOT NULL,
    group_id text NOT NULL,
    user_id text NOT NULL,
    PRIMARY KEY (space_id, group_id, user_id),
    FOREIGN KEY (space_id, group_id) REFERENCES groups (space_id, id) ON DELETE CASCADE,
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX group_members_by_user ON group_members (space_id, user_id)`,

  `CREATE TABLE devices (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    id text NOT NULL,
    serial_number text NOT NULL,
    platform text NOT NULL CHECK (platform IN ('iOS', 'macOS', 'tvOS', 'visionOS', 'watchOS')),
    shared_ipad boolean NOT NULL DEFAULT false,
    supervised boolean NOT NULL DEFAULT false,
    user_id text,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired', 'wiped', 'inactive')),
    last_check_in_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, id),
    UNIQUE (space_id, serial_number),
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id) ON DELETE SET NULL (user_id)
  )`,
  `CREATE INDEX devices_by_user ON devices (space_id, user_id) WHERE user_id IS NOT NULL`,

  `CREATE TABLE installed_apps (
    space_id text NOT NULL,
    device_id text NOT NULL,
    bundle_id text NOT NULL,
    adam_id text,
    name text,
    version text,
    source text,
    size_bytes bigint,
    license_type text CHECK (license_type IN ('user', 'device')),
    installed_at timestamptz,
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, device_id, bundle_id),
    FOREIGN KEY (space_id, device_id) REFERENCES devices (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX installed_apps_by_app ON installed_apps (space_id, adam_id) WHERE adam_id IS NOT NULL`,

  `CREATE TABLE accounts (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    id text NOT NULL,
    display_name text NOT NULL CHECK (display_name <> ''),
    stoken_ciphertext text NOT NULL,
    org_name text,
    location_uid text,
    location_name text,
    token_expires_at timestamptz,
    owner_mdm_info jsonb,
    priority integer NOT NULL CHECK (priority >= 1),
    auto_distribute boolean NOT NULL DEFAULT true,
    health text NOT NULL DEFAULT 'ok'
      CHECK (health IN ('ok', 'expired', 'revoked', 'invalid', 'login_required', 'other_mdm', 'paused')),
    last_assets_version_id text,
    last_assignments_version_id text,
    last_users_version_id text,
    last_synced_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, id),
    -- MA6: checked at commit, so moving an account shifts the others in one transaction.
    CONSTRAINT accounts_priority_unique UNIQUE (space_id, priority) DEFERRABLE INITIALLY DEFERRED
  )`,
  `CREATE INDEX accounts_by_location ON accounts (location_uid) WHERE location_uid IS NOT NULL`,

  `CREATE TABLE assets (
    space_id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    pricing_param text NOT NULL CHECK (pricing_param IN ('STDQ', 'PLUS')),
    product_type text NOT NULL CHECK (product_type IN ('App', 'Book')),
    name text,
    total_count integer NOT NULL CHECK (total_count >= 0),
    apple_assigned_count integer NOT NULL DEFAULT 0,
    apple_available_count integer NOT NULL DEFAULT 0,
    apple_retired_count integer NOT NULL DEFAULT 0,
    used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
    device_assignable boolean NOT NULL,
    revocable boolean NOT NULL DEFAULT true,
    platforms text[] NOT NULL DEFAULT '{}',
    price numeric(12, 2),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, account_id, adam_id),
    FOREIGN KEY (space_id, account_id) REFERENCES accounts (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX assets_by_app ON assets (space_id, adam_id)`,

  `CREATE TABLE catalog_apps (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    adam_id text NOT NULL,
    name text,
    in_catalog boolean NOT NULL DEFAULT true,
    install_on_device boolean NOT NULL DEFAULT false,
    update_mode text NOT NULL DEFAULT 'immediate' CHECK (update_mode IN ('immediate', 'automatic')),
    delegated_from_space_id text REFERENCES spaces (id) ON DELETE CASCADE,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, adam_id)
  )`,

  `CREATE TABLE app_rules (
    space_id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    fcfs_enabled boolean NOT NULL DEFAULT false,
    fcfs_requested_type text NOT NULL DEFAULT 'user' CHECK (fcfs_requested_type IN ('user', 'device')),
    fcfs_mandatory_type text NOT NULL DEFAULT 'device' CHECK (fcfs_mandatory_type IN ('user', 'device')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, account_id, adam_id),
    FOREIGN KEY (space_id, account_id, adam_id) REFERENCES assets (space_id, account_id, adam_id) ON DELETE CASCADE
  )`,
  `CREATE TABLE rule_groups (
    space_id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    group_id text NOT NULL,
    PRIMARY KEY (space_id, account_id, adam_id, group_id),
    FOREIGN KEY (space_id, account_id, adam_id) REFERENCES app_rules (space_id, account_id, adam_id) ON DELETE CASCADE,
    FOREIGN KEY (space_id, group_id) REFERENCES groups (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX rule_groups_by_app ON rule_groups (space_id, adam_id)`,
  // DI7: one role per (account, app, user), so "reserved and prohibited" cannot be stored.
  `CREATE TABLE rule_users (
    space_id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    user_id text NOT NULL,
    role text NOT NULL CHECK (role IN ('reserved', 'prohibited')),
    PRIMARY KEY (space_id, account_id, adam_id, user_id),
    FOREIGN KEY (space_id, account_id, adam_id) REFERENCES assets (space_id, account_id, adam_id) ON DELETE CASCADE,
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX rule_users_by_app ON rule_users (space_id, adam_id, user_id)`,
  `CREATE TABLE rule_devices (
    space_id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    device_id text NOT NULL,
    PRIMARY KEY (space_id, account_id, adam_id, device_id),
    FOREIGN KEY (space_id, account_id, adam_id) REFERENCES assets (space_id, account_id, adam_id) ON DELETE CASCADE,
    FOREIGN KEY (space_id, device_id) REFERENCES devices (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX rule_devices_by_app ON rule_devices (space_id, adam_id, device_id)`,

  `CREATE TABLE licenses (
    space_id text NOT NULL,
    id text NOT NULL,
    account_id text NOT NULL,
    adam_id text NOT NULL,
    type text NOT NULL CHECK (type IN ('user', 'device')),
    user_id text,
    device_id text,
    state text NOT NULL CHECK (state IN ('pending_assign', 'assigned', 'pending_release', 'in_grace', 'released')),
    reserved boolean NOT NULL DEFAULT false,
    grace_until timestamptz,
    rule_ids text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    assigned_at timestamptz,
    released_at timestamptz,
    PRIMARY KEY (space_id, id),
    -- LT1: the assignment decides the type, exactly one subject.
    CONSTRAINT licenses_one_subject CHECK (
      (type = 'user' AND user_id IS NOT NULL AND device_id IS NULL)
      OR (type = 'device' AND device_id IS NOT NULL AND user_id IS NULL)
    ),
    FOREIGN KEY (space_id, account_id, adam_id) REFERENCES assets (space_id, account_id, adam_id),
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id),
    FOREIGN KEY (space_id, device_id) REFERENCES devices (space_id, id)
  )`,
  // Invariant 2: at most one live license per (space, app, user) and per (space, app, device).
  `CREATE UNIQUE INDEX licenses_one_live_per_user ON licenses (space_id, adam_id, user_id)
    WHERE state IN ('pending_assign', 'assigned') AND user_id IS NOT NULL`,
  `CREATE UNIQUE INDEX licenses_one_live_per_device ON licenses (space_id, adam_id, device_id)
    WHERE state IN ('pending_assign', 'assigned') AND device_id IS NOT NULL`,
  `CREATE INDEX licenses_by_user ON licenses (space_id, user_id, adam_id) WHERE user_id IS NOT NULL`,
  `CREATE INDEX licenses_by_device ON licenses (space_id, device_id, adam_id) WHERE device_id IS NOT NULL`,
  `CREATE INDEX licenses_seats ON licenses (space_id, adam_id, account_id)
    WHERE state IN ('pending_assign', 'assigned', 'pending_release')`,
  `CREATE INDEX licenses_grace ON licenses (grace_until) WHERE state = 'in_grace'`,

  `CREATE TABLE license_queue (
    space_id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    adam_id text NOT NULL,
    user_id text,
    device_id text,
    why text NOT NULL CHECK (why IN ('requested', 'mandatory', 'check_in')),
    reason text NOT NULL,
    rule_ids text[] NOT NULL DEFAULT '{}',
    requested_at timestamptz NOT NULL DEFAULT now(),
    decided_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (space_id, seq),
    CHECK ((user_id IS NULL) <> (device_id IS NULL)),
    FOREIGN KEY (space_id, user_id) REFERENCES users (space_id, id) ON DELETE CASCADE,
    FOREIGN KEY (space_id, device_id) REFERENCES devices (space_id, id) ON DELETE CASCADE
  )`,
  `CREATE UNIQUE INDEX license_queue_one_per_user ON license_queue (space_id, adam_id, user_id)
    WHERE user_id IS NOT NULL`,
  `CREATE UNIQUE INDEX license_queue_one_per_device ON license_queue (space_id, adam_id, device_id)
    WHERE device_id IS NOT NULL`,
  `CREATE INDEX license_queue_by_app ON license_queue (space_id, adam_id, seq)`,

  // Keyed by a sequence, not a random id: rows arrive in bursts and are read in order.
  `CREATE TABLE outbox (
    space_id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    account_id text NOT NULL,
    kind text NOT NULL
      CHECK (kind IN ('associate', 'disassociate', 'revoke', 'create_user', 'update_user', 'retire_user')),
    adam_id text,
    pricing_param text,
    serial_number text,
    client_user_id text,
    license_id text,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'done', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    event_id text,
    not_before timestamptz,
    claimed_by text,
    claimed_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- No foreign key to accounts: deleting an account must leave its releases to send (AC5).
    PRIMARY KEY (space_id, seq)
  )`,
  // Workers claim open work (FOR UPDATE SKIP LOCKED) and batch it per account and app; open
  // rows are few, so one small partial index serves both. Kept lean: every grant writes a row.
  `CREATE INDEX outbox_open ON outbox (space_id, account_id, kind, adam_id, seq)
    WHERE state IN ('pending', 'sent')`,

  // History outlives what it describes (and is written with every grant): no foreign keys.
  `CREATE TABLE activity_log (
    space_id text NOT NULL,
    seq bigint GENERATED ALWAYS AS IDENTITY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_kind text NOT NULL CHECK (actor_kind IN ('admin', 'api_token', 'system', 'apple', 'mdm')),
    actor_id text,
    action text NOT NULL,
    user_id text,
    device_id text,
    adam_id text,
    account_id text,
    license_id text,
    rule_ids text[] NOT NULL DEFAULT '{}',
    message text,
    details jsonb,
    -- Append-only and read newest first: the sequence is both key and order.
    PRIMARY KEY (space_id, seq)
  )`,
  `CREATE INDEX activity_by_license ON activity_log (space_id, license_id) WHERE license_id IS NOT NULL`,
  `CREATE INDEX activity_by_app ON activity_log (space_id, adam_id, at DESC) WHERE adam_id IS NOT NULL`,

  `CREATE TABLE notifications (
    space_id text NOT NULL REFERENCES spaces (id) ON DELETE CASCADE,
    id text NOT NULL,
    kind text NOT NULL,
    severity text NOT NULL CHECK (severity IN ('info', 'warning', 'alert')),
    component text NOT NULL,
    title text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}',
    account_id text,
    adam_id text,
    threshold integer,
    raised_at timestamptz NOT NULL DEFAULT now(),
    cleared_at timestamptz,
    acknowledged_at timestamptz,
    PRIMARY KEY (space_id, id)
  )`,
  // NT1: one open notification per kind, account, app and threshold (PostgreSQL 15+ syntax).
  `CREATE UNIQUE INDEX notifications_one_open ON notifications (space_id, kind, account_id, adam_id, threshold)
    NULLS NOT DISTINCT WHERE cleared_at IS NULL`,
  `CREATE INDEX notifications_by_time ON notifications (space_id, raised_at DESC)`,
];

export const initial: Migration = {
  up: (db) => runStatements(db, statements),
};
