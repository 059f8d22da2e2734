/**
 * Releasing licenses at Apple for account operations: everything the token holds
 * (AC1/AC2 "clear all previous license data", including a previous MDM's assignments),
 * or what Orchard gave (AC5). Disassociations are batched per app to Apple's limits.
 */
import { AppleBatchError, type AppleClient, type AssetRef, type ManageAssetsBatch } from "../apple/index.js";

export interface Held {
  adamId: string;
  pricingParam?: string | undefined;
  serialNumber?: string | undefined;
  clientUserId?: string | undefined;
}

/**
 * Assignments to release, grouped as Apple's calls take them (one app and pricing per call):
 * a location of a million keeps a million strings, not a million parsed objects.
 */
export class ReleasePlan {
  private readonly byAsset = new Map<
    string,
    { asset: AssetRef; serialNumbers: string[]; clientUserIds: string[] }
  >();
  size = 0;

  add(h: Held): void {
    if (h.serialNumber === undefined && h.clientUserId === undefined) return;
    const key = `${h.adamId}\u0000${h.pricingParam ?? ""}`;
    let entry = this.byAsset.get(key);
    if (!entry) {
      entry = {
        asset: { adamId: h.adamId, ...(h.pricingParam ? { pricingParam: h.pricingParam } : {}) },
        serialNumbers: [],
        clientUserIds: [],
      };
      this.byAsset.set(key, entry);
    }
    if (h.serialNumber !== undefined) entry.serialNumbers.push(h.serialNumber);
    else if (h.clientUserId !== undefined) entry.clientUserIds.push(h.clientUserId);
    this.size += 1;
  }

  /**
   * Disassociates them, one app (and its pricing) at a time; returns the Apple calls made.
   * `released` hears of each call Apple accepted, also those before a call that failed (a
   * token that died between calls): what they released is released, and may be said so.
   */
  async release(client: AppleClient, released?: (call: ManageAssetsBatch) => void): Promise<number> {
    let calls = 0;
    for (const { asset, serialNumbers, clientUserIds } of this.byAsset.values()) {
      try {
        const done = await client.disassociateBatched({ assets: [asset], serialNumbers, clientUserIds });
        for (const call of done) released?.(call);
        calls += done.length;
      } catch (error) {
        if (error instanceof AppleBatchError) {
          for (const call of error.completed as ManageAssetsBatch[]) released?.(call);
        }
        throw error;
      }
    }
    return calls;
  }
}

/** One held assignment, as the calls that release it name it: its app and its subject. */
export function heldKey(
  adamId: string,
  subject: { serialNumber?: string | undefined; clientUserId?: string | undefined },
): string {
  return subject.serialNumber !== undefined
    ? `${adamId}\u0000s:${subject.serialNumber}`
    : `${adamId}\u0000u:${subject.clientUserId ?? ""}`;
}

/** The keys (heldKey) of what a call released. */
export function releasedBy(call: ManageAssetsBatch): string[] {
  return call.assets.flatMap(({ adamId }) => [
    ...call.serialNumbers.map((serialNumber) => heldKey(adamId, { serialNumber })),
    ...call.clientUserIds.map((clientUserId) => heldKey(adamId, { clientUserId })),
  ]);
}

/** Every assignment of the token, read in full before anything is released (releasing reorders pages). */
export async function assignmentsAtApple(client: AppleClient): Promise<ReleasePlan> {
  const plan = new ReleasePlan();
  for await (const page of client.assignments()) for (const a of page.items) plan.add(a);
  return plan;
}

/**
 * Disassociates these assignments, one app (and its pricing) at a time; returns Apple calls
 * made. `released` hears of each call Apple accepted (ReleasePlan.release).
 */
export async function disassociateAll(
  client: AppleClient,
  held: readonly Held[],
  released?: (call: ManageAssetsBatch) => void,
): Promise<number> {
  const plan = new ReleasePlan();
  for (const h of held) plan.add(h);
  return plan.release(client, released);
}
