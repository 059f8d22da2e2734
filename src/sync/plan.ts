/**
 * Grouping claimed outbox rows into as few Apple calls as the limits allow (pure).
 * Associate/disassociate: per asset, every subject in one request (Apple's client splits
 * it to 1,000 serials or users per call); assets whose subjects are the same share calls
 * (up to 25 assets each). Revoke: subjects only (100 per call). Users: 100 per call.
 */
import { type AppleLimits, type AssetRef, planManageAssets, planRevoke, planUsers } from "../apple/index.js";
import type { NewCall } from "../store/apple-calls.repo.js";
import type { OutboxKind, OutboxRecord } from "../store/index.js";
import { subjectKey } from "./outcomes.js";

export interface PlannedGroup {
  kind: OutboxKind;
  assets: AssetRef[];
  serialNumbers: string[];
  clientUserIds: string[];
  rows: OutboxRecord[];
}

export const assetKeyOf = (row: { adamId?: string | undefined; pricingParam?: string | undefined }): string =>
  `${row.adamId ?? ""}\u0000${row.pricingParam ?? ""}`;

export function planGroups(rows: readonly OutboxRecord[]): PlannedGroup[] {
  const out: PlannedGroup[] = [];
  const byKind = new Map<OutboxKind, OutboxRecord[]>();
  for (const row of rows) {
    const list = byKind.get(row.kind);
    if (list) list.push(row);
    else byKind.set(row.kind, [row]);
  }
  for (const [kind, ofKind] of byKind) {
    if (kind === "associate" || kind === "disassociate") out.push(...groupManage(kind, ofKind));
    else out.push(subjectsOnly(kind, ofKind));
  }
  return out;
}

function groupManage(kind: OutboxKind, rows: readonly OutboxRecord[]): PlannedGroup[] {
  const byAsset = new Map<string, { asset: AssetRef; subjects: Set<string>; rows: OutboxRecord[] }>();
  for (const row of rows) {
    const key = assetKeyOf(row);
    let entry = byAsset.get(key);
    if (!entry) {
      const asset: AssetRef = {
        adamId: row.adamId ?? "",
        ...(row.pricingParam ? { pricingParam: row.pricingParam } : {}),
      };
      entry = { asset, subjects: new Set(), rows: [] };
      byAsset.set(key, entry);
    }
    entry.subjects.add(subjectKey(row));
    entry.rows.push(row);
  }
  // Assets with exactly the same subjects share calls (Apple applies every asset to every subject).
  const bySubjects = new Map<string, PlannedGroup>();
  for (const entry of byAsset.values()) {
    const subjects = [...entry.subjects].sort();
    const key = subjects.join("\u0001");
    let group = bySubjects.get(key);
    if (!group) {
      group = {
        kind,
        assets: [],
        serialNumbers: subjects.filter((s) => s.startsWith("s:")).map((s) => s.slice(2)),
        clientUserIds: subjects.filter((s) => s.startsWith("u:")).map((s) => s.slice(2)),
        rows: [],
      };
      bySubjects.set(key, group);
    }
    group.assets.push(entry.asset);
    group.rows.push(...entry.rows);
  }
  return [...bySubjects.values()];
}

function subjectsOnly(kind: OutboxKind, rows: readonly OutboxRecord[]): PlannedGroup {
  const serials = new Set<string>();
  const users = new Set<string>();
  for (const row of rows) {
    if (row.serialNumber !== undefined) serials.add(row.serialNumber);
    else if (row.clientUserId !== undefined) users.add(row.clientUserId);
  }
  return { kind, assets: [], serialNumbers: [...serials], clientUserIds: [...users], rows: [...rows] };
}

/** The rows a call covered: its assets (if any) crossed with its subjects. */
export interface CallCoverage {
  assets?: readonly AssetRef[];
  serialNumbers?: readonly string[];
  clientUserIds?: readonly string[];
  users?: ReadonlyArray<{ clientUserId: string }>;
}

export function rowsCovered(group: PlannedGroup, call: CallCoverage): OutboxRecord[] {
  const subjects = new Set([
    ...(call.serialNumbers ?? []).map((s) => `s:${s}`),
    ...(call.clientUserIds ?? []).map((u) => `u:${u}`),
    ...(call.users ?? []).map((u) => `u:${u.clientUserId}`),
  ]);
  const assets = call.assets ? new Set(call.assets.map(assetKeyOf)) : undefined;
  return group.rows.filter((r) => subjects.has(subjectKey(r)) && (!assets || assets.has(assetKeyOf(r))));
}

/**
 * The Apple requests for these operations, split to Apple's limits (one request each, so
 * one eventId each): a call carries exactly the operations its request covers.
 */
export function planCalls(rows: readonly OutboxRecord[], limits: AppleLimits): NewCall[] {
  const out: NewCall[] = [];
  for (const group of planGroups(rows)) {
    const subjects = { clientUserIds: group.clientUserIds, serialNumbers: group.serialNumbers };
    switch (group.kind) {
      case "associate":
      case "disassociate":
        for (const b of planManageAssets({ assets: group.assets, ...subjects }, limits))
          out.push({ kind: group.kind, assets: b.assets, ops: rowsCovered(group, b) });
        break;
      case "revoke":
        for (const b of planRevoke(subjects, limits))
          out.push({ kind: group.kind, assets: [], ops: rowsCovered(group, b) });
        break;
      default:
        for (const users of planUsers(
          group.clientUserIds.map((clientUserId) => ({ clientUserId })),
          limits,
        ))
          out.push({ kind: group.kind, assets: [], ops: rowsCovered(group, { users }) });
    }
  }
  return out.filter((c) => c.ops.length > 0);
}
