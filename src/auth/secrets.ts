import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Session ids and API tokens: 256 random bits, stored only as sha256 (high-entropy
 * secrets need no slow hash). An API token reads `orch_<id>_<secret>`: the id finds the
 * row, the secret is compared in constant time.
 */
export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

export function newSessionId(): string {
  return randomBytes(32).toString("base64url");
}

export interface NewApiToken {
  id: string;
  /** Shown to the administrator once, never stored. */
  token: string;
  secretHash: string;
}

export function newApiToken(): NewApiToken {
  const id = `tok_${randomBytes(9).toString("base64url")}`;
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `orch_${id}_${secret}`, secretHash: sha256(secret) };
}

/** Splits `orch_<id>_<secret>`; undefined when the text is not shaped like a token. */
export function parseApiToken(text: string): { id: string; secret: string } | undefined {
  const match = /^orch_(tok_[A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/.exec(text);
  if (!match?.[1] || !match[2]) return undefined;
  return { id: match[1], secret: match[2] };
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Whether an Authorization header carries `secret` as a Bearer token (RFC 6750): Apple's
 * notificationAuthToken, METRICS_TOKEN. Compared in constant time, over SHA-256 digests so
 * that lengths leak nothing either; an empty secret matches nothing.
 */
export function carriesBearer(authorization: string | undefined, secret: string): boolean {
  if (authorization === undefined || secret === "") return false;
  const match = /^Bearer\s+(.+)$/i.exec(authorization.trim());
  return match?.[1] !== undefined && sameHash(sha256(match[1]), sha256(secret));
}
