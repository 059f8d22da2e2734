import { randomUUID } from "node:crypto";
import {
  type AdminRecord,
  type ApiTokenRecord,
  countAdmins,
  createAdmin,
  createApiToken,
  createSession,
  deleteSession,
  findAdminForLogin,
  findApiToken,
  findSessionAuthority,
  findTokenAuthority,
  type Grant,
  listApiTokens,
  listGrants,
  type Role,
  replacePasswordHash,
  revokeApiToken,
  setGrants,
  type TokenRole,
  touchApiToken,
} from "../store/auth.repo.js";
import { type Db, withTransaction } from "../store/database.js";
import { AuthError } from "./errors.js";
import { decoyHash, hashPassword, MIN_PASSWORD_LENGTH, verifyPassword } from "./passwords.js";
import type { Principal } from "./principal.js";
import type { PrincipalCache } from "./principal-cache.js";
import { newApiToken, newSessionId, parseApiToken, sameHash, sha256 } from "./secrets.js";

/** Console sessions last a working day, then ask for the password again. */
export const SESSION_TTL_MS = 12 * 3_600_000;

/**
 * The password hash of an administrator who signs in with single sign-on only: no argon2
 * hash, so no password ever matches it (a password sign-in checks the decoy instead).
 */
export const NO_PASSWORD = "!sso-only";

export interface NewAdministrator {
  login: string;
  displayName?: string;
  /** Absent: single sign-on only (NO_PASSWORD); the API and the CLI allow it only with SSO on. */
  password?: string | undefined;
  isOwner: boolean;
  grants?: readonly Grant[];
  /** OIDC_GROUP_ROLES: created at this account's single sign-on, roles from its groups. */
  fromGroupsOf?: string;
  /** Where notification e-mails reach them (NT3). */
  email?: string | undefined;
  /** NT3: they receive their spaces' notifications by e-mail (needs `email`). */
  notifyByEmail?: boolean;
  now: Date;
}

/** A password long enough and not blank, or the refusal that says what it needs. */
export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AuthError("weak_password", `a password has at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.trim() === "") throw new AuthError("weak_password", "a password is not only spaces");
}

export async function createAdministrator(db: Db, input: NewAdministrator): Promise<AdminRecord> {
  if (input.password !== undefined) checkPassword(input.password);
  if (input.notifyByEmail && !input.email)
    throw new AuthError("email_needed", "notification e-mails need an e-mail address");
  const passwordHash = input.password === undefined ? NO_PASSWORD : await hashPassword(input.password);
  // With its grants or not at all: a grant of an unknown space leaves no administrator behind.
  return withTransaction(db, async (trx) => {
    const admin = await createAdmin(trx, {
      id: randomUUID(),
      login: input.login,
      displayName: input.displayName ?? input.login,
      passwordHash,
      isOwner: input.isOwner,
      fromGroupsOf: input.fromGroupsOf,
      email: input.email,
      notifyByEmail: input.notifyByEmail ?? false,
      now: input.now,
    });
    if (input.grants?.length) await setGrants(trx, { kind: "admin", id: admin.id }, input.grants);
    return admin;
  });
}

/**
 * OIDC_GROUP_ROLES: the administrator a person's groups call for, created at their first
 * single sign-on: no password (the provider signs them in), linked to the provider's
 * account (`subject`), named by the provider, with the roles of their groups.
 */
export async function createAdministratorFromGroups(
  db: Db,
  input: {
    login: string;
    name?: string | undefined;
    /** NT3: the provider's verified `email` claim, their address for notification e-mails. */
    email?: string | undefined;
    subject: string;
    isOwner: boolean;
    grants: readonly Grant[];
    now: Date;
  },
): Promise<AdminRecord> {
  return createAdministrator(db, {
    login: input.login,
    displayName: input.name,
    email: input.email,
    isOwner: input.isOwner,
    grants: input.grants,
    fromGroupsOf: input.subject,
    now: input.now,
  });
}

/**
 * A new password for an administrator, from the server's command line: the way back in
 * when the owners forgot theirs or the identity provider is down. Their sessions end. Not
 * for one whose roles come from the provider's groups (OIDC_GROUP_ROLES).
 */
export async function resetPassword(
  db: Db,
  input: { login: string; password: string },
): Promise<AdminRecord | "not_found" | "from_groups"> {
  checkPassword(input.password);
  const admin = await findAdminForLogin(db, input.login);
  if (!admin) return "not_found";
  // Their groups give their roles: a password would let them in whatever their groups.
  if (admin.ssoManaged) return "from_groups";
  await replacePasswordHash(db, admin.id, await hashPassword(input.password));
  const { passwordHash: _hidden, ...record } = admin;
  return record;
}

export function hasAdministrators(db: Db): Promise<boolean> {
  return countAdmins(db).then((n) => n > 0);
}

/** Checks a login and opens a session; the cookie value is returned once and stored hashed. */
export async function login(
  db: Db,
  input: { login: string; password: string; now: Date },
): Promise<{ sessionId: string; admin: AdminRecord; expiresAt: Date }> {
  const admin = await findAdminForLogin(db, input.login);
  // Verify against a decoy when the login is unknown or has no password (SSO only): the timing tells nothing.
  const hashed = admin && admin.passwordHash !== NO_PASSWORD ? admin.passwordHash : await decoyHash();
  const ok = (await verifyPassword(hashed, input.password)) && hashed === admin?.passwordHash;
  if (!admin || !ok || admin.disabled) throw new AuthError("invalid_credentials", "wrong login or password");
  const { passwordHash: _hidden, ...record } = admin;
  return openSession(db, record, input.now);
}

/** A console session for an administrator who proved who they are (a password, or SSO). */
export async function openSession(
  db: Db,
  admin: AdminRecord,
  now: Date,
  /** The ID token of the single sign-on opening it: its sign-out may end the provider's session. */
  ssoIdToken?: string,
): Promise<{ sessionId: string; admin: AdminRecord; expiresAt: Date }> {
  const sessionId = newSessionId();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  if (
    !(await createSession(db, { idHash: sha256(sessionId), adminId: admin.id, now, expiresAt, ssoIdToken }))
  )
    throw new AuthError("invalid_credentials", `${admin.login} was disabled or removed meanwhile`);
  return { sessionId, admin, expiresAt };
}

/** Ends the session; returns the ID token of the single sign-on that opened it, if any. */
export async function logout(db: Db, sessionId: string): Promise<{ ssoIdToken?: string } | undefined> {
  return deleteSession(db, sha256(sessionId));
}

/** The session's principal: one query, or none while `cache` holds it (see PrincipalCache). */
export async function principalOfSession(
  db: Db,
  sessionId: string,
  now: Date,
  cache?: PrincipalCache,
): Promise<Principal | undefined> {
  const idHash = sha256(sessionId);
  const key = `s:${idHash}`;
  const hit = cache?.get(key, now);
  if (hit) return hit.principal;
  const version = cache?.version() ?? 0;
  const found = await findSessionAuthority(db, idHash, now);
  if (!found) return undefined;
  const principal = toAdminPrincipal(found.admin, found.grants, "session");
  cache?.set(key, { principal, expiresAt: found.expiresAt, version });
  return principal;
}

export async function adminPrincipal(db: Db, admin: AdminRecord, via: Principal["via"]): Promise<Principal> {
  return toAdminPrincipal(admin, await listGrants(db, { kind: "admin", id: admin.id }), via);
}

function toAdminPrincipal(admin: AdminRecord, grants: readonly Grant[], via: Principal["via"]): Principal {
  return {
    kind: "admin",
    id: admin.id,
    name: admin.login,
    isOwner: admin.isOwner,
    roles: new Map(grants.map((g) => [g.spaceId, g.role])),
    via,
  };
}

/** `last_used_at` is written at most once a minute per token: reads stay reads. */
const TOUCH_EVERY_MS = 60_000;
const touched = new Map<string, number>();

/**
 * The token's principal: one query (the token, its grants, its creator's roles), or none
 * while `cache` holds it; the secret is checked against the stored hash either way. A
 * token past its `expiresAt` is refused as such (`api_token_expired`), once its secret is right:
 * the cache never keeps an entry past that time.
 */
export async function principalOfToken(
  db: Db,
  bearer: string,
  now: Date,
  cache?: PrincipalCache,
): Promise<Principal | undefined> {
  const parsed = parseApiToken(bearer);
  if (!parsed) return undefined;
  const secretHash = sha256(parsed.secret);
  const key = `t:${parsed.id}`;
  const hit = cache?.get(key, now);
  if (hit?.secretHash !== undefined && sameHash(hit.secretHash, secretHash)) {
    await touch(db, hit.principal.id, now);
    return hit.principal;
  }
  const version = cache?.version() ?? 0;
  const found = await findTokenAuthority(db, parsed.id);
  if (!found || !sameHash(found.token.secretHash, secretHash)) return undefined;
  const { token } = found;
  if (token.expiresAt !== undefined && now.getTime() >= token.expiresAt.getTime()) {
    throw new AuthError("api_token_expired", `the API token expired at ${token.expiresAt.toISOString()}`);
  }
  await touch(db, token.id, now);
  const principal: Principal = {
    kind: "api_token",
    id: token.id,
    name: token.name,
    isOwner: false,
    roles: cappedByCreator(found.creator, found.grants),
    via: "token",
  };
  cache?.set(key, {
    principal,
    secretHash: token.secretHash,
    version,
    ...(token.expiresAt ? { expiresAt: token.expiresAt } : {}),
  });
  return principal;
}

async function touch(db: Db, tokenId: string, now: Date): Promise<void> {
  const last = touched.get(tokenId) ?? 0;
  if (now.getTime() - last < TOUCH_EVERY_MS) return;
  touched.set(tokenId, now.getTime());
  await touchApiToken(db, tokenId, now);
}

/**
 * PM1: a token never does more than its creator may do now: a demoted, disabled or
 * removed administrator's tokens lose what the administrator lost. An `mdm` token of an
 * administrator now read-only loses the space: its changes need "manage", and "read"
 * would open reads the MDM routes do not.
 */
function cappedByCreator(
  creator: { isOwner: boolean } | undefined,
  grants: ReadonlyArray<Grant<TokenRole> & { creatorRole?: Role }>,
): Map<string, TokenRole> {
  const roles = new Map<string, TokenRole>();
  if (!creator) return roles;
  for (const g of grants) {
    if (creator.isOwner || g.creatorRole === "manage") roles.set(g.spaceId, g.role);
    else if (g.creatorRole === "read" && g.role !== "mdm") roles.set(g.spaceId, "read");
  }
  return roles;
}

/**
 * A token for a machine, with roles no wider than its creator's (an owner may grant
 * any; `mdm` changes things, so it takes "manage"). The token text is in the result once;
 * only its hash is kept. With `expiresAt`, it is refused from then on.
 */
export async function issueApiToken(
  db: Db,
  creator: Principal,
  input: { name: string; grants: readonly Grant<TokenRole>[]; now: Date; expiresAt?: Date },
): Promise<{ token: string; record: ApiTokenRecord; grants: Grant<TokenRole>[] }> {
  if (creator.kind !== "admin") throw new AuthError("forbidden", "only an administrator creates API tokens");
  for (const grant of input.grants) {
    const own = creator.isOwner ? "manage" : creator.roles.get(grant.spaceId);
    if (!own || (grant.role !== "read" && own !== "manage")) {
      throw new AuthError(
        "grant_exceeds_own_role",
        `no ${grant.role} role to give in space ${grant.spaceId}`,
      );
    }
  }
  const fresh = newApiToken();
  const record = await createApiToken(db, {
    id: fresh.id,
    name: input.name,
    secretHash: fresh.secretHash,
    createdBy: creator.id,
    now: input.now,
    ...(input.expiresAt ? { expiresAt: input.expiresAt } : {}),
  });
  await setGrants(db, { kind: "api_token", id: record.id }, input.grants);
  return { token: fresh.token, record, grants: [...input.grants] };
}

/** An API token may last at most this many days from its creation (`expiresInDays`). */
export const MAX_TOKEN_DAYS = 3650;
const DAY_MS = 86_400_000;

/** When a token given `days` to live from `now` stops working. */
export function tokenEndsIn(now: Date, days: number): Date {
  return new Date(now.getTime() + days * DAY_MS);
}

/** An owner sees every token; an administrator sees the tokens they created. */
export async function listTokens(
  db: Db,
  viewer: Principal,
): Promise<Array<ApiTokenRecord & { grants: Grant<TokenRole>[] }>> {
  return tokensWithGrants(db, viewer.isOwner ? undefined : viewer.id);
}

/** Every token (or those `createdBy` made), each with its roles. */
export async function tokensWithGrants(
  db: Db,
  createdBy?: string,
): Promise<Array<ApiTokenRecord & { grants: Grant<TokenRole>[] }>> {
  const tokens = await listApiTokens(db, createdBy);
  return Promise.all(
    tokens.map(async (t) => ({ ...t, grants: await listGrants(db, { kind: "api_token", id: t.id }) })),
  );
}

/** Revokes a token the viewer may see; another's token is "not found" (invariant 6's spirit). */
export async function revokeToken(db: Db, viewer: Principal, id: string, now: Date): Promise<boolean> {
  const token = await findApiToken(db, id);
  if (!token || (!viewer.isOwner && token.createdBy !== viewer.id)) return false;
  await revokeApiToken(db, id, now);
  return true;
}
