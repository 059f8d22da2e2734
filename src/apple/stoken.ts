/**
 * The sToken (a location's ".vpptoken" file): base64 of JSON {token, expDate, orgName},
 * sent as `Authorization: Bearer <sToken>`.
 * https://developer.apple.com/documentation/devicemanagement/getting-started-with-the-management-api
 *
 * The token value is a secret: it is held in a private field, never appears in an error
 * message, in JSON.stringify or in util.inspect output.
 */
import { inspect } from "node:util";
import { sTokenPayload } from "./wire.js";

export type STokenErrorCode = "malformed" | "expired";

export class STokenError extends Error {
  override readonly name = "STokenError";
  constructor(
    readonly code: STokenErrorCode,
    message: string,
    readonly details?: { orgName?: string; expDate?: string },
  ) {
    super(message);
  }
}

export class SToken {
  readonly #value: string;
  readonly #token: string;
  readonly orgName: string;
  /** As written in the file, e.g. "2030-11-08T22:33:22+0000". */
  readonly expDate: string;
  readonly expiresAt: Date;

  constructor(value: string, token: string, orgName: string, expDate: string, expiresAt: Date) {
    this.#value = value;
    this.#token = token;
    this.orgName = orgName;
    this.expDate = expDate;
    this.expiresAt = expiresAt;
  }

  /** The base64 text to send as the Bearer credential. Never log it. */
  value(): string {
    return this.#value;
  }

  /** The decoded file content, including the inner secret `token`. Never log it. */
  decoded(): { token: string; expDate: string; orgName: string } {
    return { token: this.#token, expDate: this.expDate, orgName: this.orgName };
  }

  isExpired(now: Date): boolean {
    return this.expiresAt.getTime() <= now.getTime();
  }

  toJSON(): { orgName: string; expDate: string } {
    return { orgName: this.orgName, expDate: this.expDate };
  }

  toString(): string {
    return `SToken(${this.orgName}, expires ${this.expDate})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * Parses Apple's ISO-8601 with a colon-less offset ("+0000", "-0700"), which not every
 * Date parser accepts, as well as the usual forms.
 */
export function parseAppleDate(text: string): Date | undefined {
  const normalized = text.trim().replace(/([+-]\d{2})(\d{2})$/, "$1:$2");
  const ms = Date.parse(normalized);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/**
 * Decodes and checks an sToken file's content (surrounding whitespace and line breaks
 * tolerated). Throws STokenError "malformed" or "expired" (at `now`) before any call is made.
 */
export function parseSToken(content: string, options: { now: Date }): SToken {
  const value = content.replace(/\s+/g, "");
  if (value.length === 0)
    throw new STokenError("malformed", "the sToken file is empty; download it again from Apple");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    throw new STokenError("malformed", "the sToken file is not base64 text; download it again from Apple");
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
  } catch {
    throw new STokenError(
      "malformed",
      "the sToken file does not decode to JSON; download it again from Apple",
    );
  }
  const parsed = sTokenPayload.safeParse(json);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
    throw new STokenError("malformed", `the sToken file lacks or has invalid fields: ${fields}`);
  }
  const { token, expDate, orgName } = parsed.data;
  const expiresAt = parseAppleDate(expDate);
  if (expiresAt === undefined) {
    throw new STokenError("malformed", `the sToken of ${orgName} has an unreadable expDate "${expDate}"`, {
      orgName,
      expDate,
    });
  }
  if (expiresAt.getTime() <= options.now.getTime()) {
    throw new STokenError(
      "expired",
      `the sToken of ${orgName} expired on ${expiresAt.toISOString()}; generate a new one in Apple Business Manager or Apple School Manager`,
      { orgName, expDate },
    );
  }
  return new SToken(value, token, orgName, expDate, expiresAt);
}
