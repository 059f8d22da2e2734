/**
 * Releasing licenses at Apple for account operations: everything the token holds
 * (AC1/AC2 "clear all previous license data", including a previous MDM's assignments),
 * or what Orchard gave (AC5). Disassociations are batched per app to Apple's limits.
 */
import type { AppleClient, AssetRef } from "../apple/index.js";

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

  /** Disassociates them, one app (and its pricing) at a time; returns the Apple calls made. */
  async release(client: AppleClient): Promise<number> {
    let calls = 0;
    for (const { asset, serialNumbers, clientUserIds } of this.byAsset.values()) {
      calls += (await client.disassociateBatched({ assets: [asset], serialNumbers, clientUserIds })).length;
    }
    return calls;
  }
}

/** Every assignment of the token, read in full before anything is released (releasing reorders pages). */
export async function assignmentsAtApple(client: AppleClient): Promise<ReleasePlan> {
  const plan = new ReleasePlan();
  for await (const page of client.assignments()) for (const a of page.items) plan.add(a);
  return plan;
}

/** Disassociates these assignments, one app (and its pricing) at a time; returns Apple calls made. */
export async function disassociateAll(client: AppleClient, held: readonly Held[]): Promise<number> {
  const plan = new ReleasePlan();
  for (const h of held) plan.add(h);
  return plan.release(client);
}
