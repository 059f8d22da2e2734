/**
 * Simulator state -> Apple's wire shapes (types shared with the client in src/apple/wire.ts).
 */
import { createHash } from "node:crypto";
import type { Asset as WireAsset, Assignment as WireAssignment, User as WireUser } from "../apple/wire.js";
import { type Asset, availableCount, type Location } from "./location.js";
import { SERIAL } from "./subjects.js";
import type { UserRecord } from "./user-table.js";

export function wireAsset(asset: Asset): WireAsset {
  return {
    adamId: asset.adamId,
    assignedCount: asset.assignedCount,
    availableCount: availableCount(asset),
    deviceAssignable: asset.deviceAssignable,
    pricingParam: asset.pricingParam,
    productType: asset.productType,
    retiredCount: asset.retiredCount,
    revocable: asset.revocable,
    supportedPlatforms: [...asset.supportedPlatforms],
    totalCount: asset.totalCount,
  };
}

/**
 * The assignment in a row; includeUserState adds userStatus and idHash to user assignments,
 * a retired user's too (its books stay assigned), so "Retired" is shown, not left out.
 */
export function wireAssignment(location: Location, row: number, includeUserState = false): WireAssignment {
  const table = location.assignments;
  const asset = location.assets[table.assetAt(row)];
  const ref = table.subjectAt(row);
  const adamId = asset?.adamId ?? "";
  const pricingParam = asset?.pricingParam ?? "STDQ";
  if ((ref & 1) === SERIAL) return { adamId, pricingParam, serialNumber: location.serials.name(ref >> 1) };
  const clientUserId = location.userIds.name(ref >> 1);
  const out: WireAssignment = { adamId, clientUserId, pricingParam };
  if (includeUserState) {
    const user = location.users.findLatest(clientUserId);
    if (user) {
      out.userStatus = user.status;
      if (user.idHash) out.idHash = user.idHash;
    }
  }
  return out;
}

/**
 * A user as GET /users shows it: Registered users carry inviteCode, Associated idHash;
 * a Retired user keeps idHash but no inviteCode (test/fixtures/apple/users.response.json).
 * Notifications keep the inviteCode of a retired user (notification.user-management.retire.json).
 */
export function wireUser(user: UserRecord, forNotification = false): WireUser {
  const out: WireUser = { clientUserId: user.clientUserId, status: user.status };
  if (user.email !== undefined) out.email = user.email;
  if (user.inviteCode && (user.status === "Registered" || forNotification)) out.inviteCode = user.inviteCode;
  if (user.idHash) out.idHash = user.idHash;
  return out;
}

/** An idHash shaped like Apple's (base64 of a SHA-1, 28 characters). */
export function makeIdHash(uId: string, appleAccount: string): string {
  return createHash("sha1").update(`${uId}:${appleAccount}`).digest("base64");
}
