import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { makeFolder } from "../make-folder.js";
import { type KeyRing, keyFromBytes, makeKeyRing, parseSecretKey } from "./crypto.js";
import { StoreError } from "./errors.js";

export interface KeySource {
  /** ORCHARD_SECRET_KEY: 32 bytes in base64 or hex. Wins over the key file. */
  secretKey?: string;
  /** Older keys still able to open values (rotation). */
  previousSecretKeys?: readonly string[];
  /** Where to keep a generated key when none is given; undefined = keep it in memory only. */
  keyFile?: string;
}

/**
 * The key ring for sealing sTokens: from the given key, else from the key file,
 * generated on first start (mode 0600, only the owner may read it).
 */
export function loadKeyRing(source: KeySource): KeyRing {
  const previous = (source.previousSecretKeys ?? []).map(parseSecretKey);
  if (source.secretKey) return makeKeyRing(parseSecretKey(source.secretKey), previous);
  if (!source.keyFile) return makeKeyRing(keyFromBytes(randomBytes(32)), previous);
  return makeKeyRing(readOrCreateKeyFile(source.keyFile), previous);
}

function readOrCreateKeyFile(path: string) {
  try {
    return keyOfFile(path);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  makeFolder(dirname(path));
  try {
    // "wx": never overwrite a key another process just wrote; losing a key loses every sToken.
    writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if (!isExisting(error)) throw error;
  }
  chmodSync(path, 0o600);
  if ((statSync(path).mode & 0o077) !== 0) {
    throw new StoreError("invalid_secret_key", `key file ${path} must be readable by its owner only`);
  }
  return keyOfFile(path);
}

/** The key a file holds; a damaged file is named, with what losing it means. */
function keyOfFile(path: string) {
  const text = readFileSync(path, "utf8");
  try {
    return parseSecretKey(text);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    throw new StoreError(
      "invalid_secret_key",
      `key file ${path} is damaged (${error.message}): restore it from a backup; without it the stored sTokens cannot be opened`,
    );
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "ENOENT";
}

function isExisting(error: unknown): boolean {
  return error instanceof Error && "code" in error && error.code === "EEXIST";
}
