import type { TokenRole } from "../store/auth.repo.js";

/**
 * Who is calling: an administrator (console session or not) or a machine's API token,
 * with its roles per space (PM1). Owners hold "manage" everywhere and alone may create
 * spaces and administrators. Only an API token holds "mdm".
 */
export interface Principal {
  kind: "admin" | "api_token";
  id: string;
  name: string;
  isOwner: boolean;
  /** Role per space id. */
  roles: ReadonlyMap<string, TokenRole>;
  /** "session": the console's cookie, which must pass the CSRF check on changes. */
  via: "session" | "token";
}

/**
 * What a route needs. Space routes name where the space id is read: `:spaceId` or `?space=`.
 * `mdm`: a route an MDM integration calls, open to an API token of role "mdm" too.
 */
export type Permission =
  | { kind: "public" }
  /** The route checks a credential of its own (the metrics token), not Orchard's sign-in. */
  | { kind: "own_credential" }
  | { kind: "authenticated" }
  | { kind: "owner" }
  | { kind: "space"; need: "read" | "write"; mdm?: true };

/** "outside_role": an `mdm` token asking for a route that is not the MDM's (403). */
export type Verdict = "allow" | "forbidden" | "outside_role" | "hidden";

/**
 * The one authorization rule. A space the principal has no role in is "hidden": the
 * API answers 404 as if it did not exist (invariant 6); a read-only role asking to
 * write is "forbidden" (403), since the space is visible to it; an `mdm` token reads and
 * changes what the MDM routes do, and nothing else (403).
 */
export function authorize(
  principal: Principal,
  permission: Permission,
  spaceId: string | undefined,
): Verdict {
  switch (permission.kind) {
    case "public":
    case "own_credential":
    case "authenticated":
      return "allow";
    case "owner":
      return principal.isOwner ? "allow" : "forbidden";
    case "space": {
      const role = roleIn(principal, spaceId);
      if (!role) return "hidden";
      if (role === "mdm") return permission.mdm ? "allow" : "outside_role";
      return permission.need === "write" && role !== "manage" ? "forbidden" : "allow";
    }
  }
}

export function roleIn(principal: Principal, spaceId: string | undefined): TokenRole | undefined {
  if (spaceId === undefined) return undefined;
  if (principal.isOwner) return "manage";
  return principal.roles.get(spaceId);
}
