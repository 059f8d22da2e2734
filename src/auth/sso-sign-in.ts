/**
 * Which administrator a single sign-on opens the console for (sso.routes.ts). The provider
 * says who the person is (sso.ts); here Orchard decides what they may do:
 * - without OIDC_GROUP_ROLES, the administrator created in Orchard whose login the claim
 *   names, with the roles given in Orchard;
 * - with it, the person's groups decide for those created from them (sso-roles.ts): created
 *   at the first sign-in, their owner flag and grants set anew at each. Administrators
 *   created in Orchard keep the roles given there.
 * Either way a disabled administrator stays out (Orchard's own switch), and the first
 * sign-in links the administrator to the provider's account (0041).
 */
import type { Logger } from "pino";
import {
  type AdminRecord,
  findAdminNamedBy,
  linkSsoSubject,
  setRolesFromGroups,
} from "../store/auth.repo.js";
import type { Db } from "../store/database.js";
import { listSpaces } from "../store/space.repo.js";
import { createAdministratorFromGroups } from "./auth.service.js";
import { SsoError, type SsoIdentity } from "./sso.js";
import { type GroupRole, givesAccess, rolesOfGroups } from "./sso-roles.js";

export async function administratorSignedIn(
  db: Db,
  input: {
    identity: SsoIdentity;
    groupRoles?: readonly GroupRole[] | undefined;
    now: Date;
    log: Pick<Logger, "info" | "warn">;
  },
): Promise<AdminRecord> {
  const { identity, groupRoles, log } = input;
  const admin = await findAdminNamedBy(db, identity.login);
  if (admin?.disabled)
    throw new SsoError("no_administrator", `the administrator ${identity.login} is disabled`);
  if (!groupRoles || (admin && !admin.ssoManaged)) {
    if (!admin)
      throw new SsoError(
        "no_administrator",
        `no administrator of this Orchard has the login ${identity.login}`,
      );
    await link(db, admin, identity);
    return admin;
  }
  const roles = rolesOfGroups(groupRoles, identity.groups, await listSpaces(db));
  if (roles.unknownSpaces.length > 0)
    log.warn({ spaces: roles.unknownSpaces }, "OIDC_GROUP_ROLES names spaces this Orchard does not have");
  if (!givesAccess(roles))
    throw new SsoError(
      admin ? "no_role" : "no_administrator",
      `none of the groups of ${identity.login} (${identity.groups.join(", ") || "none"}) gives a role (OIDC_GROUP_ROLES)`,
    );
  if (!admin) {
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
      "the groups no longer make them owner, but they are the last owner: kept",
    );
  return { ...admin, isOwner: roles.isOwner || keptOwner };
}

async function link(db: Db, admin: AdminRecord, identity: SsoIdentity): Promise<void> {
  if ((await linkSsoSubject(db, admin.id, identity.subject)) === "another")
    throw new SsoError(
      "another_account",
      `${identity.login} is linked to another account of the identity provider than ${identity.subject}`,
    );
}
