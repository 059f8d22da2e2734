/**
 * Apple's error numbers, messages and HTTP statuses.
 * Messages: Apple's service-config `errorCodes` (test/fixtures/apple/service-config.response.json).
 * Statuses: "Handling error responses"
 * https://developer.apple.com/documentation/devicemanagement/handling-error-responses (APPLE-API.md "Error codes").
 */

/** `errorInfo` of an ErrorResponse: which subjects an error is about. */
export interface ErrorInfo {
  assets?: Array<{ adamId: string; pricingParam: string }>;
  clientUserIds?: string[];
  serialNumbers?: string[];
}

/** Apple's ErrorResponse body. */
export interface ErrorBody {
  errorNumber: number;
  errorMessage: string;
  errorInfo?: ErrorInfo;
}

export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  9601: "Login required.",
  9602: "Invalid argument.",
  9603: "Internal error.",
  9609: "Unable to find the registered user.",
  9621: "The token has expired. You need to generate a new token online using your organization's account at either school.apple.com or business.apple.com.",
  9625: "The server has revoked the sToken.",
  9634: "Service removed.",
  9646: "There are too many recent requests. Try again momentarily.",
  9650: "The provided page index must be greater than 0, and less than the total number of pages.",
  9700: "Max assets limit on request has been passed, please stay within given limit.",
  9701: "Max clientUserIds limit on request has been passed, please stay within given limit.",
  9702: "Max serialNumbers limit on request has been passed, please stay within given limit.",
  9703: "Duplicate assets found in request, please send unique assets.",
  9704: "Duplicate clientUserIds found in request, please send unique clients.",
  9705: "Duplicate serialNumbers found in request, please send unique serials.",
  9706: "Asset in request is not revocable, please send revocable assets.",
  9707: "Asset in request is not device assignable, please send device assignable assets.",
  9708: "EventId could not be found.",
  9709: "There are not enough licenses for this app or book available to assign to the selected group.",
  9710: "Both the notification URL and the authentication token are necessary.",
  9711: "Either the notification URL or the authentication token exceeds its maximum length. Change the request to stay within the specified limit.",
  9712: "The provided notification URL must be a valid URL and use HTTPS as the protocol.",
  9713: "The MDM metadata exceeds the maximum length. Change the request to stay within the specified limit.",
  9714: "The number of users exceeds the maximum. Change the request to stay within the specified limit.",
  9715: "This request contains duplicate users. Change the request to send unique users.",
  9716: "A registered user already exists with the specified clientUserId.",
  9717: "This request contains an invalid email address. Change the request to send valid email addresses.",
  9718: "This request doesn't contain an asset, which is a required argument. Change the request to provide an asset.",
  9719: "Either clientUserIds or serialNumbers are required arguments. Change the request to provide assignable users and devices.",
  9720: "Users are a required argument. Change the request to provide a user.",
  9721: "This request contains an invalid version ID. Change the request to send the version ID from the read APIs.",
  9722: "This request contains an invalid authorization header. Change the request to send an authorization header that matches the format 'Bearer {sToken}'.",
  9723: "You must provide an MDM name, ID, and metadata when setting the MDM information.",
  9724: "The MDM ID exceeds the maximum length. Change the request to stay within the specified limit.",
  9725: "The MDM name exceeds the maximum length. Change the request to stay within the specified limit.",
  9726: "This request contains an unsupported HTTP method for the requested endpoint.",
  9727: "This request contains an unsupported Content-Type for the requested endpoint.",
  9728: "The provided notification URL is unreachable.",
};

/**
 * Numbers Apple lists only in "Handling error responses" (not in service-config errorCodes);
 * the wording here is ours, from that table's descriptions. They are not advertised in
 * GET /service/config, as Apple's own list does not advertise them.
 */
const EXTRA_MESSAGES: Readonly<Record<number, string>> = {
  9623: "Invalid Apple Push Notification token.",
  9635: "Unable to associate the Apple Account with the user.",
  9637: "This request is not allowed for facilitator accounts.",
  9641: "The Apple Account is already associated with another user.",
  9644: "The service is in maintenance mode. Try again later.",
  9647: "This request is not supported for legacy tokens.",
  9729: "The service is temporarily unavailable. Try again later.",
};

const HTTP_STATUS: Readonly<Record<number, number>> = {
  9601: 401,
  9603: 500,
  9621: 401,
  9625: 401,
  9634: 410,
  9637: 403,
  9644: 503,
  9646: 429,
  9647: 403,
  9722: 401,
  9726: 405,
  9727: 415,
  9729: 503,
};

export function messageOf(errorNumber: number): string {
  return ERROR_MESSAGES[errorNumber] ?? EXTRA_MESSAGES[errorNumber] ?? "Internal error.";
}

/** HTTP status Apple uses for a synchronous error (400 unless the table says otherwise). */
export function httpStatusOf(errorNumber: number): number {
  return HTTP_STATUS[errorNumber] ?? 400;
}

export function errorBody(errorNumber: number, errorInfo?: ErrorInfo): ErrorBody {
  const body: ErrorBody = { errorNumber, errorMessage: messageOf(errorNumber) };
  if (errorInfo) body.errorInfo = errorInfo;
  return body;
}

/** A synchronous Apple error: thrown by validation, turned into an ErrorResponse by the server. */
export class AppleError extends Error {
  readonly httpStatus: number;
  constructor(
    readonly errorNumber: number,
    readonly errorInfo?: ErrorInfo,
    readonly headers: Record<string, string> = {},
    httpStatus?: number,
  ) {
    super(`Apple error ${errorNumber}: ${messageOf(errorNumber)}`);
    this.name = "AppleError";
    this.httpStatus = httpStatus ?? httpStatusOf(errorNumber);
  }

  body(): ErrorBody {
    return errorBody(this.errorNumber, this.errorInfo);
  }
}
