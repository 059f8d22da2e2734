/**
 * Apple's errors, typed by `errorNumber` (never by message: the same number has different
 * messages on different Apple pages).
 * https://developer.apple.com/documentation/devicemanagement/handling-error-responses
 * https://developer.apple.com/documentation/devicemanagement/service-config (errorCodes)
 */
import type { ErrorInfo, MdmInfo } from "./wire.js";

export type AppleErrorKind =
  /** The sToken is unusable: never retried; becomes an NT2 notification. */
  | "auth"
  /** 9646 / HTTP 429: too many requests. */
  | "throttled"
  /** 5xx, 9603, 9729, 9644 (maintenance): try again later. */
  | "unavailable"
  /** The request broke a documented rule (limits, duplicates, validation, bad page or version). */
  | "invalid_request"
  /** 9708 unknown eventId, 9609 unknown user. */
  | "not_found"
  /** 9637, 9647: this token may not do that. */
  | "forbidden"
  /** 9709: not enough licenses. */
  | "insufficient_licenses"
  /** 9716, 9641, 9635: the user or Apple Account is in a conflicting state. */
  | "conflict"
  /** 9634: service removed. */
  | "gone"
  | "unknown";

export type TokenProblem = "invalid" | "expired" | "revoked" | "login_required";

/** The error numbers the client treats specially (APPLE-API.md "Error codes"). */
export const AppleErrorNumber = {
  loginRequired: 9601,
  invalidArgument: 9602,
  internalError: 9603,
  userNotFound: 9609,
  tokenExpired: 9621,
  tokenRevoked: 9625,
  serviceRemoved: 9634,
  cannotAssociateAppleAccount: 9635,
  facilitatorNotAllowed: 9637,
  appleAccountAlreadyAssociated: 9641,
  maintenance: 9644,
  tooManyRequests: 9646,
  legacyTokenNotSupported: 9647,
  invalidPageIndex: 9650,
  tooManyAssets: 9700,
  tooManyClientUserIds: 9701,
  tooManySerialNumbers: 9702,
  eventNotFound: 9708,
  notEnoughLicenses: 9709,
  tooManyUsers: 9714,
  userAlreadyRegistered: 9716,
  invalidVersionId: 9721,
  badAuthorizationHeader: 9722,
  notificationUrlUnreachable: 9728,
  serviceUnavailable: 9729,
} as const;

const N = AppleErrorNumber;

const AUTH: Record<number, TokenProblem> = {
  [N.loginRequired]: "login_required",
  [N.tokenExpired]: "expired",
  [N.tokenRevoked]: "revoked",
  [N.badAuthorizationHeader]: "invalid",
};

/** Kind of an Apple error, from its errorNumber first and its HTTP status second. */
export function classifyAppleError(
  errorNumber: number | undefined,
  httpStatus: number,
): { kind: AppleErrorKind; tokenProblem?: TokenProblem } {
  if (errorNumber !== undefined) {
    const tokenProblem = AUTH[errorNumber];
    if (tokenProblem !== undefined) return { kind: "auth", tokenProblem };
    switch (errorNumber) {
      case N.tooManyRequests:
        return { kind: "throttled" };
      case N.internalError:
      case N.maintenance:
      case N.serviceUnavailable:
        return { kind: "unavailable" };
      case N.eventNotFound:
      case N.userNotFound:
        return { kind: "not_found" };
      case N.facilitatorNotAllowed:
      case N.legacyTokenNotSupported:
        return { kind: "forbidden" };
      case N.notEnoughLicenses:
        return { kind: "insufficient_licenses" };
      case N.userAlreadyRegistered:
      case N.appleAccountAlreadyAssociated:
      case N.cannotAssociateAppleAccount:
        return { kind: "conflict" };
      case N.serviceRemoved:
        return { kind: "gone" };
    }
    if (errorNumber === N.invalidArgument || errorNumber === 9623 || errorNumber === N.invalidPageIndex) {
      return { kind: "invalid_request" };
    }
    if (errorNumber >= 9700 && errorNumber <= 9728) return { kind: "invalid_request" };
    if (errorNumber >= 9811 && errorNumber <= 9818) return { kind: "invalid_request" };
  }
  // No (known) errorNumber: fall back on the HTTP status.
  if (httpStatus === 401) return { kind: "auth", tokenProblem: "invalid" };
  if (httpStatus === 429) return { kind: "throttled" };
  if (httpStatus >= 500) return { kind: "unavailable" };
  if (httpStatus === 403) return { kind: "forbidden" };
  if (httpStatus === 404) return { kind: "not_found" };
  if (httpStatus === 410) return { kind: "gone" };
  if (httpStatus >= 400) return { kind: "invalid_request" };
  return { kind: "unknown" };
}

/** Kinds worth calling again later (with backoff, honouring Retry-After). */
export function isRetryableKind(kind: AppleErrorKind): boolean {
  return kind === "throttled" || kind === "unavailable";
}

export interface AppleApiErrorInit {
  errorNumber: number | undefined;
  errorMessage?: string | undefined;
  errorInfo?: ErrorInfo | undefined;
  httpStatus: number;
  retryAfterMs?: number | undefined;
  method: string;
  path: string;
  attempts: number;
  /** True when the client refused to call (Retry-After still running) without reaching Apple. */
  local?: boolean;
}

/** An error answer from Apple (or an equivalent HTTP status without a body). */
export class AppleApiError extends Error {
  override readonly name = "AppleApiError";
  readonly errorNumber: number | undefined;
  readonly errorMessage: string | undefined;
  readonly errorInfo: ErrorInfo | undefined;
  readonly httpStatus: number;
  readonly kind: AppleErrorKind;
  readonly tokenProblem: TokenProblem | undefined;
  /** How long Apple asked us to wait (Retry-After), in milliseconds. */
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  readonly method: string;
  readonly path: string;
  readonly attempts: number;
  readonly local: boolean;

  constructor(init: AppleApiErrorInit) {
    const { kind, tokenProblem } = classifyAppleError(init.errorNumber, init.httpStatus);
    super(
      `Apple ${init.method} ${init.path} failed: ${init.errorNumber ?? "no errorNumber"} (HTTP ${init.httpStatus}, ${kind}` +
        `${tokenProblem ? `/${tokenProblem}` : ""}) after ${init.attempts} attempt(s)` +
        `${init.errorMessage ? `: ${init.errorMessage}` : ""}`,
    );
    this.errorNumber = init.errorNumber;
    this.errorMessage = init.errorMessage;
    this.errorInfo = init.errorInfo;
    this.httpStatus = init.httpStatus;
    this.kind = kind;
    this.tokenProblem = tokenProblem;
    this.retryAfterMs = init.retryAfterMs;
    this.retryable = isRetryableKind(kind);
    this.method = init.method;
    this.path = init.path;
    this.attempts = init.attempts;
    this.local = init.local ?? false;
  }
}

/** The request never got an HTTP answer (connection refused, reset, timeout). */
export class AppleTransportError extends Error {
  override readonly name = "AppleTransportError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`Apple ${method} ${path}: no response after ${attempts} attempt(s)`, { cause });
  }
}

/** Its reader stopped waiting (a page read ahead): no further attempt is made, nothing is reported. */
export class AppleRequestAbandoned extends Error {
  override readonly name = "AppleRequestAbandoned";
  constructor(
    readonly method: string,
    readonly path: string,
  ) {
    super(`Apple ${method} ${path}: abandoned by its reader`);
  }
}

/** Apple answered 2xx with a body that does not match the documented shape. */
export class AppleProtocolError extends Error {
  override readonly name = "AppleProtocolError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly problem: string,
  ) {
    super(`Apple ${method} ${path}: unexpected response: ${problem}`);
  }
}

/**
 * The location's client config names another MDM (AC6). Apple has no error number for this:
 * it is detected by comparing `mdmInfo`. Taking the token over is the explicit `takeOverToken`.
 * https://developer.apple.com/documentation/devicemanagement/client-config-4szk1
 */
export class TokenOwnedByOtherMdmError extends Error {
  override readonly name = "TokenOwnedByOtherMdmError";
  constructor(
    readonly owner: MdmInfo | { id: string; name?: string | undefined; metadata?: string | undefined },
    readonly uId: string | undefined,
  ) {
    super(`this location is managed by another MDM: ${owner.name ?? owner.id}`);
  }
}

/** A batched operation stopped part-way: what was sent (with eventIds) and what was not. */
export class AppleBatchError<TBatch, TDone> extends Error {
  override readonly name = "AppleBatchError";
  constructor(
    readonly completed: TDone[],
    readonly failedBatch: TBatch,
    readonly notSent: TBatch[],
    cause: unknown,
  ) {
    super(
      `batched Apple call stopped after ${completed.length} batch(es); ${notSent.length + 1} not accepted`,
      { cause },
    );
  }
}
