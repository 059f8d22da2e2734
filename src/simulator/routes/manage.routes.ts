/**
 * POST /assets/associate, /assets/disassociate, /assets/revoke: synchronous validation
 * (a failure creates no event), then an EventResponse at once.
 * https://developer.apple.com/documentation/devicemanagement/associate-assets
 * https://developer.apple.com/documentation/devicemanagement/revoke-assets
 */
import type { FastifyInstance } from "fastify";
import type { EventResponse } from "../../apple/wire.js";
import { type ManageAssetsInput, runManageAssets, runRevoke } from "../asset-ops.js";
import { envelopeOf, locationOf, type SimContext } from "../context.js";
import { AppleError } from "../errors.js";
import type { Location } from "../location.js";
import { firstDuplicate, jsonBody, stringList } from "../request.js";

export function registerManageRoutes(app: FastifyInstance, ctx: SimContext): void {
  for (const mode of ["ASSOCIATE", "DISASSOCIATE"] as const) {
    const path = mode === "ASSOCIATE" ? "/assets/associate" : "/assets/disassociate";
    app.post(`/mdm/v2${path}`, async (request): Promise<EventResponse> => {
      const location = locationOf(ctx, request);
      const input = parseManageAssets(ctx, location, jsonBody(request), mode);
      const tasks = input.assets.length * (input.serialNumbers.length + input.clientUserIds.length);
      const event = ctx.events.submit(location, mode, tasks, path, (eventId, forced) =>
        runManageAssets(location, ctx.notifier, mode, input, eventId, forced, (subject, adamId) =>
          ctx.faults.subjectError(path, subject, adamId, location.uId),
        ),
      );
      return { eventId: event.eventId, ...envelopeOf(location) };
    });
  }

  app.post("/mdm/v2/assets/revoke", async (request): Promise<EventResponse> => {
    const location = locationOf(ctx, request);
    const body = jsonBody(request);
    const serialNumbers = stringList(body, "serialNumbers") ?? [];
    const clientUserIds = stringList(body, "clientUserIds") ?? [];
    if (serialNumbers.length + clientUserIds.length === 0) throw new AppleError(9719);
    // Revoke has its own limits but no error numbers of its own: reuse 9701/9702.
    const limits = ctx.world.limits;
    if (clientUserIds.length > limits.maxRevokeClientUserIds) throw new AppleError(9701);
    if (serialNumbers.length > limits.maxRevokeSerialNumbers) throw new AppleError(9702);
    if (firstDuplicate(clientUserIds) >= 0) throw new AppleError(9704);
    if (firstDuplicate(serialNumbers) >= 0) throw new AppleError(9705);
    const input = { serialNumbers, clientUserIds };
    const event = ctx.events.submit(
      location,
      "REVOKE",
      serialNumbers.length + clientUserIds.length,
      "/assets/revoke",
      (eventId, forced) =>
        runRevoke(location, ctx.notifier, input, eventId, forced, (subject) =>
          ctx.faults.subjectError("/assets/revoke", subject, undefined, location.uId),
        ),
    );
    return { eventId: event.eventId, ...envelopeOf(location) };
  });
}

/** ManageAssetsRequest checks in Apple's order of concerns: 9718/9719, limits, duplicates, asset kind. */
function parseManageAssets(
  ctx: SimContext,
  location: Location,
  body: Record<string, unknown>,
  mode: "ASSOCIATE" | "DISASSOCIATE",
): ManageAssetsInput {
  const rawAssets = body.assets;
  if (rawAssets === undefined || rawAssets === null || (Array.isArray(rawAssets) && rawAssets.length === 0)) {
    throw new AppleError(9718);
  }
  if (!Array.isArray(rawAssets)) throw new AppleError(9602);
  const assets = rawAssets.map(parseAssetRef);
  const serialNumbers = stringList(body, "serialNumbers") ?? [];
  const clientUserIds = stringList(body, "clientUserIds") ?? [];
  if (serialNumbers.length + clientUserIds.length === 0) throw new AppleError(9719);
  const limits = ctx.world.limits;
  const assetKeys = assets.map(
    (a) =>
      `${a.adamId}|${location.findAsset(a.adamId, a.pricingParam)?.pricingParam ?? a.pricingParam ?? ""}`,
  );
  // maxAssets bounds the unique assets (APPLE-API.md "Associate / disassociate"): a repeat is 9703, not 9700.
  if (new Set(assetKeys).size > limits.maxAssets) throw new AppleError(9700);
  if (clientUserIds.length > limits.maxClientUserIds) throw new AppleError(9701);
  if (serialNumbers.length > limits.maxSerialNumbers) throw new AppleError(9702);
  if (firstDuplicate(assetKeys) >= 0) throw new AppleError(9703);
  if (firstDuplicate(clientUserIds) >= 0) throw new AppleError(9704);
  if (firstDuplicate(serialNumbers) >= 0) throw new AppleError(9705);
  const known = assets.map((a) => location.findAsset(a.adamId, a.pricingParam));
  if (serialNumbers.length > 0) {
    // Books are not device-assignable (9707).
    const bad = known.filter((a) => a && !a.deviceAssignable);
    if (bad.length > 0) throw new AppleError(9707, { assets: bad.map((a) => pick(a)) });
  }
  if (mode === "DISASSOCIATE") {
    // A license of a non-revocable asset (a book) cannot be taken back (9706).
    const bad = known.filter((a) => a && !a.revocable);
    if (bad.length > 0) throw new AppleError(9706, { assets: bad.map((a) => pick(a)) });
  }
  return { assets, serialNumbers, clientUserIds };
}

function parseAssetRef(value: unknown): { adamId: string; pricingParam?: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AppleError(9602);
  const { adamId, pricingParam } = value as Record<string, unknown>;
  if (typeof adamId !== "string" || adamId === "") throw new AppleError(9602);
  if (pricingParam === undefined || pricingParam === null) return { adamId };
  if (pricingParam !== "STDQ" && pricingParam !== "PLUS") throw new AppleError(9602);
  return { adamId, pricingParam };
}

function pick(asset: { adamId: string; pricingParam: string } | undefined): {
  adamId: string;
  pricingParam: string;
} {
  return { adamId: asset?.adamId ?? "", pricingParam: asset?.pricingParam ?? "" };
}
