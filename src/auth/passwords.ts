import { randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";

/**
 * Administrator passwords as argon2id (OWASP's first choice: m=19 MiB, t=2, p=1).
 * https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
 */
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable as a value here */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

export const MIN_PASSWORD_LENGTH = 12;
/** argon2 takes any length; a cap keeps one request from hashing megabytes. */
export const MAX_PASSWORD_LENGTH = 1000;

/** What a new password must be, as the API reports it (GET /admins/password-rules). */
export const PASSWORD_RULES = { minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false; // an unreadable hash opens nothing
  }
}

/**
 * A hash to verify against when the login is unknown (or has no password: SSO only), so
 * every case takes the same time. Of a random password, drawn per process: none is known.
 */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(32).toString("base64url"));
  return decoy;
}
