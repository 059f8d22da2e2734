import { type Kysely, sql } from "kysely";
import type { AuthTables, Language, PrincipalKind, Role, TokenRole } from "./auth.table.js";
import { type Db, withTransaction } from "./database.js";
import { StoreError, sqlState, UNIQUE_VIOLATION } from "./errors.js";

/**
 * Administrators, sessions, API tokens and role grants (PM1). Secrets arrive hashed:
 * this file never sees a password, a session cookie or a token secret.
 */
export { LANGUAGES, type Language, type PrincipalKind, type Role, type TokenRole } from "./auth.table.js";

function auth(db: Db): Kysely<AuthTables> {
  return db.withTables<AuthTables>() as unknown as Kysely<AuthTables>;
}

let version = 0;

/**
 * A number that changes after every write here that can change who a caller is or what
 * it may do (administrators, grants, sessions, tokens): caches of principals (src/auth)
 * keep an entry only while it is unchanged, so a revoked token or a removed grant stops
 * working at once in this process. Writes of other processes are not seen here: those
 * caches expire their entries after a short time for that. A new write to these tables
 * must call `changed()` once it is done (these writes run in their own transactions: a
 * caller's transaction around one would commit after the change was announced).
 */
export function authVersion(): number {
  return version;
}

function changed(): void {
  version++;
}

export interface AdminRecord {
  id: string;
  login: string;
  displayName: string;
  isOwner: boolean;
  createdAt: Date;
  disabled: boolean;
  /** Single sign-on: linked to the provider's account of their first sign-in (0041). */
  ssoLinked: boolean;
  /** OIDC_GROUP_ROLES: roles set from the provider's groups at each sign-in (0042). */
  ssoManaged: boolean;
  /** When a session of theirs last opened (0044); undefined if never. */
  lastSignInAt?: Date;
  /** Where notification e-mails reach them (0045). */
  email?: string;
  /** NT3: they receive the notifications of their spaces by e-mail (0045). */
  notifyByEmail: boolean;
  /** The language they read Orchard in, their notification e-mails' too (0046); undefined: not chosen yet. */
  language?: Language;
}

/** A role in a space: an administrator's (the default), or an API token's (`mdm` too). */
export interface Grant<R extends TokenRole = Role> {
  spaceId: string;
  role: R;
}

export async function createAdmin(
  db: Db,
  input: {
    id: string;
    login: string;
    displayName: string;
    passwordHash: string;
    isOwner: boolean;
    /** Created at single sign-on from the provider's groups: linked to that account, roles from groups. */
    fromGroupsOf?: string;
    /** Where notification e-mails reach them; `notifyByEmail` needs it (the table's CHECK). */
    email?: string | undefined;
    notifyByEmail?: boolean;
    now: Date;
  },
): Promise<AdminRecord> {
  try {
    const row = await auth(db)
      .insertInto("admins")
      .values({
        id: input.id,
        login: input.login,
        display_name: input.displayName,
        password_hash: input.passwordHash,
        is_owner: input.isOwner,
        created_at: input.now,
        disabled_at: null,
        email: input.email ?? null,
        notify_by_email: input.notifyByEmail ?? false,
        ...(input.fromGroupsOf !== undefined ? { sso_subject: input.fromGroupsOf, sso_managed: true } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    changed();
    return toAdmin(row);
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) {
      throw new StoreError("login_taken", `an administrator with login ${input.login} exists`);
    }
    throw error;
  }
}

/** The admin and its password hash, for login only. */
export async function findAdminForLogin(
  db: Db,
  login: string,
): Promise<(AdminRecord & { passwordHash: string }) | undefined> {
  const row = await auth(db).selectFrom("admins").selectAll().where("login", "=", login).executeTakeFirst();
  return row && { ...toAdmin(row), passwordHash: row.password_hash };
}

/**
 * The administrator an identity provider's claim names (SSO): the login spelled exactly,
 * else the one login equal to it in any case (an IdP may spell an address otherwise).
 */
export async function findAdminNamedBy(db: Db, claim: string): Promise<AdminRecord | undefined> {
  const rows = await auth(db)
    .selectFrom("admins")
    .selectAll()
    .where((eb) => eb(eb.fn("lower", ["login"]), "=", claim.toLowerCase()))
    .limit(10)
    .execute();
  const row = rows.find((r) => r.login === claim) ?? (rows.length === 1 ? rows[0] : undefined);
  return row && toAdmin(row);
}

/**
 * Links the administrator to the provider's account that signed in (`subject`: issuer and
 * sub) at their first single sign-on, and checks it at the next ones: "linked" when it is
 * theirs (now or already), "another" when their login is linked to another account of the
 * provider, or that account to another administrator.
 */
export async function linkSsoSubject(
  db: Db,
  adminId: string,
  subject: string,
): Promise<"linked" | "another"> {
  try {
    const row = await auth(db)
      .updateTable("admins")
      .set({ sso_subject: subject })
      .where("id", "=", adminId)
      .where((eb) => eb.or([eb("sso_subject", "is", null), eb("sso_subject", "=", subject)]))
      .returning("id")
      .executeTakeFirst();
    return row ? "linked" : "another";
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) return "another";
    throw error;
  }
}

/**
 * An owner unlinks an administrator from the provider's account: the next sign-in links
 * anew. The administrator as they now are; undefined when there is no such administrator.
 */
export async function unlinkSsoSubject(db: Db, adminId: string): Promise<AdminRecord | undefined> {
  const row = await auth(db)
    .updateTable("admins")
    .set({ sso_subject: null })
    .where("id", "=", adminId)
    .returningAll()
    .executeTakeFirst();
  changed();
  return row && toAdmin(row);
}

/** The administrator linked to this account of the identity provider (0041), if any. */
export async function findAdminBySubject(db: Db, subject: string): Promise<AdminRecord | undefined> {
  const row = await auth(db)
    .selectFrom("admins")
    .selectAll()
    .where("sso_subject", "=", subject)
    .executeTakeFirst();
  return row && toAdmin(row);
}

/**
 * OIDC_GROUP_ROLES: the login and name the provider now gives an administrator created from
 * its groups (an address or a user principal name renamed there). A login another
 * administrator has is left as it was (false).
 */
export async function renameFromProvider(
  db: Db,
  adminId: string,
  input: { login: string; displayName: string },
): Promise<boolean> {
  try {
    // Nor one equal to another's in another case: a sign-in by login could no longer tell them apart.
    const row = await auth(db)
      .updateTable("admins")
      .set({ login: input.login, display_name: input.displayName })
      .where("id", "=", adminId)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("admins as other")
              .select("other.id")
              .where("other.id", "!=", adminId)
              .where(sql<string>`lower(other.login)`, "=", input.login.toLowerCase()),
          ),
        ),
      )
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) return false;
    throw error;
  } finally {
    changed();
  }
}

/**
 * OIDC_GROUP_ROLES: an administrator created from the provider's groups is given the owner
 * flag and the grants their groups give now, in one transaction. Given none (no group of
 * theirs gives a role any more), their sessions end too. The last enabled owner is never
 * demoted so (an Orchard with no owner could not be administered): they stay owner, and
 * `keptOwner` says so for the log.
 */
export async function setRolesFromGroups(
  db: Db,
  adminId: string,
  roles: { isOwner: boolean; grants: readonly Grant[] },
): Promise<{ keptOwner: boolean }> {
  try {
    return await withTransaction(db, async (trx) => {
      const a = auth(trx);
      const owners = await lockOwners(a);
      const keptOwner = !roles.isOwner && owners.length === 1 && owners[0]?.id === adminId;
      await a
        .updateTable("admins")
        .set({ is_owner: roles.isOwner || keptOwner })
        .where("id", "=", adminId)
        .execute();
      await replaceGrants(trx, { kind: "admin", id: adminId }, roles.grants);
      if (!roles.isOwner && !keptOwner && roles.grants.length === 0) await endSessions(a, adminId);
      return { keptOwner };
    });
  } finally {
    changed();
  }
}

export async function findAdmin(db: Db, id: string): Promise<AdminRecord | undefined> {
  const row = await auth(db).selectFrom("admins").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toAdmin(row);
}

export async function listAdmins(db: Db): Promise<AdminRecord[]> {
  const rows = await auth(db).selectFrom("admins").selectAll().orderBy("login").execute();
  return rows.map(toAdmin);
}

/**
 * Removes an administrator and its roles, on an owner's word (`by`): its sessions go with it
 * (ON DELETE CASCADE) and its API tokens are revoked. Never oneself.
 */
export async function deleteAdmin(
  db: Db,
  input: { id: string; by: string; now: Date },
): Promise<"deleted" | "not_found" | "self" | "not_owner"> {
  if (input.id === input.by) return "self";
  return asOwner(db, input.by, async (a) => {
    await a
      .updateTable("api_tokens")
      .set({ revoked_at: input.now })
      .where("created_by", "=", input.id)
      .where("revoked_at", "is", null)
      .execute();
    await a
      .deleteFrom("role_grants")
      .where("principal_kind", "=", "admin")
      .where("principal_id", "=", input.id)
      .execute();
    const result = await a.deleteFrom("admins").where("id", "=", input.id).executeTakeFirst();
    return result.numDeletedRows > 0n ? "deleted" : "not_found";
  });
}

/**
 * Edits an administrator on an owner's word (`by`): display name, owner or not, a new password
 * hash (a reset: its sessions end), disabled or not (`disabledAt`: they cannot sign in, their
 * sessions end, the API tokens they created stop until they are enabled again). An owner
 * never takes away their own owner flag nor disables themselves.
 */
export async function updateAdmin(
  db: Db,
  input: {
    id: string;
    by: string;
    displayName?: string;
    isOwner?: boolean;
    passwordHash?: string;
    disabledAt?: Date | null;
  } & NotificationEmailChange,
): Promise<AdminRecord | "not_found" | "self" | "not_owner" | "email_needed"> {
  if (input.id === input.by && (input.isOwner === false || (input.disabledAt ?? null) !== null))
    return "self";
  return asOwner(db, input.by, async (a) => {
    const emails = await notificationEmailOf(a, input.id, input);
    if (typeof emails === "string") return emails;
    const row = await a
      .updateTable("admins")
      .set({
        ...emails,
        ...(input.displayName !== undefined ? { display_name: input.displayName } : {}),
        ...(input.isOwner !== undefined ? { is_owner: input.isOwner } : {}),
        ...(input.passwordHash !== undefined ? { password_hash: input.passwordHash } : {}),
        ...(input.disabledAt !== undefined ? { disabled_at: disabledSince(input.disabledAt) } : {}),
      })
      .where("id", "=", input.id)
      .returningAll()
      .executeTakeFirst();
    if (!row) return "not_found";
    if (input.passwordHash !== undefined || row.disabled_at !== null) await endSessions(a, input.id);
    return toAdmin(row);
  });
}

/**
 * Disables or enables an administrator from the server's own command line (`orchard admin
 * disable|enable`: no owner is asked). Disabled: their sessions end, the API tokens they
 * created stop. The last enabled owner is never disabled ("last_owner"): Orchard keeps one.
 */
export async function setAdminDisabled(
  db: Db,
  adminId: string,
  disabledAt: Date | null,
): Promise<AdminRecord | "not_found" | "last_owner"> {
  try {
    return await withTransaction(db, async (trx) => {
      const a = auth(trx);
      const owners = await lockOwners(a);
      if (disabledAt !== null && owners.length === 1 && owners[0]?.id === adminId) return "last_owner";
      const row = await a
        .updateTable("admins")
        .set({ disabled_at: disabledSince(disabledAt) })
        .where("id", "=", adminId)
        .returningAll()
        .executeTakeFirst();
      if (!row) return "not_found";
      if (disabledAt !== null) await endSessions(a, adminId);
      return toAdmin(row);
    });
  } finally {
    changed();
  }
}

/**
 * NT3: where an administrator's notification e-mails go (`email`; null: nowhere, and none
 * are sent) and whether they receive their spaces' notifications (`notifyByEmail`). Asking
 * for them without an address is refused ("email_needed").
 */
export async function setNotificationEmail(
  db: Db,
  adminId: string,
  input: NotificationEmailChange,
): Promise<AdminRecord | "not_found" | "email_needed"> {
  return withTransaction(db, async (trx) => {
    const a = auth(trx);
    const emails = await notificationEmailOf(a, adminId, input);
    if (typeof emails === "string") return emails;
    const row =
      Object.keys(emails).length === 0
        ? await a.selectFrom("admins").selectAll().where("id", "=", adminId).executeTakeFirst()
        : await a
            .updateTable("admins")
            .set(emails)
            .where("id", "=", adminId)
            .returningAll()
            .executeTakeFirst();
    return row ? toAdmin(row) : "not_found";
  });
}

/** NT3: an administrator's address (null: none) and whether they receive the e-mails. */
export interface NotificationEmailChange {
  email?: string | null;
  notifyByEmail?: boolean;
}

/**
 * The columns a change of notification e-mails writes, read under the administrator's row
 * lock: without an address there is nowhere to send, so the wish goes with it, and asking
 * without one is refused. Nothing to write when the change names neither.
 */
async function notificationEmailOf(
  a: ReturnType<typeof auth>,
  adminId: string,
  change: NotificationEmailChange,
): Promise<{ email?: string | null; notify_by_email?: boolean } | "not_found" | "email_needed"> {
  if (change.email === undefined && change.notifyByEmail === undefined) return {};
  const current = await a
    .selectFrom("admins")
    .select(["email", "notify_by_email"])
    .where("id", "=", adminId)
    .forUpdate()
    .executeTakeFirst();
  if (!current) return "not_found";
  const email = change.email === undefined ? current.email : change.email;
  if (change.notifyByEmail === true && email === null) return "email_needed";
  return {
    email,
    notify_by_email: email === null ? false : (change.notifyByEmail ?? current.notify_by_email),
  };
}

/** NT3: an administrator who receives a space's notifications by e-mail, and in which language. */
export interface NotificationRecipient {
  email: string;
  language: Language;
}

/**
 * NT3: the administrators who receive a space's notifications by e-mail: enabled, asked for
 * them, and holding a role in the space (an owner holds every space's). Each address once,
 * whatever its case.
 */
export async function notificationRecipientsOfSpace(
  db: Db,
  spaceId: string,
): Promise<NotificationRecipient[]> {
  // A mailbox two administrators share, in two languages, gets English (ordered first).
  const rows = await recipientsQuery(db, spaceId)
    .select(["a.email", readsIn.as("language")])
    .orderBy("a.email")
    .orderBy(readsIn)
    .execute();
  const seen = new Set<string>();
  return rows.flatMap((r) => {
    const key = r.email?.toLowerCase();
    if (!r.email || key === undefined || seen.has(key)) return [];
    seen.add(key);
    return [{ email: r.email, language: r.language }];
  });
}

/** NT3: whether anyone receives a space's notifications by e-mail in this language (a delivery is queued only then). */
export async function hasNotificationRecipients(
  db: Db,
  spaceId: string,
  language: Language,
): Promise<boolean> {
  const found = await recipientsQuery(db, spaceId)
    .select("a.id")
    .where(readsIn, "=", language)
    .limit(1)
    .executeTakeFirst();
  return found !== undefined;
}

/** The language an administrator's e-mails are in: English until they choose. */
const readsIn = sql<Language>`coalesce(a.language, 'en')`;

function recipientsQuery(db: Db, spaceId: string) {
  return auth(db)
    .selectFrom("admins as a")
    .where("a.notify_by_email", "=", true)
    .where("a.disabled_at", "is", null)
    .where("a.email", "is not", null)
    .where((eb) =>
      eb.or([
        eb("a.is_owner", "=", true),
        eb.exists(
          eb
            .selectFrom("role_grants as g")
            .select("g.role")
            .where("g.principal_kind", "=", "admin")
            .whereRef("g.principal_id", "=", "a.id")
            .where("g.space_id", "=", spaceId),
        ),
      ]),
    );
}

/** NT3: their addresses alone. */
export async function notificationEmailsOfSpace(db: Db, spaceId: string): Promise<string[]> {
  return (await notificationRecipientsOfSpace(db, spaceId)).map((r) => r.email);
}

/** The language an administrator reads Orchard in (the console saves its choice here). */
export async function setAdminLanguage(
  db: Db,
  adminId: string,
  language: Language,
): Promise<AdminRecord | undefined> {
  const row = await auth(db)
    .updateTable("admins")
    .set({ language })
    .where("id", "=", adminId)
    .returningAll()
    .executeTakeFirst();
  return row && toAdmin(row);
}

/**
 * A new password hash from the server's own command line (`orchard admin reset-password`:
 * no owner is asked, whoever runs it holds the server): their sessions end.
 */
export async function replacePasswordHash(db: Db, adminId: string, passwordHash: string): Promise<void> {
  try {
    await withTransaction(db, async (trx) => {
      const a = auth(trx);
      await a.updateTable("admins").set({ password_hash: passwordHash }).where("id", "=", adminId).execute();
      await endSessions(a, adminId);
    });
  } finally {
    changed();
  }
}

/**
 * An owner's change to the administrators, in one transaction: the owners' rows are locked
 * first and `by` must still be one of them, so that two owners removing or demoting each
 * other at once leave one (the caller, never the one changed, stays). Principals are
 * forgotten after, whatever happened.
 */
async function asOwner<T>(
  db: Db,
  by: string,
  work: (a: ReturnType<typeof auth>) => Promise<T>,
): Promise<T | "not_owner"> {
  try {
    return await withTransaction(db, async (trx) => {
      const a = auth(trx);
      const owners = await lockOwners(a);
      if (!owners.some((o) => o.id === by)) return "not_owner";
      return work(a);
    });
  } finally {
    changed();
  }
}

/** Disabled since the first time (a second disable keeps the date), or enabled (null). */
const disabledSince = (at: Date | null) => (at === null ? null : sql<Date>`coalesce(disabled_at, ${at})`);

/** Every session of an administrator ends (disabled, a new password, no role left). */
async function endSessions(a: ReturnType<typeof auth>, adminId: string): Promise<void> {
  await a.deleteFrom("sessions").where("admin_id", "=", adminId).execute();
}

/** The enabled owners, their rows locked (in id order: two transactions never wait on each other). */
function lockOwners(a: ReturnType<typeof auth>) {
  return a
    .selectFrom("admins")
    .select("id")
    .where("is_owner", "=", true)
    .where("disabled_at", "is", null)
    .orderBy("id")
    .forUpdate()
    .execute();
}

export async function countAdmins(db: Db): Promise<number> {
  const { n } = await auth(db)
    .selectFrom("admins")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(n);
}

/** Replaces every role of a principal (PM1: roles are granted per space); `mdm` is a token's only. */
export async function setGrants(
  db: Db,
  principal: { kind: "admin"; id: string },
  grants: readonly Grant[],
): Promise<void>;
export async function setGrants(
  db: Db,
  principal: { kind: PrincipalKind; id: string },
  grants: readonly Grant<TokenRole>[],
): Promise<void>;
export async function setGrants(
  db: Db,
  principal: { kind: PrincipalKind; id: string },
  grants: readonly Grant<TokenRole>[],
): Promise<void> {
  try {
    await replaceGrants(db, principal, grants);
  } finally {
    changed();
  }
}

async function replaceGrants(
  db: Db,
  principal: { kind: PrincipalKind; id: string },
  grants: readonly Grant<TokenRole>[],
): Promise<void> {
  await withTransaction(db, async (trx) => {
    const a = auth(trx);
    await a
      .deleteFrom("role_grants")
      .where("principal_kind", "=", principal.kind)
      .where("principal_id", "=", principal.id)
      .execute();
    if (grants.length === 0) return;
    await a
      .insertInto("role_grants")
      .values(
        grants.map((g) => ({
          principal_kind: principal.kind,
          principal_id: principal.id,
          space_id: g.spaceId,
          role: g.role,
        })),
      )
      .execute();
  });
}

/** An administrator's roles are never `mdm` (the table's CHECK): its grants say so. */
export async function listGrants(db: Db, principal: { kind: "admin"; id: string }): Promise<Grant[]>;
export async function listGrants(
  db: Db,
  principal: { kind: PrincipalKind; id: string },
): Promise<Grant<TokenRole>[]>;
export async function listGrants(
  db: Db,
  principal: { kind: PrincipalKind; id: string },
): Promise<Grant<TokenRole>[]> {
  const rows = await auth(db)
    .selectFrom("role_grants")
    .select(["space_id", "role"])
    .where("principal_kind", "=", principal.kind)
    .where("principal_id", "=", principal.id)
    .orderBy("space_id")
    .execute();
  return rows.map((r) => ({ spaceId: r.space_id, role: r.role }));
}

export async function createSession(
  db: Db,
  input: { idHash: string; adminId: string; now: Date; expiresAt: Date; ssoIdToken?: string | undefined },
): Promise<boolean> {
  // Only for an administrator enabled as the session is written: a disable that lands between
  // the sign-in's check and this insert leaves no session to come back to life when enabled.
  // The administrator's last sign-in moves with it (0044), in the same statement.
  const { rows } = await sql`with signed_in as (
      update admins set last_sign_in_at = ${input.now}::timestamptz
      where id = ${input.adminId} and disabled_at is null
      returning id
    )
    insert into sessions (id_hash, admin_id, created_at, expires_at, sso_id_token)
    select ${input.idHash}, s.id, ${input.now}::timestamptz, ${input.expiresAt}::timestamptz, ${input.ssoIdToken ?? null}::text
    from signed_in s
    returning id_hash`.execute(db);
  return rows.length === 1;
}

/**
 * A live session with what its administrator may do, in one query (every console call
 * asks): the administrator (enabled), the session's expiry, and the administrator's grants.
 */
export async function findSessionAuthority(
  db: Db,
  idHash: string,
  now: Date,
): Promise<{ admin: AdminRecord; expiresAt: Date; grants: Grant[] } | undefined> {
  const rows = await auth(db)
    .selectFrom("sessions as s")
    .innerJoin("admins as a", "a.id", "s.admin_id")
    .leftJoin("role_grants as g", (j) =>
      j.on("g.principal_kind", "=", "admin").onRef("g.principal_id", "=", "a.id"),
    )
    .select([
      "a.id",
      "a.login",
      "a.display_name",
      "a.is_owner",
      "a.created_at",
      "a.disabled_at",
      "a.sso_subject",
      "a.sso_managed",
      "a.email",
      "a.notify_by_email",
      "a.language",
      "s.expires_at",
      "g.space_id",
      "g.role",
    ])
    .where("s.id_hash", "=", idHash)
    .where("s.expires_at", ">", now)
    .where("a.disabled_at", "is", null)
    .orderBy("g.space_id")
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  return {
    admin: toAdmin(first),
    expiresAt: first.expires_at,
    // An administrator's roles: never `mdm` (the table's CHECK).
    grants: rows.flatMap((r) =>
      r.space_id && r.role ? [{ spaceId: r.space_id, role: r.role as Role }] : [],
    ),
  };
}

/** Ends a session; returns the ID token of the single sign-on that opened it, if any (0043). */
export async function deleteSession(db: Db, idHash: string): Promise<{ ssoIdToken?: string } | undefined> {
  const row = await auth(db)
    .deleteFrom("sessions")
    .where("id_hash", "=", idHash)
    .returning("sso_id_token")
    .executeTakeFirst();
  changed();
  return row && (row.sso_id_token ? { ssoIdToken: row.sso_id_token } : {});
}

export interface ApiTokenRecord {
  id: string;
  name: string;
  createdBy?: string;
  createdAt: Date;
  lastUsedAt?: Date;
  revokedAt?: Date;
  expiresAt?: Date;
}

export async function createApiToken(
  db: Db,
  input: { id: string; name: string; secretHash: string; createdBy: string; now: Date; expiresAt?: Date },
): Promise<ApiTokenRecord> {
  const row = await auth(db)
    .insertInto("api_tokens")
    .values({
      id: input.id,
      name: input.name,
      secret_hash: input.secretHash,
      created_by: input.createdBy,
      created_at: input.now,
      last_used_at: null,
      revoked_at: null,
      expires_at: input.expiresAt ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toToken(row);
}

/** The token's hash, when it exists and is not revoked. */
export async function findLiveApiToken(
  db: Db,
  id: string,
): Promise<(ApiTokenRecord & { secretHash: string }) | undefined> {
  const row = await auth(db)
    .selectFrom("api_tokens")
    .selectAll()
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .executeTakeFirst();
  return row && { ...toToken(row), secretHash: row.secret_hash };
}

/**
 * A token not revoked with what it may do, in one query (every API call asks): its grants,
 * each with its creator's current role in that space, and whether the creator is an owner.
 * `creator` is undefined when the creator is gone or disabled. An expired token is found
 * too, with its `expiresAt`: the caller refuses it as expired, not as unknown.
 */
export async function findTokenAuthority(
  db: Db,
  id: string,
): Promise<
  | {
      token: ApiTokenRecord & { secretHash: string };
      creator?: { isOwner: boolean };
      grants: Array<Grant<TokenRole> & { creatorRole?: Role }>;
    }
  | undefined
> {
  const rows = await auth(db)
    .selectFrom("api_tokens as t")
    .leftJoin("admins as a", (j) => j.onRef("a.id", "=", "t.created_by").on("a.disabled_at", "is", null))
    .leftJoin("role_grants as g", (j) =>
      j.on("g.principal_kind", "=", "api_token").onRef("g.principal_id", "=", "t.id"),
    )
    .leftJoin("role_grants as c", (j) =>
      j
        .on("c.principal_kind", "=", "admin")
        .onRef("c.principal_id", "=", "t.created_by")
        .onRef("c.space_id", "=", "g.space_id"),
    )
    .select([
      "t.id",
      "t.name",
      "t.secret_hash",
      "t.created_by",
      "t.created_at",
      "t.last_used_at",
      "t.revoked_at",
      "t.expires_at",
      "a.is_owner",
      "g.space_id",
      "g.role as token_role",
      "c.role as creator_role",
    ])
    .where("t.id", "=", id)
    .where("t.revoked_at", "is", null)
    .execute();
  const first = rows[0];
  if (!first) return undefined;
  return {
    token: { ...toToken(first), secretHash: first.secret_hash },
    ...(first.is_owner !== null ? { creator: { isOwner: first.is_owner } } : {}),
    grants: rows.flatMap((r) =>
      r.space_id && r.token_role
        ? [
            {
              spaceId: r.space_id,
              role: r.token_role,
              // An administrator's role: never `mdm` (the table's CHECK).
              ...(r.creator_role ? { creatorRole: r.creator_role as Role } : {}),
            },
          ]
        : [],
    ),
  };
}

export async function touchApiToken(db: Db, id: string, now: Date): Promise<void> {
  await auth(db).updateTable("api_tokens").set({ last_used_at: now }).where("id", "=", id).execute();
}

/** Tokens created by an administrator (all of them for `undefined`), newest first. */
export async function listApiTokens(db: Db, createdBy?: string): Promise<ApiTokenRecord[]> {
  let query = auth(db).selectFrom("api_tokens").selectAll().orderBy("created_at", "desc").orderBy("id");
  if (createdBy !== undefined) query = query.where("created_by", "=", createdBy);
  return (await query.execute()).map(toToken);
}

export async function findApiToken(db: Db, id: string): Promise<ApiTokenRecord | undefined> {
  const row = await auth(db).selectFrom("api_tokens").selectAll().where("id", "=", id).executeTakeFirst();
  return row && toToken(row);
}

export async function revokeApiToken(db: Db, id: string, now: Date): Promise<void> {
  await auth(db)
    .updateTable("api_tokens")
    .set({ revoked_at: now })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .execute();
  changed();
}

function toAdmin(row: {
  id: string;
  login: string;
  display_name: string;
  is_owner: boolean;
  created_at: Date;
  disabled_at: Date | null;
  sso_subject: string | null;
  sso_managed: boolean;
  last_sign_in_at?: Date | null;
  email: string | null;
  notify_by_email: boolean;
  language: Language | null;
}): AdminRecord {
  return {
    id: row.id,
    login: row.login,
    displayName: row.display_name,
    isOwner: row.is_owner,
    createdAt: row.created_at,
    disabled: row.disabled_at !== null,
    ssoLinked: row.sso_subject !== null,
    ssoManaged: row.sso_managed,
    ...(row.last_sign_in_at ? { lastSignInAt: row.last_sign_in_at } : {}),
    ...(row.email !== null ? { email: row.email } : {}),
    notifyByEmail: row.notify_by_email,
    ...(row.language !== null ? { language: row.language } : {}),
  };
}

function toToken(row: {
  id: string;
  name: string;
  created_by: string | null;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
  expires_at: Date | null;
}): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    createdBy: row.created_by ?? undefined,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at ?? undefined,
    revokedAt: row.revoked_at ?? undefined,
    expiresAt: row.expires_at ?? undefined,
  };
}
