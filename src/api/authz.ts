import type {} from "@fastify/cookie";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { principalOfSession, principalOfToken } from "../auth/auth.service.js";
import { AuthError } from "../auth/errors.js";
import { authorize, type Permission, type Principal } from "../auth/principal.js";
import { PrincipalCache } from "../auth/principal-cache.js";
import type { Db } from "../store/database.js";
import { DEFAULT_SPACE_ALIAS, findDefaultSpace, getSpace } from "../store/index.js";
import { ApiError } from "./problem.js";
import { id } from "./schemas.js";

export const SESSION_COOKIE = "orchard_session";
/** Console requests that change something carry this header (CSRF: see `checkCsrf`). */
export const CSRF_HEADER = "x-orchard-csrf";

declare module "fastify" {
  interface FastifyContextConfig {
    /** What the route needs; a route without one is refused (deny by default). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** The space a space route acts on, once authorized. */
    spaceId?: string;
  }
}

/**
 * The one authorization check, for every route: authentication in `onRequest` (before
 * the body is read), then the route's declared permission in `preValidation`, with the
 * space taken from `:spaceId` (or `?space=`). A space the caller has no role in answers
 * 404, exactly as a space that does not exist (invariant 6).
 *
 * Principals are kept a moment (PrincipalCache): a revoked token, a removed grant or a
 * closed session stops at once in this process, and within PRINCIPAL_TTL_MS in others.
 */
export function installAuthorization(
  app: FastifyInstance,
  options: { db: Db; now: () => Date; principals?: PrincipalCache },
): void {
  const deps = { ...options, principals: options.principals ?? new PrincipalCache() };
  app.addHook("onRequest", async (request) => {
    const permission = request.routeOptions.config.permission;
    if (request.routeOptions.url === undefined) return; // unknown route: the 404 handler answers
    if (!permission) throw new ApiError(403, "forbidden", "This route is not open to anyone");
    if (permission.kind === "own_credential") return;
    const principal = await authenticate(request, deps);
    if (permission.kind === "public") return;
    if (!principal) throw new AuthError("unauthenticated", "sign in or send an API token");
    checkCsrf(request, principal);
    request.principal = principal;
  });

  app.addHook("preValidation", async (request) => {
    const permission = request.routeOptions.config.permission;
    const principal = request.principal;
    if (!permission || permission.kind === "public" || !principal) return;
    const spaceId = permission.kind === "space" ? await spaceOf(request, principal, deps.db) : undefined;
    const verdict = authorize(principal, permission, spaceId);
    if (verdict === "hidden") throw new ApiError(404, "not_found", "Not found");
    if (verdict === "outside_role") {
      throw new ApiError(
        403,
        "forbidden",
        "This API token's role (mdm) does not allow this route: it calls only the MDM integration routes",
      );
    }
    if (verdict === "forbidden") {
      throw new ApiError(
        403,
        "forbidden",
        permission.kind === "owner"
          ? "Only an owner may do this"
          : "Your role in this space is read-only (PM1)",
      );
    }
    // An owner may act in any space, so the space must exist: another role's spaces do.
    // An id the route's schema will refuse (too long, a control character) is left to it: its field's 400.
    if (spaceId !== undefined && principal.isOwner && id.safeParse(spaceId).success)
      await getSpace(deps.db, spaceId);
    if (spaceId !== undefined) request.spaceId = spaceId;
  });
}

async function authenticate(
  request: FastifyRequest,
  deps: { db: Db; now: () => Date; principals: PrincipalCache },
): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    // A wrong token is refused even on public routes: a script should learn it at once.
    if (!match?.[1])
      throw new AuthError(
        "unauthenticated",
        "the Authorization header takes an API token: Authorization: Bearer <token>",
        "invalid_request",
      );
    const principal = await principalOfToken(deps.db, match[1], deps.now(), deps.principals);
    if (!principal) throw new AuthError("unauthenticated", "the API token is not valid", "invalid_token");
    return principal;
  }
  const cookie = request.cookies[SESSION_COOKIE];
  if (!cookie || cookie.length > 100) return undefined;
  return principalOfSession(deps.db, cookie, deps.now(), deps.principals);
}

/**
 * Cookies ride along on cross-site requests; SameSite=Strict stops most, and a custom
 * header (which a cross-origin page cannot set without a CORS preflight we never grant)
 * stops the rest. An Origin header, when sent, must be this server's.
 */
function checkCsrf(request: FastifyRequest, principal: Principal): void {
  if (principal.via !== "session" || ["GET", "HEAD", "OPTIONS"].includes(request.method)) return;
  if (!request.headers[CSRF_HEADER])
    throw new AuthError("csrf", `send the ${CSRF_HEADER} header with changes`);
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== request.headers.host) throw new AuthError("csrf", "cross-origin request refused");
  }
  if (origin === "null") throw new AuthError("csrf", "cross-origin request refused");
}

/** A space id as given in a path or `?space=`, `default` read as the default space's id. */
export async function resolveSpaceAlias(db: Db, given: string): Promise<string> {
  if (given !== DEFAULT_SPACE_ALIAS) return given;
  return (await findDefaultSpace(db))?.id ?? given;
}

/** `:spaceId`, else `?space=`, else the caller's only space, else the default space. */
async function spaceOf(request: FastifyRequest, principal: Principal, db: Db): Promise<string | undefined> {
  const params = request.params as Record<string, unknown> | undefined;
  if (typeof params?.spaceId === "string") return resolveSpaceAlias(db, params.spaceId);
  const query = request.query as Record<string, unknown> | undefined;
  if (typeof query?.space === "string" && query.space !== "") return resolveSpaceAlias(db, query.space);
  if (!principal.isOwner && principal.roles.size === 1) return [...principal.roles.keys()][0];
  return (await findDefaultSpace(db))?.id;
}
