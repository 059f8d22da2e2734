/**
 * The state of one location (Apple's `uId`, one sToken): assets and their license
 * counts, assignments, users, client config, events, and a version that moves on every
 * change (the `versionId` of read responses).
 */
import { AssignmentTable } from "./assignment-table.js";
import { AppleError } from "./errors.js";
import { SERIAL, SubjectRegistry, USER } from "./subjects.js";
import { UserTable } from "./user-table.js";

export type PricingParam = "STDQ" | "PLUS";
export type ProductType = "App" | "Book";

export interface Asset {
  index: number;
  adamId: string;
  pricingParam: PricingParam;
  productType: ProductType;
  totalCount: number;
  assignedCount: number;
  retiredCount: number;
  deviceAssignable: boolean;
  revocable: boolean;
  supportedPlatforms: string[];
}

export interface MdmInfo {
  id: string;
  name: string;
  metadata: string;
}

export interface ClientConfig {
  mdmInfo?: MdmInfo;
  notificationUrl?: string;
  notificationAuthToken?: string;
  notificationTypes: string[];
}

export interface SimEvent {
  eventId: string;
  eventType: "ASSOCIATE" | "DISASSOCIATE" | "REVOKE" | "CREATE" | "UPDATE" | "RETIRE";
  eventStatus: "PENDING" | "COMPLETE" | "FAILED";
  numRequested: number;
  numCompleted: number;
  failures: Array<{
    errorNumber: number;
    errorMessage: string;
    errorInfo?: { clientUserIds?: string[]; serialNumbers?: string[] };
  }>;
}

/** Most events a location remembers; the oldest are forgotten first (then 9708). */
const MAX_EVENTS = 100_000;

export class Location {
  readonly assets: Asset[] = [];
  private readonly assetKeys = new Map<string, Asset>();
  readonly assignments = new AssignmentTable();
  readonly serials = new SubjectRegistry(SERIAL);
  readonly userIds = new SubjectRegistry(USER);
  readonly users = new UserTable();
  readonly events = new Map<string, SimEvent>();
  clientConfig: ClientConfig = { notificationTypes: [] };
  seq = 1;
  /** The sToken secret currently valid for this location. */
  currentToken = "";
  tokenExpiresAt: Date;

  constructor(
    readonly uId: string,
    readonly orgName: string,
    readonly locationName: string,
    readonly countryISO2ACode: string,
    /** Fixed UUID-shaped prefix of this location's versionIds. */
    readonly versionSalt: string,
    expiresAt: Date,
  ) {
    this.tokenExpiresAt = expiresAt;
  }

  /** Moves the version on; returns the new one. */
  bump(): number {
    return ++this.seq;
  }

  versionId(seq = this.seq): string {
    return `${this.versionSalt}-${seq.toString(16).padStart(12, "0")}`;
  }

  /** The version a client's versionId names; throws 9721 for one this location never gave. */
  parseVersionId(versionId: string): number {
    const prefix = `${this.versionSalt}-`;
    const rest = versionId.startsWith(prefix) ? versionId.slice(prefix.length) : "";
    const seq = /^[0-9a-f]{12}$/.test(rest) ? Number.parseInt(rest, 16) : Number.NaN;
    if (!Number.isSafeInteger(seq) || seq > this.seq || seq < 1) throw new AppleError(9721);
    return seq;
  }

  findAsset(adamId: string, pricingParam?: string): Asset | undefined {
    if (pricingParam) return this.assetKeys.get(`${adamId}|${pricingParam}`);
    // pricingParam is optional in requests (managing-assets example): prefer STDQ.
    return this.assetKeys.get(`${adamId}|STDQ`) ?? this.assetKeys.get(`${adamId}|PLUS`);
  }

  addAsset(asset: Omit<Asset, "index">): Asset {
    if (this.assetKeys.has(`${asset.adamId}|${asset.pricingParam}`)) {
      throw new Error(`asset ${asset.adamId} ${asset.pricingParam} already exists in ${this.uId}`);
    }
    const full: Asset = { ...asset, index: this.assets.length };
    this.assets.push(full);
    this.assetKeys.set(`${asset.adamId}|${asset.pricingParam}`, full);
    return full;
  }

  rememberEvent(event: SimEvent): void {
    this.events.set(event.eventId, event);
    if (this.events.size > MAX_EVENTS) {
      const oldest = this.events.keys().next();
      if (!oldest.done) this.events.delete(oldest.value);
    }
  }
}

export function availableCount(asset: Asset): number {
  return asset.totalCount - asset.assignedCount;
}
