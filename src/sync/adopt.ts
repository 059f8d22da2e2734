/**
 * AC3, AC7: what a full walk of an account's assignments does with those Orchard does not
 * hold. Each names a device or a user of the space (its serial number in any case, its
 * clientUserId) or no one: the first are adopted as Orchard's licenses once the walk is
 * complete (store/adoption.repo.ts), the others are written to the account's list of
 * outside assignments page by page (store/outside-assignments.repo.ts), with the first that
 * could not be adopted. Memory follows Orchard's size: its devices and users (read once,
 * when the walk meets its first assignment not Orchard's) and the candidates, never Apple's
 * pages. An incremental sync does the same with the pages it reads (DeltaAdoption), and a
 * device or user created later adopts what the list holds for it (store/adopt-listed.repo.ts).
 */

import {
  type AdoptedLicense,
  type AdoptionCandidate,
  type AdoptionSubjects,
  adoptAssignments,
  candidateOf,
  loadAdoptionSubjects,
  waitingOfAdopted,
} from "../store/adoption.repo.js";
import type { Account } from "../store/index.js";
import {
  appendOutside,
  completeOutsideSnapshot,
  discardOutsideGeneration,
  newOutsideGeneration,
  type OutsideAssignment,
  writeOutsidePage,
} from "../store/outside-assignments.repo.js";
import { normalizeSerial } from "../store/serial-number.js";
import type { SyncDeps } from "./deps.js";
import { SYSTEM } from "./deps.js";

/** What the walk found outside Orchard: adopted, and left outside (per app: the seats they use). */
export interface OutsideResult {
  adopted: AdoptedLicense[];
  outside: Map<string, number>;
}

export class OutsideWalk {
  private subjects: AdoptionSubjects | undefined;
  private readonly candidates = new Map<string, AdoptionCandidate[]>();
  private readonly outside = new Map<string, number>();
  private page = 0;
  /** The previous page's write, still running while the next page is read from Apple. */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly deps: SyncDeps,
    private readonly account: Account,
    private readonly generation: number,
    private readonly startedAt: Date,
  ) {}

  static async start(deps: SyncDeps, account: Account, startedAt: Date): Promise<OutsideWalk> {
    return new OutsideWalk(deps, account, await newOutsideGeneration(deps.db), startedAt);
  }

  /** One page's assignments Orchard does not hold: candidates kept, the others written. */
  async add(assignments: readonly OutsideAssignment[]): Promise<void> {
    if (assignments.length === 0) return;
    this.subjects ??= await loadAdoptionSubjects(this.deps.db, this.account.spaceId);
    const left = splitCandidates(this.subjects, assignments, this.candidates);
    // Written while the walk reads Apple's next page: at most one write in flight, and a
    // failed one fails the walk at its next page (or at its end).
    await this.writing;
    const written = this.write(left);
    written.catch(() => undefined); // awaited at the next page; not an unhandled rejection meanwhile
    this.writing = written;
  }

  /**
   * The walk is complete: candidates adopted app by app, those left written, the list made
   * the account's. Returns what is adopted and what stays outside, per app.
   */
  async complete(): Promise<OutsideResult> {
    const { spaceId, id: accountId } = this.account;
    await this.writing;
    const adopted: AdoptedLicense[] = [];
    for (const [adamId, candidates] of this.candidates) {
      const result = await adoptAssignments(this.deps.db, {
        spaceId,
        accountId,
        adamId,
        candidates,
        startedAt: this.startedAt,
        now: this.deps.now(),
      });
      adopted.push(...result.adopted);
      await this.write(result.left);
    }
    await completeOutsideSnapshot(this.deps.db, {
      spaceId,
      accountId,
      generation: this.generation,
      now: this.deps.now(),
    });
    return { adopted, outside: this.outside };
  }

  /** The walk stopped: what it wrote goes (the account keeps its previous list). */
  async discard(): Promise<void> {
    await this.writing.catch(() => undefined);
    await discardOutsideGeneration(this.deps.db, {
      spaceId: this.account.spaceId,
      accountId: this.account.id,
      generation: this.generation,
    });
  }

  private async write(assignments: readonly OutsideAssignment[]): Promise<void> {
    if (assignments.length === 0) return;
    for (const a of assignments) this.outside.set(a.adamId, (this.outside.get(a.adamId) ?? 0) + 1);
    await writeOutsidePage(this.deps.db, {
      spaceId: this.account.spaceId,
      accountId: this.account.id,
      generation: this.generation,
      page: this.page++,
      assignments,
    });
  }
}

/**
 * AC7 in an incremental sync: the changed assignments of a page that Orchard does not hold
 * are adopted at once when they name a device or a user of the space, and taken out of the
 * account's list if it held them (one seat: `used` does not move); the others are added to
 * the list unless it holds them. The subjects are looked up by what the page names (index
 * look-ups), so a sync costs what its pages hold, whatever the size of the space or the list.
 */
export class DeltaAdoption {
  readonly adopted: AdoptedLicense[] = [];
  /** Assignments of the pages left outside Orchard (listed, or listed already). */
  outside = 0;

  constructor(
    private readonly deps: SyncDeps,
    private readonly account: Account,
    private readonly startedAt: Date,
  ) {}

  /** One page's assignments Orchard does not hold. */
  async add(assignments: readonly OutsideAssignment[]): Promise<void> {
    if (assignments.length === 0) return;
    const { db } = this.deps;
    const { spaceId, id: accountId } = this.account;
    const subjects = await loadAdoptionSubjects(db, spaceId, {
      serialKeys: assignments.flatMap((a) => (a.serialNumber ? [normalizeSerial(a.serialNumber)] : [])),
      clientUserIds: assignments.flatMap((a) =>
        a.serialNumber === undefined && a.clientUserId ? [a.clientUserId] : [],
      ),
    });
    const candidates = new Map<string, AdoptionCandidate[]>();
    const rest = splitCandidates(subjects, assignments, candidates);
    for (const [adamId, ofApp] of candidates) {
      const result = await adoptAssignments(db, {
        spaceId,
        accountId,
        adamId,
        candidates: ofApp,
        startedAt: this.startedAt,
        now: this.deps.now(),
        unlist: true,
      });
      this.adopted.push(...result.adopted);
      rest.push(...result.left);
    }
    this.outside += rest.length;
    await appendOutside(db, { spaceId, accountId, assignments: rest });
  }
}

/** The assignments that name a subject of the space go to `candidates` (by app); returns the others. */
function splitCandidates(
  subjects: AdoptionSubjects,
  assignments: readonly OutsideAssignment[],
  candidates: Map<string, AdoptionCandidate[]>,
): OutsideAssignment[] {
  // A location taken over holds mostly assignments that name no one of Orchard's.
  if (subjects.devices.size === 0 && subjects.users.size === 0) return [...assignments];
  const rest: OutsideAssignment[] = [];
  for (const a of assignments) {
    const candidate = candidateOf(subjects, a);
    if (!candidate) {
      rest.push(a);
      continue;
    }
    const ofApp = candidates.get(a.adamId);
    if (ofApp) ofApp.push(candidate);
    else candidates.set(a.adamId, [candidate]);
  }
  return rest;
}

/**
 * DB2, UB3: subjects that waited for an app they now hold (adopted) are decided again: they
 * keep the license, leave the queue, and the MDM installs the app where it is missing (LT2).
 */
export async function serveAdopted(deps: SyncDeps, spaceId: string, adopted: readonly AdoptedLicense[]) {
  const byApp = new Map<string, AdoptedLicense[]>();
  for (const l of adopted) {
    const ofApp = byApp.get(l.adamId);
    if (ofApp) ofApp.push(l);
    else byApp.set(l.adamId, [l]);
  }
  for (const [adamId, licenses] of byApp) {
    const requests = await waitingOfAdopted(deps.db, spaceId, adamId, {
      deviceIds: licenses.flatMap((l) => (l.deviceId ? [l.deviceId] : [])),
      userIds: licenses.flatMap((l) => (l.userId ? [l.userId] : [])),
    });
    for (let i = 0; i < requests.length; i += 1000) {
      await deps.allocate({ spaceId, adamId, requests: requests.slice(i, i + 1000), actor: SYSTEM });
    }
  }
}
