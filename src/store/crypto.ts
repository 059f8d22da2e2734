import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { StoreError } from "./errors.js";

/**
 * Secrets at rest (invariant 5): AES-256-GCM, a fresh 12-byte IV per value, the auth tag
 * stored with it. The envelope names the key that sealed it, so keys can rotate: the
 * current key seals, any known key opens.
 *
 * Envelope: `v1:<keyId>:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
const VERSION = "v1";
const IV_BYTES = 12;

export interface SecretKey {
  /** First 16 hex digits of SHA-256 of the key: names the key without revealing it. */
  readonly id: string;
  readonly bytes: Buffer;
}

export interface KeyRing {
  /** Seals new values. */
  readonly current: SecretKey;
  /** Opens values sealed by any of these (the current one included). */
  readonly all: ReadonlyMap<string, SecretKey>;
}

/** Whether `text` is a key parseSecretKey takes. */
export function isSecretKey(text: string): boolean {
  try {
    parseSecretKey(text);
    return true;
  } catch {
    return false;
  }
}

/** A key from 32 bytes given as base64 or hex (ORCHARD_SECRET_KEY). */
export function parseSecretKey(text: string): SecretKey {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed, "base64");
  if (bytes.length !== 32) {
    throw new StoreError("invalid_secret_key", "the secret key must be 32 bytes, in base64 or hex");
  }
  return keyFromBytes(bytes);
}

export function keyFromBytes(bytes: Buffer): SecretKey {
  return { id: createHash("sha256").update(bytes).digest("hex").slice(0, 16), bytes };
}

export function makeKeyRing(current: SecretKey, previous: readonly SecretKey[] = []): KeyRing {
  const all = new Map<string, SecretKey>();
  for (const key of [current, ...previous]) all.set(key.id, key);
  return { current, all };
}

export function encryptSecret(plain: string, keys: KeyRing): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keys.current.bytes, iv);
  const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [
    VERSION,
    keys.current.id,
    iv.toString("base64"),
    tag.toString("base64"),
    body.toString("base64"),
  ].join(":");
}

export function decryptSecret(envelope: string, keys: KeyRing): string {
  const [version, keyId, iv, tag, body, extra] = envelope.split(":");
  if (version !== VERSION || !keyId || !iv || !tag || body === undefined || extra !== undefined) {
    throw new StoreError("secret_unreadable", "not a sealed secret");
  }
  const key = keys.all.get(keyId);
  if (!key)
    throw new StoreError(
      "secret_unreadable",
      `sealed with unknown key ${keyId}: the sTokens were stored under another ORCHARD_SECRET_KEY or secret.key; use that key again, or upload the tokens again`,
    );
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.bytes, Buffer.from(iv, "base64"));
    decipher.setAuthTag(Buffer.from(tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64")), decipher.final()]).toString("utf8");
  } catch (cause) {
    // GCM refuses a wrong key or a tampered value alike: say so without detail.
    throw new StoreError("secret_unreadable", "the secret cannot be opened with this key", undefined, {
      cause,
    });
  }
}

/** True when the value was sealed by an older key and should be sealed again. */
export function needsReseal(envelope: string, keys: KeyRing): boolean {
  return envelope.split(":")[1] !== keys.current.id;
}
