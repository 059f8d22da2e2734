/**
 * Assignments of an account from Apple, compared with Orchard's licenses (AC3).
 * Full: every page streamed once; only Orchard's own seat-holding licenses are held in
 * memory (not Apple's million rows), so memory follows Orchard's size, not Apple's. An
 * assignment Orchard does not hold is adopted when it names a device or user of the space,
 * else listed as made outside Orchard (AC7, adopt.ts).
 * Incremental: the pages changed since the last versionId confirm pending associations, and
 * what Orchard does not hold in them is adopted or listed (AC7, adopt.ts DeltaAdoption); only
 * the licenses of the subjects a page names are read, so a sync costs what its pages hold.
 */
import type { AppleClient } from "../apple/index.js";
import { type Account, markAssigned, markReleased, recordSync } from "../store/index.js";
import type { OutsideAssignment } from "../store/outside-assignments.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import {
  type LicenseAtApple,
  releaseVanished,
  seatHoldingLicensesOfAccount,
  setAssetCounts,
  setUsedOfAccount,
} from "../store/sync-licenses.repo.js";
import { DeltaAdoption, OutsideWalk, serveAdopted } from "./adopt.js";
import type { SyncDeps } from "./deps.js";
import { APPLE } from "./deps.js";

export interface AssignmentsSummary {
  atApple: number;
  /**
   * Assignments Orchard did not make and did not adopt: they use seats (`used`). A full
   * sync's are all of them; an incremental sync's, those of its changed pages.
   */
  outside: number;
  /** AC7: assignments made outside Orchard that became Orchard's licenses. */
  adopted: number;
  /** Of those, licenses of users prohibited for the app in the account (DI4). */
  adoptedProhibited: number;
  confirmed: number;
  /** Licenses Apple no longer holds, released here. */
  vanished: number;
}

type Subject = { serialNumber?: string | undefined; clientUserId?: string | undefined };

/** Serial numbers in any case: Apple reads them so, and a device stored c02d… before 0026 is C02D… now. */
const keyOf = (adamId: string, a: Subject) =>
  a.serialNumber !== undefined
    ? `${adamId}|s|${normalizeSerial(a.serialNumber)}`
    : `${adamId}|u|${a.clientUserId ?? ""}`;

/**
 * Orchard's licenses by app and subject, for Apple's assignments to be matched with. A
 * license whose device Apple names in another case is Orchard's all the same, not an
 * assignment made outside Orchard (AC3).
 */
class LicenseIndex {
  private readonly byKey = new Map<string, LicenseAtApple[]>();
  constructor(licenses: readonly LicenseAtApple[]) {
    for (const l of licenses) {
      if (l.serialNumber === undefined && l.clientUserId === undefined) continue;
      const key = keyOf(l.adamId, l);
      const same = this.byKey.get(key);
      if (same) same.push(l);
      else this.byKey.set(key, [l]);
    }
  }

  get size(): number {
    return this.byKey.size;
  }

  /**
   * The license an assignment at Apple is of: of Apple's spelling, the last listed (as when
   * the index kept one license per subject); else, a serial in another case, one not matched
   * yet. Two devices whose serials differ only in case (left so by 0026) share a key.
   */
  match(adamId: string, a: Subject, matched?: ReadonlySet<string>): LicenseAtApple | undefined {
    const same = this.byKey.get(keyOf(adamId, a));
    if (!same) return undefined;
    const spelled = same.filter((l) => l.serialNumber === a.serialNumber);
    if (spelled.length > 0) return spelled.at(-1);
    return same.filter((l) => !matched?.has(l.id)).at(-1) ?? same.at(-1);
  }

  *values(): IterableIterator<LicenseAtApple> {
    for (const same of this.byKey.values()) yield* same;
  }
}

export async function syncAssignmentsFull(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
): Promise<AssignmentsSummary> {
  const started = deps.now();
  const { spaceId } = account;
  const index = new LicenseIndex(await seatHoldingLicensesOfAccount(deps.db, spaceId, account.id));
  const seen = new Set<string>();
  const walk = await OutsideWalk.start(deps, account, started);
  let atApple = 0;
  let checkpoint: string | undefined;
  let found: Awaited<ReturnType<OutsideWalk["complete"]>>;
  try {
    for await (const page of client.assignments()) {
      atApple += page.items.length;
      const notOrchards: OutsideAssignment[] = [];
      for (const a of page.items) {
        if (a.serialNumber === undefined && a.clientUserId === undefined) continue;
        const license = index.size > 0 ? index.match(a.adamId, a, seen) : undefined;
        if (license) seen.add(license.id);
        // As parsed; one naming both (never documented) is taken as the device's, as everywhere.
        else if (a.serialNumber !== undefined && a.clientUserId !== undefined)
          notOrchards.push({ adamId: a.adamId, pricingParam: a.pricingParam, serialNumber: a.serialNumber });
        else notOrchards.push(a);
      }
      await walk.add(notOrchards);
      if (page.last) checkpoint = page.checkpointVersionId;
    }
    found = await walk.complete();
  } catch (error) {
    await walk.discard().catch(() => undefined);
    throw error;
  }
  const { outside } = found;
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
  // After the counts: the subjects that waited for what they now hold keep it (DB2, UB3).
  await serveAdopted(deps, spaceId, found.adopted);
  let outsideTotal = 0;
  for (const n of outside.values()) outsideTotal += n;
  return {
    atApple,
    outside: outsideTotal,
    adopted: found.adopted.length,
    adoptedProhibited: found.adopted.filter((l) => l.prohibited).length,
    confirmed: confirm.length,
    vanished: vanished.length,
  };
}

export async function syncAssignmentsSince(
  deps: SyncDeps,
  account: Account,
  client: AppleClient,
  sinceVersionId: string,
): Promise<AssignmentsSummary> {
  const started = deps.now();
  const { spaceId } = account;
  const delta = new DeltaAdoption(deps, account, started);
  const confirm = new Set<string>();
  let atApple = 0;
  let checkpoint: string | undefined;
  for await (const page of client.assignments({ sinceVersionId })) {
    atApple += page.items.length;
    // Orchard's licenses of the subjects this page names, not the account's: a page's cost.
    const index = new LicenseIndex(
      await seatHoldingLicensesOfAccount(deps.db, spaceId, account.id, {
        serialKeys: page.items.flatMap((a) =>
          a.serialNumber !== undefined ? [normalizeSerial(a.serialNumber)] : [],
        ),
        clientUserIds: page.items.flatMap((a) =>
          a.serialNumber === undefined && a.clientUserId !== undefined ? [a.clientUserId] : [],
        ),
      }),
    );
    const matched = new Set<string>();
    const notOrchards: OutsideAssignment[] = [];
    for (const a of page.items) {
      const license = index.size > 0 ? index.match(a.adamId, a, matched) : undefined;
      if (license) {
        matched.add(license.id);
        if (license.state === "pending_assign") confirm.add(license.id);
      } else if (a.serialNumber !== undefined)
        notOrchards.push({ adamId: a.adamId, pricingParam: a.pricingParam, serialNumber: a.serialNumber });
      else if (a.clientUserId !== undefined)
        notOrchards.push({ adamId: a.adamId, pricingParam: a.pricingParam, clientUserId: a.clientUserId });
    }
    // AC7: what Orchard does not hold is adopted, or listed as made outside Orchard.
    await delta.add(notOrchards);
    if (page.last) checkpoint = page.checkpointVersionId;
  }
  const now = deps.now();
  await markAssigned(deps.db, { spaceId, licenseIds: [...confirm], actor: APPLE, now });
  if (checkpoint)
    await recordSync(deps.db, { spaceId, id: account.id, assignmentsVersionId: checkpoint, now });
  // The subjects that waited for what they now hold keep it (DB2, UB3).
  await serveAdopted(deps, spaceId, delta.adopted);
  return {
    atApple,
    outside: delta.outside,
    adopted: delta.adopted.length,
    adoptedProhibited: delta.adopted.filter((l) => l.prohibited).length,
    confirmed: confirm.size,
    vanished: 0,
  };
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
  const index = new LicenseIndex(mine);
  let outside = 0;
  let atApple = 0;
  for await (const page of client.assignments({ adamId })) {
    atApple += page.items.length;
    for (const a of page.items) if (!index.match(a.adamId, a)) outside += 1;
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
