/**
 * Typed store errors. The API maps `code` to HTTP status in one place; messages are for
 * logs. A request for another space's row is a NotFoundError, as if the row did not
 * exist (invariant 6).
 */
export type StoreErrorCode =
  | "not_found"
  | "invalid_secret_key"
  /** A database an older build meets after a newer one migrated it (migrate.ts). */
  | "schema_newer"
  /** An embedded database folder PGlite cannot open (open.ts). */
  | "database_unreadable"
  | "secret_unreadable"
  | "invalid_request"
  | "reserved_and_prohibited"
  | "reservations_exceed_licenses"
  | "live_license_exists"
  | "invalid_transition"
  /** A license of a book: Apple never takes it back. */
  | "not_revocable"
  | "invalid_priority"
  | "overcommit"
  | "duplicate_name"
  | "login_taken"
  | "moved_already"
  /** A device moved into a space that has another device of its serial number (move.ts). */
  | "serial_in_target_space"
  | "already_exists"
  /** Send again or abandon what Apple did not refuse (apple-refusals.repo.ts). */
  | "not_refused"
  /** An app's rules changed since the version an edit was made on (rules.repo.ts editAppRules). */
  | "rules_changed"
  /** A space's accounts were reordered since the order a reorder was made from (account.repo.ts). */
  | "accounts_reordered";

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
    /**
     * Where the request named it, when a request did (`body.userId`, `querystring.device`): an
     * id a request refers to that does not exist is that field's error, for the form that sent it.
     */
    readonly field?: string,
    /** A hint added to the message (what the caller may have meant). */
    readonly hint?: string,
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

/** The entity a referenced table holds, as NotFoundError names it. */
const REFERENCED: Record<string, Entity> = {
  users: "user",
  devices: "device",
  groups: "group",
  accounts: "account",
  assets: "app",
  spaces: "space",
  notifications: "notification",
};

/** A row an insert or update referred to that does not exist: which, by which column. */
export interface MissingReference {
  entity: Entity | undefined;
  /** The referring column (`user_id`), from the constraint. */
  column: string | undefined;
  /** The id that does not exist, when the database said it. */
  value: string | undefined;
}

/**
 * A foreign-key violation of an INSERT or UPDATE (SQLSTATE 23503 where the missing row is
 * the referenced one: "user nope does not exist"), as opposed to a DELETE of a row other
 * rows still refer to ("in use"). Both drivers give PostgreSQL's detail
 * (`Key (space_id, user_id)=(<space>, nope) is not present in table "users".`), the
 * constraint's name (`devices_space_id_user_id_fkey`) and the referring table (`devices`);
 * undefined for any other error.
 *
 * The detail is in the server's language (lc_messages), which only a superuser may set.
 * What holds in every language: the key reads `(columns)=(values)`, and the rest of the
 * detail names one table: the one missing the row (insert, update), or the referring one
 * still pointing at it (delete). English is only the fallback when the driver gives no
 * referring table.
 */
export function missingReference(error: unknown): MissingReference | undefined {
  if (sqlState(error) !== FOREIGN_KEY_VIOLATION) return undefined;
  const e = error as { detail?: unknown; message?: unknown; constraint?: unknown; table?: unknown };
  const detail = typeof e.detail === "string" ? e.detail : "";
  const message = typeof e.message === "string" ? e.message : "";
  const key = /\(([^()]*)\)=\((.*)\)/.exec(detail);
  const rest = key ? detail.replace(key[0], " ") : detail;
  const named = (table: string) => new RegExp(`(?<!\\w)${table.replace(/\W/g, "\\$&")}(?!\\w)`).test(rest);
  const missing =
    typeof e.table === "string" && detail !== ""
      ? !named(e.table)
      : /is not present in table/.test(detail) || /^insert or update on table/.test(message);
  if (!missing) return undefined;
  const columns = key?.[1]?.split(", ") ?? [];
  // Ids hold no ", ": the referring columns after space_id take the values after the space's.
  const values = key?.[2]?.split(", ") ?? [];
  const fromConstraint =
    typeof e.constraint === "string" ? /_space_id_(\w+?)_fkey$/.exec(e.constraint)?.[1] : undefined;
  const column = columns.at(-1) ?? fromConstraint;
  const table = Object.keys(REFERENCED).find(named);
  const entity =
    (table ? REFERENCED[table] : undefined) ??
    (column ? REFERENCED[`${column.replace(/_id$/, "")}s`] : undefined);
  const value =
    columns.length > 0 && values.length >= columns.length
      ? values.slice(columns.length - 1).join(", ")
      : undefined;
  return { entity, column, value };
}
