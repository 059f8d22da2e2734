/**
 * Single sign-on to the console with OpenID Connect (authorization code flow with PKCE,
 * state and nonce; openid-client). The identity provider says who the person is; Orchard
 * says what they may do: the claim OIDC_LOGIN_CLAIM (default `email`) must name an
 * administrator created in Orchard, whose roles apply; or, with OIDC_GROUP_ROLES, the groups
 * the provider lists create the administrator and set their roles (sso-roles.ts).
 *
 * The flow's secrets (state, nonce, PKCE verifier) travel in a short-lived cookie of the
 * browser that started it, so any server process can finish it.
 */
import * as oidc from "openid-client";
import { adminEmailAddress } from "./email-address.js";
import { type GroupRole, groupsOfClaim } from "./sso-roles.js";

export interface SsoSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `<PUBLIC_BASE_URL>/api/v1/auth/sso/callback`, registered at the provider. */
  redirectUri: string;
  /** The ID token claim naming the administrator's login. */
  loginClaim: string;
  /** Asked of the provider (OIDC_SCOPES); default `openid email profile`. */
  scopes?: readonly string[];
  /** The claim listing the person's groups (OIDC_GROUPS_CLAIM), read with `groupRoles`. */
  groupsClaim?: string;
  /** OIDC_GROUP_ROLES: roles from groups; unset, administrators are created in Orchard. */
  groupRoles?: readonly GroupRole[];
  /**
   * OIDC_POST_LOGOUT_REDIRECT_URI: where the provider sends the browser after its own sign-out.
   * Set, signing out of the console signs out of the provider too (RP-Initiated Logout).
   */
  postLogoutRedirectUri?: string;
}

/**
 * Why a sign-in did not finish; the console words each (`/login?sso_error=<code>`), and
 * `server_error` (Orchard's own failure: sso.routes.ts).
 */
export type SsoFailure =
  | "expired" // no flow in progress in this browser (cookie gone, or 10 minutes passed)
  | "refused" // the provider answered an error (the person cancelled, or is not allowed)
  | "provider_unreachable"
  | "invalid_response" // state, nonce, signature or code refused
  | "claim_missing"
  | "email_unverified"
  | "no_administrator"
  | "another_account" // the login is linked to another account of the provider (0041)
  | "no_role"; // OIDC_GROUP_ROLES: none of the person's groups gives a role any more

export class SsoError extends Error {
  override readonly name = "SsoError";
  constructor(
    readonly failure: SsoFailure,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_SCOPES = ["openid", "email", "profile"];

/** How long a sign-in may take at the provider. */
export const SSO_FLOW_TTL_MS = 10 * 60_000;

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  startedAt: number;
}

export interface SsoClient {
  /** The callback is https: the browser reaches Orchard over TLS (a proxy may end it), cookies are Secure. */
  readonly overHttps: boolean;
  /** OIDC_GROUP_ROLES, when roles come from the provider's groups. */
  readonly groupRoles?: readonly GroupRole[] | undefined;
  /** Where to send the browser, and the flow's cookie value. */
  start(now: Date): Promise<{ url: string; flow: string }>;
  /**
   * Who the provider vouches for, from the callback URL and the flow's cookie: the claim
   * naming the administrator's login, and the account's `subject` ("<issuer> <sub>", never
   * reassigned), which the administrator stays linked to.
   */
  finish(callbackQuery: string, flow: string | undefined, now: Date): Promise<SsoIdentity>;
  /**
   * Where to send the browser to end the provider's session too, for a session a sign-in
   * with this ID token opened; undefined when that is off (no OIDC_POST_LOGOUT_REDIRECT_URI)
   * or the provider offers no logout (no end_session_endpoint).
   */
  logoutUrl(idToken: string): Promise<string | undefined>;
}

/** Who signed in, as the provider says. */
export interface SsoIdentity {
  login: string;
  subject: string;
  /** The `name` claim, for an administrator created at sign-in. */
  name?: string | undefined;
  /** NT3: the `email` claim, unless the provider says it is unverified: where notification e-mails reach them. */
  email?: string | undefined;
  /** The groups claim (OIDC_GROUPS_CLAIM), read only with OIDC_GROUP_ROLES. */
  groups: string[];
  /** The provider left the groups out for their number (Entra ID's `_claim_names` overage). */
  groupsOverage?: boolean;
  /** The ID token, kept with the session for the provider's logout (`id_token_hint`). */
  idToken?: string | undefined;
}

export function createSsoClient(settings: SsoSettings): SsoClient {
  let discovered: Promise<oidc.Configuration> | undefined;
  // Found once, on first use (not at start: an unreachable provider must not stop Orchard);
  // a failure is tried again at the next sign-in.
  const configuration = () => {
    discovered ??= discover(settings).catch((error: unknown) => {
      discovered = undefined;
      throw new SsoError("provider_unreachable", `the identity provider did not answer: ${messageOf(error)}`);
    });
    return discovered;
  };
  return {
    overHttps: new URL(settings.redirectUri).protocol === "https:",
    groupRoles: settings.groupRoles,
    async start(now) {
      const config = await configuration();
      const flow: Flow = {
        state: oidc.randomState(),
        nonce: oidc.randomNonce(),
        verifier: oidc.randomPKCECodeVerifier(),
        startedAt: now.getTime(),
      };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: (settings.scopes ?? DEFAULT_SCOPES).join(" "),
        response_type: "code",
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: "S256",
      });
      return { url: url.href, flow: Buffer.from(JSON.stringify(flow)).toString("base64url") };
    },
    async logoutUrl(idToken) {
      if (!settings.postLogoutRedirectUri) return undefined;
      const config = await configuration();
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return oidc.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: settings.postLogoutRedirectUri,
      }).href;
    },
    async finish(callbackQuery, cookie, now) {
      const groupsClaim = settings.groupRoles ? (settings.groupsClaim ?? "groups") : undefined;
      const flow = readFlow(cookie, now);
      const config = await configuration();
      const callback = new URL(settings.redirectUri);
      callback.search = callbackQuery;
      const providerError = callback.searchParams.get("error");
      if (providerError !== null) {
        const description = callback.searchParams.get("error_description");
        throw new SsoError(
          "refused",
          `the identity provider answered ${providerError}${description ? `: ${description}` : ""}`,
        );
      }
      let claims: Record<string, unknown>;
      let subject: string;
      let idTokenText: string | undefined;
      try {
        const tokens = await oidc.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const idToken = tokens.claims();
        if (!idToken) throw new Error("no ID token");
        claims = idToken;
        subject = `${idToken.iss} ${idToken.sub}`;
        idTokenText = tokens.id_token;
        // Providers that keep scope claims out of the ID token give them at UserInfo.
        if (
          claims[settings.loginClaim] === undefined ||
          (groupsClaim && claimAt(claims, groupsClaim) === undefined)
        )
          claims = { ...(await oidc.fetchUserInfo(config, tokens.access_token, idToken.sub)), ...claims };
      } catch (error) {
        throw new SsoError(
          "invalid_response",
          `the identity provider's answer was refused: ${messageOf(error)}`,
        );
      }
      const value = claims[settings.loginClaim];
      if (typeof value !== "string" || value === "")
        throw new SsoError("claim_missing", `the identity provider gives no ${settings.loginClaim} claim`);
      // An address the provider did not verify could be anyone's.
      if (settings.loginClaim === "email" && claims.email_verified !== true)
        throw new SsoError("email_unverified", `the identity provider has not verified ${value}`);
      return {
        login: value,
        subject,
        name: typeof claims.name === "string" && claims.name !== "" ? claims.name : undefined,
        email: emailOfClaims(claims),
        groups: groupsClaim ? groupsOfClaim(claimAt(claims, groupsClaim)) : [],
        ...(settings.postLogoutRedirectUri ? { idToken: idTokenText } : {}),
        ...(groupsClaim &&
        claimAt(claims, groupsClaim) === undefined &&
        isObject(claims._claim_names) &&
        groupsClaim in claims._claim_names
          ? { groupsOverage: true }
          : {}),
      };
    },
  };
}

async function discover(settings: SsoSettings): Promise<oidc.Configuration> {
  const issuer = new URL(settings.issuer);
  // Plain HTTP only to a provider on this machine (config.ts refuses it elsewhere).
  const local = issuer.protocol === "http:";
  return oidc.discovery(
    issuer,
    settings.clientId,
    undefined,
    oidc.ClientSecretBasic(settings.clientSecret),
    local ? { execute: [oidc.allowInsecureRequests], timeout: 10 } : { timeout: 10 },
  );
}

function readFlow(cookie: string | undefined, now: Date): Flow {
  if (!cookie) throw new SsoError("expired", "no sign-in was started in this browser, or it ended");
  let flow: Partial<Flow> | undefined;
  try {
    flow = JSON.parse(Buffer.from(cookie, "base64url").toString("utf8")) as Partial<Flow>;
  } catch {
    flow = undefined;
  }
  if (
    typeof flow?.state !== "string" ||
    typeof flow.nonce !== "string" ||
    typeof flow.verifier !== "string" ||
    typeof flow.startedAt !== "number"
  )
    throw new SsoError("expired", "the sign-in's cookie cannot be read");
  if (now.getTime() - flow.startedAt > SSO_FLOW_TTL_MS)
    throw new SsoError("expired", "the sign-in took more than 10 minutes");
  return flow as Flow;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null;

/**
 * A claim by name, or by a dotted path into nested claims when no claim has that name:
 * Keycloak's realm roles are `realm_access.roles`, while Auth0's namespaced claims are URLs
 * with dots in their one name (`https://example.org/groups`).
 */
export function claimAt(claims: Record<string, unknown>, name: string): unknown {
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split(".")) {
    if (!isObject(value)) return undefined;
    value = value[part];
  }
  return value;
}

/**
 * NT3: the `email` claim as an administrator's address for notification e-mails: an e-mail
 * address the provider does not say it left unverified (`email_verified` false, or "false"
 * as some providers send it); a provider that says nothing of it is taken at its word.
 */
export function emailOfClaims(claims: Record<string, unknown>): string | undefined {
  const { email, email_verified: verified } = claims;
  if (verified === false || verified === "false") return undefined;
  return typeof email === "string" && adminEmailAddress.safeParse(email).success ? email : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
