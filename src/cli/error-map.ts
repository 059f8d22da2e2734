import { ZodError } from "zod";
import { STokenError } from "../apple/index.js";
import { AuthError } from "../auth/errors.js";
import { ConfigError } from "../config.js";
import { LicensingError } from "../licensing/index.js";
import { DataDirInUseError } from "../store/data-dir-lock.js";
import {
  FOREIGN_KEY_VIOLATION,
  gaveWay,
  missingReference,
  NotFoundError,
  StoreError,
  sqlState,
  UNIQUE_VIOLATION,
} from "../store/errors.js";
import { SyncError, type SyncErrorCode } from "../sync/index.js";
import { CliError } from "./errors.js";
import { fileProblem } from "./files.js";

type ExitCode = CliError["exitCode"];

/** Sync codes → exit code: the user's file or input (2), absent (3), refused by Apple or a conflict (4). */
const SYNC: Record<SyncErrorCode, ExitCode> = {
  token_malformed: 2,
  token_expired: 2,
  token_revoked: 4,
  token_invalid: 4,
  token_login_required: 4,
  token_other_location: 4,
  token_owned_by_other_mdm: 4,
  duplicate_location: 4,
  apple_unavailable: 1,
  apple_refused: 4,
  not_found: 3,
  invalid_request: 2,
  deletion_in_progress: 4,
};

const HINT: Partial<Record<SyncErrorCode, string>> = {
  token_other_location: " (use --clear-previous to replace it: AC2)",
  token_owned_by_other_mdm: " (use --take-over after checking with the other MDM's owner: AC6)",
};

/**
 * The one mapping from the modules' typed errors to a one-line message and an exit code
 * (the CLI's twin of api/errors.ts). Anything unknown stays exit 1 with its message only:
 * a stack trace never reaches the user.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof DataDirInUseError) return new CliError(error.message, 4);
  if (error instanceof NotFoundError)
    return new CliError(`${error.entity} ${error.id} not found${error.hint ? `: ${error.hint}` : ""}`, 3);
  if (error instanceof StoreError) {
    // A key the configuration gives that cannot be read is the configuration's fault (exit 2).
    const usage =
      error.code === "invalid_request" ||
      error.code === "invalid_priority" ||
      error.code === "invalid_secret_key";
    return new CliError(error.message, usage || error.code.startsWith("reserv") ? 2 : 4);
  }
  if (error instanceof SyncError)
    return new CliError(`${error.message}${HINT[error.code] ?? ""}`, SYNC[error.code] ?? 1);
  if (error instanceof STokenError)
    return new CliError(`the sToken file cannot be used: ${error.message}`, 2);
  if (error instanceof LicensingError)
    return new CliError(`refused by the licensing engine: ${error.message}`, 2);
  if (error instanceof AuthError) return new CliError(error.message, 2);
  if (error instanceof ConfigError) return new CliError(error.message, 2);
  if (error instanceof ZodError) {
    const issues = error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`);
    return new CliError(`invalid input: ${issues.join("; ")}`, 2);
  }
  const named = error as { name?: unknown; message?: unknown } | null;
  if (named?.name === "AppleApiError" || named?.name === "AppleTransportError")
    return new CliError(`Apple's service did not accept the request: ${String(named.message)}`, 4);
  const cause = (error as { cause?: unknown } | null)?.cause;
  const system = systemError(error) ?? systemError(cause) ?? databaseRefusal(error) ?? databaseRefusal(cause);
  if (system) return system;
  const state = sqlState(error);
  if (state === UNIQUE_VIOLATION) return new CliError("it already exists", 4);
  const missing = missingReference(error);
  if (missing)
    return new CliError(
      missing.value === undefined
        ? `a ${missing.entity ?? "record"} it refers to does not exist`
        : `${missing.entity ?? "record"} ${missing.value} not found`,
      3,
    );
  if (state === FOREIGN_KEY_VIOLATION) return new CliError("other records still refer to it", 4);
  if (gaveWay(error))
    return new CliError(
      "another change to the same records ran at the same time: nothing was changed, run the command again",
      1,
    );
  const message = error instanceof Error ? messageChain(error) : String(error);
  return new CliError(`unexpected error: ${message}`, 1);
}

interface SocketError {
  code?: unknown;
  address?: unknown;
  port?: unknown;
  hostname?: unknown;
  errors?: unknown;
  syscall?: unknown;
  path?: unknown;
}

/**
 * A socket that could not listen or connect (a port taken, a database or Apple not
 * answering), or a file that could not be used: where, and what to check. Node's AggregateError (every address of a host
 * refused) has no message of its own: its first error says where.
 */
function systemError(error: unknown): CliError | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const e = error as SocketError;
  const first = (Array.isArray(e.errors) ? e.errors[0] : undefined) as SocketError | undefined;
  const at = first ?? e;
  const where =
    typeof at.address === "string"
      ? `${at.address}${at.port !== undefined ? `:${String(at.port)}` : ""}`
      : String(at.hostname ?? "the address");
  switch (e.code) {
    case "EADDRINUSE":
      return new CliError(
        `${where} is already in use: stop what listens there, or choose another port (PORT, --port)`,
        1,
      );
    case "EADDRNOTAVAIL":
      return new CliError(`${where} is not an address of this machine: check HOST or --host`, 1);
    case "ECONNREFUSED":
      return new CliError(
        `nothing answers at ${where}: check that the database (DATABASE_URL) or Apple's service (APPLE_BASE_URL) runs there`,
        1,
      );
    case "ENOTFOUND":
      return new CliError(
        `the host ${where} is unknown: check DATABASE_URL, APPLE_BASE_URL, or the address to listen on (HOST, --host)`,
        1,
      );
    default:
      // A file Orchard needs (the data folder's key, PGlite's files): which, and why, in words.
      if (typeof e.path !== "string" || typeof e.syscall !== "string") return undefined;
      if (e.syscall === "mkdir")
        return new CliError(`cannot create the folder ${e.path}: ${mkdirProblem(e)}`, 1);
      return new CliError(`cannot ${e.syscall} ${e.path}: ${fileProblem(e)}`, 1);
  }
}

/** Why a folder could not be made: ENOENT there is a file system that takes no folders (/proc). */
const mkdirProblem = (error: SocketError) =>
  error.code === "ENOENT" ? "this file system does not take new folders there" : fileProblem(error);

/**
 * PostgreSQL answered but would not let Orchard in (a wrong user or password, no such
 * database) or asked for a password DATABASE_URL lacks: configuration to fix (exit 2), not
 * an accident to run again. PostgreSQL's words name the user or database, never the password.
 */
function databaseRefusal(error: unknown): CliError | undefined {
  const state = sqlState(error);
  const words = error instanceof Error ? error.message : "";
  if (state?.startsWith("28") || state === "3D000")
    return new CliError(`the database refused the connection: ${words} (check DATABASE_URL)`, 2);
  if (/client password must be a string/.test(words))
    return new CliError(
      "the database asks for a password and none is given: put it in DATABASE_URL (postgres://user:password@host/db) or PGPASSWORD",
      2,
    );
  return undefined;
}

/** "migrating the database: <cause>": wrapped errors say what was being done and why it failed. */
function messageChain(error: Error): string {
  const cause = error.cause;
  return cause instanceof Error ? `${error.message}: ${messageChain(cause)}` : error.message;
}
