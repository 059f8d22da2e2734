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

/** Every assignment of the token, read in full before anything is released (releasing reorders pages). */
export async function assignmentsAtApple(client: AppleClient): Promise<Held[]> {
  const out: Held[] = [];
  for await (const page of client.assignments()) out.push(...page.items);
  return out;
}

/** Disassociates these assignments, one app (and its pricing) at a time; returns Apple calls made. */
export async function disassociateAll(client: AppleClient, held: readonly Held[]): Promise<number> {
  const byAsset = new Map<string, { asset: AssetRef; serialNumbers: string[]; clientUserIds: string[] }>();
  for (const h of held) {
    const key = `${h.adamId}\u0000${h.pricingParam ?? ""}`;
    let entry = byAsset.get(key);
    if (!entry) {
      entry = {
        asset: { adamId: h.adamId, ...(h.pricingParam ? { pricingParam: h.pricingParam } : {}) },
        serialNumbers: [],
        clientUserIds: [],
      };
      byAsset.set(key, entry);
    }
    if (h.serialNumber !== undefined) entry.serialNumbers.push(h.serialNumber);
    else if (h.clientUserId !== undefined) entry.clientUserIds.push(h.clientUserId);
  }
  let calls = 0;
  for (const { asset, serialNumbers, clientUserIds } of byAsset.values()) {
    calls += (await client.disassociateBatched({ assets: [asset], serialNumbers, clientUserIds })).length;
  }
  return calls;
}
