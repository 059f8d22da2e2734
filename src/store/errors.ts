/**
 * Typed store errors. The API maps `code` to HTTP status in one place; messages are for
 * logs. A request for another space's row is a NotFoundError, as if the row did not
 * exist (invariant 6).
 */
export type StoreErrorCode =
  | "not_found"
  | "invalid_secret_key"
  | "secret_unreadable"
  | "invalid_request"
  | "reserved_and_prohibited"
  | "reservations_exceed_licenses"
  | "live_license_exists"
  | "invalid_transition"
  | "invalid_priority"
  | "overcommit"
  | "duplicate_name"
  | "login_taken"
  | "moved_already";

export class StoreError extends Error {
  override readonly name: string = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export type Entity =
  | "space"
  | "user"
  | "group"
  | "device"
  | "account"
  | "asset"
  | "app"
  | "license"
  | "notification"
  | "outbox";

export class NotFoundError extends StoreError {
  override readonly name = "NotFoundError";
  constructor(
    readonly entity: Entity,
    readonly id: string,
  ) {
    super("not_found", `${entity} ${id} not found`, { entity, id });
  }
}

/** PostgreSQL's SQLSTATE of an error from either driver, if it has one. */
export function sqlState(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return undefined;
}

/**
 * A deadlock or a serialization failure: the database chose this change to give way to
 * another one. Nothing of it was written, and running it again works.
 */
export function gaveWay(error: unknown): boolean {
  const state = sqlState(error);
  return state === "40P01" || state === "40001";
}

export const UNIQUE_VIOLATION = "23505";
export const FOREIGN_KEY_VIOLATION = "23503";
