/**
 * Everything the simulator holds: locations by uId, sTokens by their secret, limits,
 * the clock and the id generator. One instance per running simulator.
 */
import type { SimAppMetadata } from "./app-metadata.js";
import { AppleError } from "./errors.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { Location } from "./location.js";
import type { Prng } from "./prng.js";
import { encodeSToken, formatAppleDate } from "./stoken.js";

export interface TokenRecord {
  uId: string;
  revoked: boolean;
}

/** A downloaded token is valid for a year (Apple's ABM tokens expire yearly). */
const TOKEN_LIFETIME_MS = 365 * 24 * 3600 * 1000;

export class World {
  readonly locations = new Map<string, Location>();
  private readonly tokens = new Map<string, TokenRecord>();
  /** The store's metadata by adamId (GET /lookup), shared by every location. */
  readonly metadata = new Map<string, SimAppMetadata>();
  limits: Limits;

  constructor(
    readonly now: () => Date,
    readonly ids: Prng,
    limits: Partial<Limits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  createLocation(input: {
    orgName: string;
    locationName?: string;
    expiresAt?: Date;
    countryISO2ACode?: string;
  }): { location: Location; sToken: string } {
    let uId = this.ids.digits(16);
    while (this.locations.has(uId)) uId = this.ids.digits(16);
    const salt = this.ids.uuid().slice(0, 23);
    const expiresAt = input.expiresAt ?? new Date(this.now().getTime() + TOKEN_LIFETIME_MS);
    const location = new Location(
      uId,
      input.orgName,
      input.locationName ?? input.orgName,
      input.countryISO2ACode ?? "US",
      salt,
      expiresAt,
    );
    this.locations.set(uId, location);
    return { location, sToken: this.issueToken(location, expiresAt) };
  }

  location(uId: string): Location {
    const location = this.locations.get(uId);
    if (!location) throw new Error(`unknown location ${uId}`);
    return location;
  }

  /** A new sToken for the location; the previous one is revoked, as when a content manager downloads a new token in ABM. */
  issueToken(location: Location, expiresAt: Date): string {
    const previous = this.tokens.get(location.currentToken);
    if (previous) previous.revoked = true;
    const secret = Buffer.from(`${location.uId}:${this.ids.hex(48)}`).toString("base64");
    this.tokens.set(secret, { uId: location.uId, revoked: false });
    location.currentToken = secret;
    location.tokenExpiresAt = expiresAt;
    return encodeSToken({ token: secret, expDate: formatAppleDate(expiresAt), orgName: location.orgName });
  }

  /** Every token ever issued, current or not (an old one answers 9625, not 9601). */
  tokenRecords(): IterableIterator<[secret: string, record: TokenRecord]> {
    return this.tokens.entries();
  }

  /** Puts back a saved token (persistence.ts). */
  restoreToken(secret: string, record: TokenRecord): void {
    this.tokens.set(secret, { ...record });
  }

  /** The sToken a content manager would download now for the location's current token. */
  currentSToken(location: Location): string {
    const expDate = formatAppleDate(location.tokenExpiresAt);
    return encodeSToken({ token: location.currentToken, expDate, orgName: location.orgName });
  }

  tokenStatus(location: Location): "valid" | "revoked" | "expired" {
    if (this.tokens.get(location.currentToken)?.revoked !== false) return "revoked";
    return this.now().getTime() >= location.tokenExpiresAt.getTime() ? "expired" : "valid";
  }

  revokeToken(location: Location): void {
    const record = this.tokens.get(location.currentToken);
    if (record) record.revoked = true;
  }

  /**
   * The location of a token secret, or the Apple error: unknown 9601, revoked 9625,
   * expired 9621 (APPLE-API.md "Error codes"; all HTTP 401).
   */
  locationOfToken(secret: string): Location {
    const record = this.tokens.get(secret);
    const location = record && this.locations.get(record.uId);
    if (!record || !location) throw new AppleError(9601);
    if (record.revoked) throw new AppleError(9625);
    if (this.now().getTime() >= location.tokenExpiresAt.getTime()) throw new AppleError(9621);
    return location;
  }
}
