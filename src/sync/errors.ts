/**
 * Errors of account operations and syncs, by code: the API maps each code to a
 * problem+json status in one place, the CLI to an exit code.
 */
export type SyncErrorCode =
  /** The file is not an sToken (base64 JSON {token, expDate, orgName}). */
  | "token_malformed"
  /** The token's expiry date has passed (NT2: generate a new one). */
  | "token_expired"
  /** Apple refused the token: revoked (9625), invalid, or sign-in required (9601). */
  | "token_revoked"
  | "token_invalid"
  | "token_login_required"
  /** AC2: the new token is of another location and "clear all previous license data" is off. */
  | "token_other_location"
  /** AC6: another MDM manages the location; retry with takeOver after confirmation. */
  | "token_owned_by_other_mdm"
  /** The location already has an account here. */
  | "duplicate_location"
  /** Apple could not be reached or asked to wait (429/5xx/maintenance). */
  | "apple_unavailable"
  /** Apple refused our client config (e.g. 9728: notification URL unreachable). */
  | "apple_refused"
  | "not_found"
  | "invalid_request"
  /** AC5: another deletion of the account is running (or stopped within the last minutes). */
  | "deletion_in_progress";

export class SyncError extends Error {
  override readonly name = "SyncError";
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
