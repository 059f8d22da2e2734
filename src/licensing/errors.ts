/** Input the engine refuses to decide over: a typed error, never a wrong grant. */
export type LicensingErrorCode =
  | "unknown_app"
  | "unknown_subject"
  | "subject_in_other_space"
  | "account_in_other_space"
  | "invalid_count"
  | "invalid_rules"
  | "invalid_threshold_input";

export class LicensingError extends Error {
  override readonly name = "LicensingError";
  constructor(
    readonly code: LicensingErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
