/** Apple's and the sToken parser's errors, as the SyncError codes the API and CLI map. */
import {
  AppleApiError,
  AppleBatchError,
  AppleTransportError,
  STokenError,
  TokenOwnedByOtherMdmError,
} from "../apple/index.js";
import { SyncError, type SyncErrorCode } from "./errors.js";

export function toSyncError(error: unknown, doing: string): unknown {
  if (error instanceof SyncError) return error;
  const cause = error instanceof AppleBatchError ? error.cause : error;
  const fail = (code: SyncErrorCode, message: string, details?: Record<string, unknown>) =>
    new SyncError(code, `${doing}: ${message}`, details, { cause });
  if (cause instanceof STokenError) {
    return cause.code === "expired"
      ? fail("token_expired", "the token has expired; generate a new one in Apple Business or School Manager")
      : fail("token_malformed", "this file is not an Apps and Books token (.vpptoken)");
  }
  if (cause instanceof TokenOwnedByOtherMdmError) {
    return fail(
      "token_owned_by_other_mdm",
      `the location is managed by another MDM (${cause.owner.name ?? cause.owner.id}); confirm to take it over`,
      {
        owner: cause.owner.name ?? cause.owner.id,
      },
    );
  }
  if (cause instanceof AppleApiError) {
    if (cause.kind === "auth") {
      const problem = cause.tokenProblem ?? "invalid";
      const code: SyncErrorCode =
        problem === "revoked"
          ? "token_revoked"
          : problem === "expired"
            ? "token_expired"
            : problem === "login_required"
              ? "token_login_required"
              : "token_invalid";
      return fail(code, `Apple refused the token (${cause.errorNumber ?? cause.httpStatus})`, {
        errorNumber: cause.errorNumber,
      });
    }
    if (cause.retryable)
      return fail("apple_unavailable", "Apple's service is unavailable; try again later", {
        retryAfterMs: cause.retryAfterMs,
      });
    return fail(
      "apple_refused",
      `Apple refused: ${cause.errorNumber ?? cause.httpStatus} ${cause.errorMessage ?? ""}`.trim(),
      {
        errorNumber: cause.errorNumber,
      },
    );
  }
  if (cause instanceof AppleTransportError)
    return fail("apple_unavailable", "Apple's service did not answer");
  return error;
}
