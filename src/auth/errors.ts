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
  ) {
    super(message);
  }
}
