/** Authentication failures the API maps to 401/403/400 in one place (api/errors.ts). */
export type AuthErrorCode =
  | "unauthenticated"
  | "api_token_expired"
  | "invalid_credentials"
  | "weak_password"
  | "email_needed"
  | "grant_exceeds_own_role"
  | "csrf"
  | "forbidden";

export class AuthError extends Error {
  override readonly name = "AuthError";
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    /**
     * RFC 6750 §3.1, for a refused `Authorization: Bearer`: `invalid_token` (unknown, revoked,
     * expired) or `invalid_request` (not a bearer token at all), said in WWW-Authenticate.
     */
    readonly bearerError?: "invalid_token" | "invalid_request",
  ) {
    super(message);
  }
}
