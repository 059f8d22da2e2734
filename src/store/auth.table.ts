import type { Generated } from "kysely";
import type { NullableTimestamp, Timestamp } from "./space.table.js";

/**
 * Orchard's own administrators, console sessions, machine tokens and per-space roles
 * (PM1). Not keyed by space: one administrator may hold roles in several spaces. Kept
 * out of `Database` (store/database.ts) and added with `db.withTables<AuthTables>()`.
 */
export type Role = "manage" | "read";
/**
 * An API token's role in a space: an administrator's, or "mdm", which calls only the routes
 * an MDM integration calls (`can.mdm` in src/api/context.ts). Never an administrator's (the
 * table's CHECK refuses it).
 */
export type TokenRole = Role | "mdm";
export type PrincipalKind = "admin" | "api_token";

export interface AdminTable {
  id: string;
  login: string;
  display_name: string;
  /** argon2id PHC string; never the password. */
  password_hash: string;
  /** May create spaces and administrators, and holds every space's "manage" role. */
  is_owner: Generated<boolean>;
  created_at: Timestamp;
  disabled_at: NullableTimestamp;
  /** Single sign-on: "<issuer> <sub>" of the provider's account first signed in with (0041). */
  sso_subject: string | null;
  /** OIDC_GROUP_ROLES: created at single sign-on, roles from the provider's groups (0042). */
  sso_managed: Generated<boolean>;
  /** When a session of theirs last opened (0044). */
  last_sign_in_at: NullableTimestamp;
  /** Where notification e-mails reach them (0045). */
  email: string | null;
  /** NT3: they receive the notifications of their spaces by e-mail (0045; needs `email`). */
  notify_by_email: Generated<boolean>;
  /** The language they read Orchard in: their notification e-mails' too (0046; null: not chosen yet). */
  language: Language | null;
}

/** The console's languages; notification e-mails are written in them too. */
export type Language = "en" | "fr";
export const LANGUAGES: readonly Language[] = ["en", "fr"];

export interface RoleGrantTable {
  principal_kind: PrincipalKind;
  principal_id: string;
  space_id: string;
  role: TokenRole;
}

export interface SessionTable {
  /** sha256 of the cookie value: a stolen table opens no session. */
  id_hash: string;
  admin_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  /** The ID token of the single sign-on that opened it, for the provider's logout (0043). */
  sso_id_token: string | null;
}

export interface ApiTokenTable {
  id: string;
  name: string;
  /** sha256 of the token's secret part (256 random bits: a slow hash adds nothing). */
  secret_hash: string;
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
  /** Refused from then on (401 api_token_expired); null: until revoked. */
  expires_at: NullableTimestamp;
}

export type AuthTables = {
  admins: AdminTable;
  role_grants: RoleGrantTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
};
