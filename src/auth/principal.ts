import type { Role } from "../store/auth.repo.js";

/**
 * Who is calling: an administrator (console session or not) or a machine's API token,
 * with its roles per space (PM1). Owners hold "manage" everywhere and alone may create
 * spaces and administrators.
 */
export interface Principal {
  kind: "admin" | "api_token";
  id: string;
  name: string;
  isOwner: boolean;
  /** Role per space id. */
  roles: ReadonlyMap<string, Role>;
  /** "session": the console's cookie, which must pass the CSRF check on changes. */
  via: "session" | "token";
}

/** What a route needs. Space routes name where the space id is read: `:spaceId` or `?space=`. */
export type Permission =
  | { kind: "public" }
  | { kind: "authenticated" }
  | { kind: "owner" }
  | { kind: "space"; need: "read" | "write" };

export type Verdict = "allow" | "forbidden" | "hidden";

/**
 * The one authorization rule. A space the principal has no role in is "hidden": the
 * API answers 404 as if it did not exist (invariant 6); a read-only role asking to
 * write is "forbidden" (403), since the space is visible to it.
 */
export function authorize(
  principal: Principal,
  permission: Permission,
  spaceId: string | undefined,
): Verdict {
  switch (permission.kind) {
    case "public":
    case "authenticated":
      return "allow";
    case "owner":
      return principal.isOwner ? "allow" : "forbidden";
    case "space": {
      const role = roleIn(principal, spaceId);
      if (!role) return "hidden";
      return permission.need === "write" && role !== "manage" ? "forbidden" : "allow";
    }
  }
}

export function roleIn(principal: Principal, spaceId: string | undefined): Role | undefined {
  if (spaceId === undefined) return undefined;
  if (principal.isOwner) return "manage";
  return principal.roles.get(spaceId);
}
