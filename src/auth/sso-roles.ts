/**
 * Roles from the identity provider's groups (OIDC_GROUP_ROLES): with it, single sign-on
 * creates the administrator a group names at their first sign-in, and sets their roles from
 * their groups at every sign-in, so that access is given and taken away at the provider.
 *
 * `<group>=<role>` entries separated by `;`; a role is `owner`, or `manage:<space>` or
 * `read:<space>` where `<space>` is a space's id, its name (when no other space has it), or `*`
 * (every space there is at the sign-in: one created later comes with the next sign-in). A group
 * may appear in several entries; of two roles in one space, `manage` wins.
 */
import type { Role } from "../store/auth.table.js";

export type GroupRole = { group: string; owner: true } | { group: string; role: Role; space: string };

/** Every space: `manage:*`, `read:*`. */
export const EVERY_SPACE = "*";

/** The mapping, or an error message naming the entry that cannot be read (config.ts shows it). */
export function parseGroupRoles(text: string): GroupRole[] | string {
  const out: GroupRole[] = [];
  for (const raw of text.split(";")) {
    const entry = raw.trim();
    if (entry === "") continue;
    const at = entry.lastIndexOf("=");
    const group = entry.slice(0, Math.max(at, 0)).trim();
    const role = entry.slice(at + 1).trim();
    if (at <= 0 || group === "") return `"${entry}" is not <group>=<role>`;
    if (role === "owner") {
      out.push({ group, owner: true });
      continue;
    }
    const colon = role.indexOf(":");
    const kind = role.slice(0, colon);
    const space = role.slice(colon + 1).trim();
    if (colon < 0 || (kind !== "manage" && kind !== "read") || space === "")
      return `"${entry}": the role is owner, manage:<space> or read:<space> (a space's id, its name, or *)`;
    out.push({ group, role: kind, space });
  }
  return out.length > 0 ? out : "names no group";
}

export interface RolesFromGroups {
  isOwner: boolean;
  grants: Array<{ spaceId: string; role: Role }>;
  /** Spaces the mapping names that this Orchard does not have (a typo, a space deleted) or names twice: logged. */
  unknownSpaces: string[];
}

/** What these groups give, among these spaces (by id, else by name). */
export function rolesOfGroups(
  mapping: readonly GroupRole[],
  groups: readonly string[],
  spaces: ReadonlyArray<{ id: string; name: string }>,
): RolesFromGroups {
  const member = new Set(groups);
  const byRole = new Map<string, Role>();
  const unknownSpaces = new Set<string>();
  let isOwner = false;
  const give = (spaceId: string, role: Role) => {
    if (byRole.get(spaceId) !== "manage") byRole.set(spaceId, role);
  };
  for (const entry of mapping) {
    if (!member.has(entry.group)) continue;
    if ("owner" in entry) {
      isOwner = true;
      continue;
    }
    if (entry.space === EVERY_SPACE) {
      for (const s of spaces) give(s.id, entry.role);
      continue;
    }
    // By id, else by name when one space alone has it (names are not unique; ids never change).
    const named = spaces.filter((s) => s.name === entry.space);
    const space = spaces.find((s) => s.id === entry.space) ?? (named.length === 1 ? named[0] : undefined);
    if (space) give(space.id, entry.role);
    else unknownSpaces.add(entry.space);
  }
  return {
    isOwner,
    grants: [...byRole].map(([spaceId, role]) => ({ spaceId, role })),
    unknownSpaces: [...unknownSpaces],
  };
}

/** Whether these roles open the console at all. */
export const givesAccess = (roles: RolesFromGroups) => roles.isOwner || roles.grants.length > 0;

/** The groups a claim holds: providers send an array (Entra ID, Okta, Keycloak) or one string. */
export function groupsOfClaim(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === "string");
  return [];
}
