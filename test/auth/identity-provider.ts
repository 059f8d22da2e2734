import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import Provider from "oidc-provider";

/** What the provider says of a person it signs in, by the login typed on its page. */
export interface ProviderPerson {
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** The `groups` claim (scope `groups`), as Okta or Keycloak list them. */
  groups?: string[];
}

export interface IdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (panva's oidc-provider, certified) on a loopback port, for
 * single sign-on tests: one confidential client whose redirect URI is Orchard's callback,
 * PKCE required, and its development pages to sign in (any login and password) and consent.
 * A login not in `people` is a person whose verified address is that login. Scope claims
 * stay out of the ID token (the provider's default): Orchard reads them at UserInfo.
 */
export async function startIdentityProvider(input: {
  redirectUri: string;
  /** Where its sign-out (RP-Initiated Logout) may send the browser back. */
  postLogoutRedirectUri?: string;
  people?: Record<string, ProviderPerson>;
}): Promise<IdentityProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = "orchard-console";
  const clientSecret = "a-client-secret-for-tests-only-0123456789";
  const people = input.people ?? {};
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [input.redirectUri],
        ...(input.postLogoutRedirectUri ? { post_logout_redirect_uris: [input.postLogoutRedirectUri] } : {}),
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    findAccount: async (_ctx, id) => ({
      accountId: id,
      claims: async () => ({ sub: id, ...(people[id] ?? { email: id, email_verified: true }) }),
    }),
    pkce: { required: () => true },
    cookies: { keys: ["identity-provider-test-cookie-key"] },
    features: { devInteractions: { enabled: true } },
  });
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
