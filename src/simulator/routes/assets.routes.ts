/**
 * GET /assets and GET /assignments (paged).
 * https://developer.apple.com/documentation/devicemanagement/get-assets-4ski1
 * https://developer.apple.com/documentation/devicemanagement/get-assignments-9wv1e
 */
import type { FastifyInstance } from "fastify";
import type { GetAssetsResponse, GetAssignmentsResponse } from "../../apple/wire.js";
import { type AssignmentFilter, selectAssignments } from "../assignment-query.js";
import { envelopeOf, locationOf, type SimContext } from "../context.js";
import { AppleError } from "../errors.js";
import { availableCount } from "../location.js";
import { pageOf } from "../paging.js";
import { queryBool, queryCount, queryOf, queryPageIndex, queryString } from "../request.js";
import { ResultCache } from "../result-cache.js";
import { wireAsset, wireAssignment } from "../wire-out.js";

export function registerAssetRoutes(app: FastifyInstance, ctx: SimContext): void {
  const cache = new ResultCache();

  app.get("/mdm/v2/assets", async (request): Promise<GetAssetsResponse> => {
    const location = locationOf(ctx, request);
    const q = queryOf(request);
    const adamId = queryString(q, "adamId");
    const productType = queryString(q, "productType");
    const pricingParam = queryString(q, "pricingParam");
    if (productType !== undefined && productType !== "App" && productType !== "Book") {
      throw new AppleError(9602);
    }
    if (pricingParam !== undefined && pricingParam !== "STDQ" && pricingParam !== "PLUS") {
      throw new AppleError(9602);
    }
    const deviceAssignable = queryBool(q, "deviceAssignable");
    const revocable = queryBool(q, "revocable");
    const minAssigned = queryCount(q, "minAssignedCount");
    const maxAssigned = queryCount(q, "maxAssignedCount");
    const minAvailable = queryCount(q, "minAvailableCount");
    const maxAvailable = queryCount(q, "maxAvailableCount");
    queryBool(q, "unlimited"); // accepted; the simulator has no free (unlimited) assets
    // sinceVersionId on /assets is UNVERIFIED (APPLE-API.md): validated, then the full list is returned.
    const since = queryString(q, "sinceVersionId");
    if (since !== undefined) location.parseVersionId(since);
    const pageIndex = queryPageIndex(q);
    const assets = location.assets.filter(
      (a) =>
        (adamId === undefined || a.adamId === adamId) &&
        (productType === undefined || a.productType === productType) &&
        (pricingParam === undefined || a.pricingParam === pricingParam) &&
        (deviceAssignable === undefined || a.deviceAssignable === deviceAssignable) &&
        (revocable === undefined || a.revocable === revocable) &&
        (minAssigned === undefined || a.assignedCount >= minAssigned) &&
        (maxAssigned === undefined || a.assignedCount <= maxAssigned) &&
        (minAvailable === undefined || availableCount(a) >= minAvailable) &&
        (maxAvailable === undefined || availableCount(a) <= maxAvailable),
    );
    const page = pageOf(assets.length, ctx.assetPageSize, pageIndex);
    return {
      assets: assets.slice(page.start, page.end).map(wireAsset),
      ...page.meta,
      ...envelopeOf(location),
      versionId: location.versionId(),
    };
  });

  app.get("/mdm/v2/assignments", async (request): Promise<GetAssignmentsResponse> => {
    const location = locationOf(ctx, request);
    const q = queryOf(request);
    const pricingParam = queryString(q, "pricingParam");
    if (pricingParam !== undefined && pricingParam !== "STDQ" && pricingParam !== "PLUS") {
      throw new AppleError(9602);
    }
    const filter = {
      adamId: queryString(q, "adamId"),
      pricingParam,
      serialNumber: queryString(q, "serialNumber"),
      clientUserId: queryString(q, "clientUserId"),
      excludeInactiveUsers: queryBool(q, "excludeInactiveUsers"),
      since: sinceOf(location, queryString(q, "sinceVersionId")),
    };
    const includeUserState = queryBool(q, "includeUserState") === true;
    const pageIndex = queryPageIndex(q);
    const key = `${location.uId}|${location.seq}|${JSON.stringify(filter)}`;
    const filtering = Object.values(filter).some((v) => v !== undefined && v !== false);
    const rows = filtering ? cache.get(key, () => selectedRows(location, filter)) : undefined;
    const total = rows ? rows.length : location.assignments.size;
    const page = pageOf(total, ctx.pageSize, pageIndex);
    const assignments: GetAssignmentsResponse["assignments"] = [];
    for (let i = page.start; i < page.end; i++) {
      assignments.push(wireAssignment(location, rows ? (rows[i] as number) : i, includeUserState));
    }
    return { assignments, ...page.meta, ...envelopeOf(location), versionId: location.versionId() };
  });

  function selectedRows(
    location: ReturnType<typeof locationOf>,
    filter: AssignmentFilter,
  ): ArrayLike<number> {
    const selected = selectAssignments(location, filter);
    return selected === "all"
      ? Int32Array.from({ length: location.assignments.size }, (_, i) => i)
      : selected;
  }

  function sinceOf(
    location: ReturnType<typeof locationOf>,
    versionId: string | undefined,
  ): number | undefined {
    if (versionId === undefined) return undefined;
    const since = location.parseVersionId(versionId);
    // Changes before a bulk seed are not logged: ask for a full read (9721).
    if (since < location.assignments.logFloor) throw new AppleError(9721);
    return since;
  }
}
