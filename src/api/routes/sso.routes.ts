import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { openSession } from "../../auth/auth.service.js";
import { AuthError } from "../../auth/errors.js";
import { SSO_FLOW_TTL_MS, SsoError } from "../../auth/sso.js";
import { administratorSignedIn } from "../../auth/sso-sign-in.js";
import { type Api, type ApiContext, can } from "../context.js";
import { ApiError, problemResponses } from "../problem.js";
import { secureCookie, setSessionCookie } from "./auth.routes.js";

/** The flow's cookie: sent back only to the callback, and only for a sign-in's length. */
const FLOW_COOKIE = "orchard_sso";
const FLOW_PATH = "/api/v1/auth/sso";
/** Where the console was going when it asked to sign in (an e-mail's link), beside the flow. */
const NEXT_COOKIE = "orchard_sso_next";

/**
 * A page of the console to go back to after signing in: a path under /s/ on this server, with
 * its query, and nothing that could lead elsewhere (no scheme, no //, no backslash).
 */
export function consolePage(next: unknown): string | undefined {
  return typeof next === "string" &&
    next.length <= MAX_PAGE &&
    /^\/s\/[\w-]+(\/[\w\-/]*)?(\?[\w\-=&%.]*)?$/.test(next) &&
    !next.includes("//")
    ? next
    : undefined;
}
const MAX_PAGE = 2000;

/**
 * How the console signs in (`GET auth/methods`), and single sign-on with OpenID Connect
 * (src/auth/sso.ts): `auth/sso/start` sends the browser to the provider, which sends it
 * back to `auth/sso/callback`; there the session starts and the browser goes to the
 * console, or to its sign-in page with `?sso_error=<why>`. Both are browser navigations,
 * not JSON calls.
 */
export function registerSsoRoutes(app: Api, ctx: ApiContext): void {
  const { db, now } = ctx.deps;
  const sso = ctx.sso;
  const ssoOn = () => {
    if (!sso)
      throw new ApiError(
        404,
        "sso_off",
        "Single sign-on is off: set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET",
      );
    return sso;
  };
  // Behind a proxy that ends TLS the request looks like http: the callback's URL says better.
  const cookies = { secureCookies: ctx.secureCookies || sso?.overHttps === true };

  app.get(
    "/auth/methods",
    {
      config: can.public,
      schema: {
        tags: ["auth"],
        summary: "How the console signs in: with a password, with single sign-on (OpenID Connect), or both",
        response: { 200: z.object({ password: z.boolean(), sso: z.boolean() }), ...problemResponses },
      },
    },
    async () => ({ password: ctx.passwordLogin !== false, sso: sso !== undefined }),
  );

  app.get(
    "/auth/sso/start",
    {
      config: { ...can.public, rateLimit: { max: 60, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary: "Single sign-on: redirects the browser to the identity provider (OIDC_ISSUER)",
        querystring: z.object({
          next: z
            .string()
            .optional()
            .describe("the console's page to open once signed in (a path under /s/); any other is ignored"),
        }),
        response: { 302: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const client = ssoOn();
      let started: { url: string; flow: string };
      try {
        started = await client.start(now());
      } catch (error) {
        return backToSignIn(request, reply, error, "single sign-on could not start");
      }
      // SameSite=Lax: the provider's redirect back is a top-level navigation from its site.
      reply.setCookie(FLOW_COOKIE, started.flow, {
        httpOnly: true,
        sameSite: "lax",
        secure: secureCookie(cookies, request),
        path: FLOW_PATH,
        maxAge: Math.floor(SSO_FLOW_TTL_MS / 1000),
      });
      const next = consolePage(request.query.next);
      if (next)
        reply.setCookie(NEXT_COOKIE, next, {
          httpOnly: true,
          sameSite: "lax",
          secure: secureCookie(cookies, request),
          path: FLOW_PATH,
          maxAge: Math.floor(SSO_FLOW_TTL_MS / 1000),
        });
      else reply.clearCookie(NEXT_COOKIE, { path: FLOW_PATH });
      return reply.redirect(started.url, 302);
    },
  );

  app.get(
    "/auth/sso/callback",
    {
      config: { ...can.public, rateLimit: { max: 60, timeWindow: "1 minute" } },
      schema: {
        tags: ["auth"],
        summary:
          "Single sign-on: where the identity provider sends the browser back; starts the session and redirects to the console",
        // The provider's parameters, read by openid-client: those of OpenID Connect, and any
        // other a provider adds (a loose object, which the strict query check leaves so).
        querystring: z.looseObject({
          code: z.string().optional().describe("the authorization code (a sign-in that succeeded)"),
          state: z.string().optional().describe("the state Orchard sent, sent back"),
          iss: z.string().optional().describe("the provider (RFC 9207)"),
          session_state: z.string().optional(),
          error: z.string().optional().describe("why the provider refused the sign-in (access_denied…)"),
          error_description: z.string().optional(),
        }),
        response: { 302: z.undefined(), ...problemResponses },
      },
    },
    async (request, reply) => {
      const client = ssoOn();
      const flow = request.cookies[FLOW_COOKIE];
      const next = consolePage(request.cookies[NEXT_COOKIE]) ?? "/";
      reply.clearCookie(FLOW_COOKIE, { path: FLOW_PATH });
      reply.clearCookie(NEXT_COOKIE, { path: FLOW_PATH });
      const query = request.url.includes("?") ? request.url.slice(request.url.indexOf("?")) : "";
      try {
        const identity = await client.finish(query, flow, now());
        const admin = await administratorSignedIn(db, {
          identity,
          groupRoles: client.groupRoles,
          now: now(),
          log: request.log,
        });
        const session = await openSession(db, admin, now(), identity.idToken);
        setSessionCookie(cookies, request, reply, session.sessionId);
        request.log.info({ adminId: admin.id }, "signed in with single sign-on");
        return reply.redirect(next, 302);
      } catch (error) {
        return backToSignIn(request, reply, error, "single sign-on refused", next);
      }
    },
  );
}

/**
 * The browser back to the sign-in page, which says why (`sso_error`). These are browser
 * navigations, not JSON calls: Orchard's own failure (`server_error`, logged as an error) too.
 */
function backToSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  what: string,
  /** The console's page the sign-in was for: kept for the next attempt. */
  next = "/",
) {
  if (error instanceof SsoError) request.log.warn({ failure: error.failure, reason: error.message }, what);
  else request.log.error({ err: error }, what);
  // Disabled or removed between the check and the session (openSession): as if disabled before.
  const failure =
    error instanceof SsoError
      ? error.failure
      : error instanceof AuthError && error.code === "invalid_credentials"
        ? "no_administrator"
        : "server_error";
  const back = next === "/" ? "" : `&next=${encodeURIComponent(next)}`;
  return reply.redirect(`/login?sso_error=${failure}${back}`, 302);
}
