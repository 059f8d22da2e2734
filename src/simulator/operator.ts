/**
 * The organisation's side, as a content manager acts in Apple Business Manager: create
 * a location and download its sToken, buy or refund licenses (ASSET_COUNT), revoke,
 * expire or renew the token, a user accepting an invitation (USER_ASSOCIATED), another
 * MDM claiming the token, seeding, and the simulator's own controls (faults, limits).
 */
import { makeMetadata, mergeMetadata } from "./app-metadata.js";
import type { SimContext } from "./context.js";
import type { FaultConfig, SubjectFault } from "./faults.js";
import type { Limits } from "./limits.js";
import { type Asset, availableCount, type Location, type PricingParam } from "./location.js";
import { type SeedSpec, seedLocation } from "./seed.js";
import { makeIdHash, wireAssignment, wireUser } from "./wire-out.js";

export interface AssetInput {
  adamId: string;
  pricingParam?: PricingParam;
  productType?: "App" | "Book";
  totalCount: number;
  deviceAssignable?: boolean;
  revocable?: boolean;
  supportedPlatforms?: string[];
  // The store's metadata (GET /lookup); unset fields are generated from the adamId.
  name?: string;
  bundleId?: string;
  version?: string;
  genre?: string;
  price?: number;
  /** A custom (B2B) app: never returned by the public lookup. */
  custom?: boolean;
  /** The storefronts selling it (ISO 3166 alpha-2); unset, every one. */
  storefronts?: string[];
}

export interface SimulatorOperator {
  createLocation(input: {
    orgName: string;
    locationName?: string;
    expiresAt?: Date;
    countryISO2ACode?: string;
  }): {
    uId: string;
    sToken: string;
  };
  addAsset(uId: string, asset: AssetInput): void;
  buy(uId: string, adamId: string, count: number, pricingParam?: PricingParam): void;
  refund(uId: string, adamId: string, count: number, pricingParam?: PricingParam): void;
  revokeToken(uId: string): void;
  expireToken(uId: string): void;
  renewToken(uId: string, expiresAt?: Date): { sToken: string };
  acceptInvitation(uId: string, clientUserId: string): void;
  claimByOtherMdm(uId: string, mdmInfo: { id: string; name: string; metadata: string }): void;
  seed(uId: string, spec: SeedSpec): void;
  setFaults(faults: FaultConfig, endpoint?: string): void;
  /** Apple refuses these subjects' tasks on one endpoint with an asynchronous error (cleared by clearFaults). */
  failSubjects(fault: SubjectFault): void;
  clearFaults(): void;
  snapshot(uId: string): {
    assets: Array<{
      adamId: string;
      pricingParam: string;
      totalCount: number;
      assignedCount: number;
      availableCount: number;
      retiredCount: number;
    }>;
    assignmentCount: number;
    users: number;
  };
  stats(): { requests: Record<string, number> };
  assignments(
    uId: string,
  ): Iterable<{ adamId: string; pricingParam: string; serialNumber?: string; clientUserId?: string }>;
  // Extensions beyond the agreed surface:
  /** Accepts the invitation with this inviteCode, in whichever location (the invitation link). */
  acceptInvitationCode(inviteCode: string): { uId: string; clientUserId: string };
  /** Changes the limits GET /service/config advertises and the simulator enforces. */
  setLimits(limits: Partial<Limits>): void;
  /** DB4: a new version of the app is in the store (GET /lookup answers it from now on). */
  publishVersion(adamId: string, version: string): void;
  /** Resolves when no event is pending and every queued notification was delivered or given up. */
  idle(): Promise<void>;
  locations(): Array<{ uId: string; orgName: string; locationName: string }>;
  /** The location's current sToken (as ABM would offer it again) and whether it still works. */
  currentToken(uId: string): { sToken: string; status: "valid" | "revoked" | "expired" };
}

export function createOperator(ctx: SimContext): SimulatorOperator {
  const { world, notifier } = ctx;
  const at = (uId: string): Location => world.location(uId);

  const assetOf = (location: Location, adamId: string, pricingParam?: PricingParam): Asset => {
    const asset = location.findAsset(adamId, pricingParam);
    if (!asset)
      throw new Error(`location ${location.uId} has no asset ${adamId} ${pricingParam ?? ""}`.trim());
    return asset;
  };

  const countChanged = (location: Location, asset: Asset, countDelta: number): void => {
    location.bump();
    const notification = { adamId: asset.adamId, countDelta, pricingParam: asset.pricingParam };
    notifier.send(location, "ASSET_COUNT", notification);
  };

  const accept = (location: Location, clientUserId: string): void => {
    const user = location.users.findActive(clientUserId);
    if (user?.status !== "Registered") {
      throw new Error(`no user ${clientUserId} waiting for an invitation in ${location.uId}`);
    }
    user.status = "Associated";
    user.idHash = makeIdHash(location.uId, user.email ?? clientUserId);
    user.seq = location.bump();
    notifier.send(location, "USER_ASSOCIATED", { associatedUsers: [wireUser(user, true)] });
  };

  return {
    createLocation(input) {
      const { location, sToken } = world.createLocation(input);
      return { uId: location.uId, sToken };
    },
    addAsset(uId, input) {
      const location = at(uId);
      const productType = input.productType ?? "App";
      const isBook = productType === "Book";
      // Books are neither device-assignable nor revocable (APPLE-API.md; legacy retire doc).
      if (isBook && (input.deviceAssignable || input.revocable)) {
        throw new Error("books are neither device-assignable nor revocable");
      }
      const totalCount = countOf(input.totalCount);
      const asset = location.addAsset({
        adamId: input.adamId,
        pricingParam: input.pricingParam ?? "STDQ",
        productType,
        totalCount,
        assignedCount: 0,
        retiredCount: 0,
        deviceAssignable: input.deviceAssignable ?? !isBook,
        revocable: input.revocable ?? !isBook,
        supportedPlatforms: input.supportedPlatforms ?? (isBook ? ["iOS", "macOS"] : ["iOS"]),
      });
      const { name, bundleId, version, genre, price, custom, storefronts } = input;
      const fields = { name, bundleId, version, genre, price, custom, storefronts };
      const held = world.metadata.get(input.adamId);
      world.metadata.set(
        input.adamId,
        held ? mergeMetadata(held, fields) : makeMetadata(input.adamId, productType, fields),
      );
      if (totalCount > 0) countChanged(location, asset, totalCount);
    },
    publishVersion(adamId, version) {
      const held = world.metadata.get(adamId);
      if (!held) throw new Error(`no app ${adamId} in the store`);
      if (version.trim() === "") throw new Error("a version must not be empty");
      world.metadata.set(adamId, { ...held, version });
    },
    buy(uId, adamId, count, pricingParam) {
      const location = at(uId);
      const n = countOf(count);
      const existing = location.findAsset(adamId, pricingParam);
      if (!existing) {
        this.addAsset(uId, { adamId, totalCount: n, pricingParam: pricingParam ?? "STDQ" });
        return;
      }
      existing.totalCount += n;
      countChanged(location, existing, n);
    },
    refund(uId, adamId, count, pricingParam) {
      const location = at(uId);
      const asset = assetOf(location, adamId, pricingParam);
      const n = countOf(count);
      // Only unassigned licenses can be refunded here; refunded licenses count as retired.
      if (n > availableCount(asset)) throw new Error(`only ${availableCount(asset)} licenses are available`);
      asset.totalCount -= n;
      asset.retiredCount += n;
      countChanged(location, asset, -n);
    },
    revokeToken(uId) {
      world.revokeToken(at(uId));
    },
    expireToken(uId) {
      at(uId).tokenExpiresAt = new Date(world.now().getTime() - 1000);
    },
    renewToken(uId, expiresAt) {
      const location = at(uId);
      const until = expiresAt ?? new Date(world.now().getTime() + 365 * 24 * 3600 * 1000);
      return { sToken: world.issueToken(location, until) };
    },
    acceptInvitation(uId, clientUserId) {
      accept(at(uId), clientUserId);
    },
    acceptInvitationCode(inviteCode) {
      for (const location of world.locations.values()) {
        const user = location.users.records.find(
          (u) => u.inviteCode === inviteCode && u.status === "Registered",
        );
        if (user) {
          accept(location, user.clientUserId);
          return { uId: location.uId, clientUserId: user.clientUserId };
        }
      }
      throw new Error("no pending invitation with this inviteCode");
    },
    claimByOtherMdm(uId, mdmInfo) {
      // The other MDM's client config replaces ours: its mdmInfo, and our notifications stop.
      at(uId).clientConfig = { mdmInfo: { ...mdmInfo }, notificationTypes: [] };
    },
    seed(uId, spec) {
      seedLocation(at(uId), world.ids, spec, world.metadata);
    },
    setFaults(faults, endpoint) {
      ctx.faults.set(faults, endpoint);
    },
    failSubjects(fault) {
      ctx.faults.failSubjects(fault);
    },
    clearFaults() {
      ctx.faults.clear();
    },
    snapshot(uId) {
      const location = at(uId);
      return {
        assets: location.assets.map((a) => ({
          adamId: a.adamId,
          pricingParam: a.pricingParam,
          totalCount: a.totalCount,
          assignedCount: a.assignedCount,
          availableCount: availableCount(a),
          retiredCount: a.retiredCount,
        })),
        assignmentCount: location.assignments.size,
        users: location.users.activeCount,
      };
    },
    stats() {
      return { requests: Object.fromEntries(ctx.requests) };
    },
    *assignments(uId) {
      const location = at(uId);
      for (let row = 0; row < location.assignments.size; row++) yield wireAssignment(location, row);
    },
    setLimits(limits) {
      world.limits = { ...world.limits, ...limits };
    },
    async idle() {
      await ctx.events.idle();
      await notifier.idle();
    },
    locations() {
      return [...world.locations.values()].map((l) => ({
        uId: l.uId,
        orgName: l.orgName,
        locationName: l.locationName,
      }));
    },
    currentToken(uId) {
      const location = at(uId);
      return { sToken: world.currentSToken(location), status: world.tokenStatus(location) };
    },
  };
}

function countOf(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error("a license count must be a whole number >= 0");
  return n;
}
