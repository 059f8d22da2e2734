/**
 * Assignments of an account from Apple, compared with Orchard's licenses (AC3).
 * Full: every page streamed once; only Orchard's own seat-holding licenses are held in
 * memory (not Apple's million rows), so memory follows Orchard's size, not Apple's.
 * Incremental: the pages changed since the last versionId confirm pending associations.
 */
import type { AppleClient } from "../apple/index.js";
import { type Account, markAssigned, markReleased, recordSync } from "../store/index.js";
import {
  type LicenseAtApple,
  releaseVanished,
  seatHoldingLicensesOfAccount,
  setAssetCounts,
  setUsedOfAccount,
} from "../store/sync-licenses.repo.js";
import type { SyncDeps } from "./deps.js";
import { APPLE } from "./deps.js";

export interface AssignmentsSummary {
  atApple: number;
  /** Assignments Orchard did not make: they use seats (`used`). */
  outside: number;
  confirmed: number;
  /** Licenses Apple no longer holds, released here. */
  vanished: number;
}

const keyOf = (
  adamId: string,
  a: { serialNumber?: string | undefined; clientUserId?: string | undefined },
) => (a.serialNumber !== undefined ? `${adamId}|s|${a.serialNumber}` : `${adamId}|u|${a.clientUserId ?? ""}`);

function indexLicenses(licenses: readonly LicenseAtApple[]): Map<string, LicenseAtApple> {
  const index = new Map<string, LicenseAtApple>();
  for (const l of licenses) {
    if (l.serialNumber === undefined && l.clientUserId === undefined) continue;
    index.set(keyOf(l.adamId, l), l);
  }
  return index;
}

export async function syncAssignmentsFull(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
): Promise<AssignmentsSummary> {
  const started = deps.now();
  const { spaceId } = account;
  const index = indexLicenses(await seatHoldingLicensesOfAccount(deps.db, spaceId, account.id));
  const seen = new Set<string>();
  const outside = new Map<string, number>();
  let atApple = 0;
  let checkpoint: string | undefined;
  for await (const page of client.assignments()) {
    atApple += page.items.length;
    for (const a of page.items) {
      const license = index.size > 0 ? index.get(keyOf(a.adamId, a)) : undefined;
      if (license) seen.add(license.id);
      else outside.set(a.adamId, (outside.get(a.adamId) ?? 0) + 1);
    }
    if (page.last) checkpoint = page.checkpointVersionId;
  }
  const now = deps.now();
  const confirm: string[] = [];
  const gone: string[] = [];
  const releasedAtApple: string[] = [];
  for (const l of index.values()) {
    const there = seen.has(l.id);
    if (there && l.state === "pending_assign") confirm.push(l.id);
    // Changed since the walk began: Apple's pages may predate it; the next sync decides.
    if (there || l.updatedAt >= started) continue;
    if (l.state === "assigned") gone.push(l.id);
    if (l.state === "pending_release") releasedAtApple.push(l.id);
  }
  await markAssigned(deps.db, { spaceId, licenseIds: confirm, actor: APPLE, now });
  await markReleased(deps.db, { spaceId, licenseIds: releasedAtApple, actor: APPLE, now });
  const vanished = await releaseVanished(deps.db, { spaceId, licenseIds: gone, actor: APPLE, now });
  await setUsedOfAccount(deps.db, { spaceId, accountId: account.id, outside, now });
  if (checkpoint)
    await recordSync(deps.db, { spaceId, id: account.id, assignmentsVersionId: checkpoint, now });
  let outsideTotal = 0;
  for (const n of outside.values()) outsideTotal += n;
  return { atApple, outside: outsideTotal, confirmed: confirm.length, vanished: vanished.length };
}

export async function syncAssignmentsSince(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  sinceVersionId: string,
): Promise<AssignmentsSummary> {
  const { spaceId } = account;
  const pending = (await seatHoldingLicensesOfAccount(deps.db, spaceId, account.id)).filter(
    (l) => l.state === "pending_assign",
  );
  const index = indexLicenses(pending);
  const confirm: string[] = [];
  let atApple = 0;
  let checkpoint: string | undefined;
  for await (const page of client.assignments({ sinceVersionId })) {
    atApple += page.items.length;
    for (const a of page.items) {
      const license = index.get(keyOf(a.adamId, a));
      if (license) confirm.push(license.id);
    }
    if (page.last) checkpoint = page.checkpointVersionId;
  }
  const now = deps.now();
  await markAssigned(deps.db, { spaceId, licenseIds: confirm, actor: APPLE, now });
  if (checkpoint)
    await recordSync(deps.db, { spaceId, id: account.id, assignmentsVersionId: checkpoint, now });
  return { atApple, outside: 0, confirmed: confirm.length, vanished: 0 };
}

/**
 * One app's assignments at Apple compared with Orchard's licenses: the exact number made
 * outside Orchard, after Apple refused an association for want of licenses (9709).
 * Apple's assigned count alone cannot tell an association that landed but is not yet
 * confirmed here from one made elsewhere.
 */
export async function recountAsset(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  adamId: string,
): Promise<number> {
  const { spaceId } = account;
  const mine = (await seatHoldingLicensesOfAccount(deps.db, spaceId, account.id)).filter(
    (l) => l.adamId === adamId,
  );
  const index = indexLicenses(mine);
  let outside = 0;
  let atApple = 0;
  for await (const page of client.assignments({ adamId })) {
    atApple += page.items.length;
    for (const a of page.items) if (!index.has(keyOf(a.adamId, a))) outside += 1;
  }
  await setAssetCounts(deps.db, {
    spaceId,
    accountId: account.id,
    adamId,
    appleAssigned: atApple,
    outside,
    now: deps.now(),
  });
  return outside;
}
