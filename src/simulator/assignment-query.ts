/**
 * Which assignment rows a GET /assignments query selects, without scanning all rows when
 * a subject filter or no filter is given. Filters: adamId, pricingParam, serialNumber,
 * clientUserId, excludeInactiveUsers, sinceVersionId (APPLE-API.md "Assignments").
 */
import type { Location } from "./location.js";
import { SERIAL, USER } from "./subjects.js";

export interface AssignmentFilter {
  adamId?: string;
  pricingParam?: string;
  serialNumber?: string;
  clientUserId?: string;
  excludeInactiveUsers?: boolean;
  /** Only rows changed after this version. */
  since?: number;
}

/** All rows (identity) when nothing filters, else the selected rows in order. */
export function selectAssignments(location: Location, filter: AssignmentFilter): ArrayLike<number> | "all" {
  const table = location.assignments;
  const assetFilter = filter.adamId !== undefined || filter.pricingParam !== undefined;
  const assetOk = assetFilter ? matchingAssets(location, filter) : undefined;
  let candidates: ArrayLike<number> | "all";
  if (filter.since !== undefined) candidates = table.changedSince(filter.since);
  else if (filter.serialNumber !== undefined || filter.clientUserId !== undefined) {
    candidates = subjectRows(location, filter);
  } else candidates = "all";
  if (candidates === "all" && !assetOk && !filter.excludeInactiveUsers) return "all";

  const keep = (row: number): boolean => {
    if (assetOk && !assetOk.has(table.assetAt(row))) return false;
    const ref = table.subjectAt(row);
    if (filter.since !== undefined && !subjectMatches(location, ref, filter)) return false;
    if (filter.excludeInactiveUsers && (ref & 1) === USER) {
      return location.users.findActive(location.userIds.name(ref >> 1)) !== undefined;
    }
    return true;
  };
  if (candidates === "all") {
    const out = new Int32Array(table.size);
    let n = 0;
    for (let row = 0; row < table.size; row++) if (keep(row)) out[n++] = row;
    return out.subarray(0, n);
  }
  const out: number[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const row = candidates[i] as number;
    if (keep(row)) out.push(row);
  }
  return out;
}

function matchingAssets(location: Location, filter: AssignmentFilter): Set<number> {
  const out = new Set<number>();
  for (const asset of location.assets) {
    if (filter.adamId !== undefined && asset.adamId !== filter.adamId) continue;
    if (filter.pricingParam !== undefined && asset.pricingParam !== filter.pricingParam) continue;
    out.add(asset.index);
  }
  return out;
}

function subjectRows(location: Location, filter: AssignmentFilter): number[] {
  // A row has one subject: asking for a serial and a user at once selects nothing.
  if (filter.serialNumber !== undefined && filter.clientUserId !== undefined) return [];
  const serial = filter.serialNumber !== undefined;
  const id = serial
    ? location.serials.find(filter.serialNumber ?? "")
    : location.userIds.find(filter.clientUserId ?? "");
  // In row order, like the unfiltered listing: a state file keeps row order, not link order.
  return id < 0 ? [] : location.assignments.rowsOf(id * 2 + (serial ? SERIAL : USER)).sort((a, b) => a - b);
}

function subjectMatches(location: Location, ref: number, filter: AssignmentFilter): boolean {
  if (filter.serialNumber !== undefined) {
    return (ref & 1) === SERIAL && location.serials.name(ref >> 1) === filter.serialNumber;
  }
  if (filter.clientUserId !== undefined) {
    return (ref & 1) === USER && location.userIds.name(ref >> 1) === filter.clientUserId;
  }
  return true;
}
