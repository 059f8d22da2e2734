/**
 * Which administrator a single sign-on opens the console for (sso.routes.ts). The provider
 * says who the person is (sso.ts); here Orchard decides what they may do.
 * - The administrator linked to the provider's account that signed in (0041: its issuer and
 *   `sub`, which the provider never gives another person) is that person, whatever login the
 *   provider now gives them; else the one whose login the claim names, linked at this first
 *   sign-in (refused when linked to another account of the provider).
 * - Without OIDC_GROUP_ROLES, administrators are created in Orchard, with the roles given there.
 * - With it, the person's groups decide for those created from them (sso-roles.ts): created
 *   at the first sign-in, their login, name, owner flag and grants set anew at each; when no
 *   group gives a role any more, their roles go and their sessions end. Administrators
 *   created in Orchard keep the roles given there.
 * - NT3: the provider's verified `email` claim becomes their address for notification
 *   e-mails when they have none, whoever created them; an address they have stays.
 * A disabled administrator stays out either way: Orchard's own switch.
 */
import type { Logger } from "pino";
import {
  type AdminRecord,
  findAdminBySubject,
  findAdminNamedBy,
  linkSsoSubject,
  renameFromProvider,
  setNotificationEmail,
  setRolesFromGroups,
} from "../store/auth.repo.js";
import type { Db } from "../store/database.js";
import { StoreError } from "../store/errors.js";
import { listSpaces } from "../store/space.repo.js";
import { createAdministratorFromGroups } from "./auth.service.js";
import { SsoError, type SsoIdentity } from "./sso.js";
import { type GroupRole, givesAccess, rolesOfGroups } from "./sso-roles.js";

type Log = Pick<Logger, "info" | "warn">;

export async function administratorSignedIn(
  db: Db,
  input: { identity: SsoIdentity; groupRoles?: readonly GroupRole[] | undefined; now: Date; log: Log },
): Promise<AdminRecord> {
  try {
    return await signIn(db, input);
  } catch (error) {
    // Two first sign-ins of one person at once: the second finds the administrator the first made.
    if (error instanceof StoreError && error.code === "login_taken") return signIn(db, input);
    throw error;
  }
}

async function signIn(
  db: Db,
  input: { identity: SsoIdentity; groupRoles?: readonly GroupRole[] | undefined; now: Date; log: Log },
): Promise<AdminRecord> {
  const { identity, groupRoles, log } = input;
  const admin =
    (await findAdminBySubject(db, identity.subject)) ?? (await findAdminNamedBy(db, identity.login));
  if (admin?.disabled) throw new SsoError("no_administrator", `the administrator ${admin.login} is disabled`);
  if (!groupRoles || (admin && !admin.ssoManaged)) {
    if (!admin)
      throw new SsoError(
        "no_administrator",
        `no administrator of this Orchard has the login ${identity.login}`,
      );
    await link(db, admin, identity);
    return { ...admin, ...(await emailFromProvider(db, admin, identity)) };
  }
  if (identity.groupsOverage)
    log.warn(
      { login: identity.login },
      "the identity provider left the groups out (too many groups: Entra ID's overage); assign the groups to the application, or send app roles (OIDC_GROUPS_CLAIM=roles)",
    );
  const roles = rolesOfGroups(groupRoles, identity.groups, await listSpaces(db));
  if (roles.unknownSpaces.length > 0)
    log.warn(
      { spaces: roles.unknownSpaces },
      "OIDC_GROUP_ROLES names spaces this Orchard does not have, or a name several spaces have",
    );
  const refusal = `none of the groups of ${identity.login} (${identity.groups.join(", ") || "none"}) gives a role (OIDC_GROUP_ROLES)`;
  if (!admin) {
    if (!givesAccess(roles)) throw new SsoError("no_role", refusal);
    const created = await createAdministratorFromGroups(db, { ...identity, ...roles, now: input.now });
    log.info(
      { adminId: created.id, isOwner: roles.isOwner, grants: roles.grants },
      "administrator created from the identity provider's groups",
    );
    return created;
  }
  await link(db, admin, identity);
  const { keptOwner } = await setRolesFromGroups(db, admin.id, roles);
  if (keptOwner)
    log.warn(
      { adminId: admin.id },
      "their groups no longer make them owner, but they are the last owner: kept (make another owner first)",
    );
  if (!givesAccess(roles) && !keptOwner) {
    log.info({ adminId: admin.id }, "no group gives a role any more: roles taken away, sessions ended");
    throw new SsoError("no_role", refusal);
  }
  const named = { login: identity.login, displayName: identity.name ?? identity.login };
  let renamed = false;
  if (admin.login !== named.login || admin.displayName !== named.displayName) {
    renamed = await renameFromProvider(db, admin.id, named);
    if (!renamed)
      log.warn(
        { adminId: admin.id, login: identity.login },
        "the provider renamed them to a login another administrator has (in some case): kept their login",
      );
  }
  return {
    ...admin,
    ...(renamed ? named : {}),
    ...(await emailFromProvider(db, admin, identity)),
    isOwner: roles.isOwner || keptOwner,
  };
}

/** NT3: the provider's address, as theirs when they have none (never cleared, never replaced). */
async function emailFromProvider(
  db: Db,
  admin: AdminRecord,
  identity: SsoIdentity,
): Promise<Pick<AdminRecord, "email" | "notifyByEmail"> | undefined> {
  // Only when they have none: an address an owner or they chose (an on-call mailbox) stays.
  if (identity.email === undefined || admin.email !== undefined) return undefined;
  const set = await setNotificationEmail(db, admin.id, { email: identity.email });
  return typeof set === "string" ? undefined : { email: set.email, notifyByEmail: set.notifyByEmail };
}

async function link(db: Db, admin: AdminRecord, identity: SsoIdentity): Promise<void> {
  if ((await linkSsoSubject(db, admin.id, identity.subject)) === "another")
    throw new SsoError(
      "another_account",
      `${identity.login} is linked to another account of the identity provider than ${identity.subject}`,
    );
}
