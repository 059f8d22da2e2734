import { sql } from "kysely";
import {
  type AdoptedLicense,
  type AdoptionCandidate,
  adoptAssignments,
  candidateOf,
  loadAdoptionSubjects,
} from "./adoption.repo.js";
import { afterCommit, type Db } from "./database.js";
import { listedNaming } from "./outside-assignments.repo.js";
import { normalizeSerial } from "./serial-number.js";

/**
 * AC7: a device created or set up again in Orchard, or a user given their clientUserId,
 * adopts at once the assignment made outside Orchard that an account's list already holds
 * for it (its serial number in any case, its clientUserId), as the next full resync would:
 * same rules (adoption.repo.ts), the license `assigned` with its `license.adopted` line,
 * taken out of the list in the same transaction so that its seat is counted once. Accounts
 * in priority order: a subject listed by two accounts for one app adopts the first's.
 */

/** What follows an adoption outside a sync (compose.ts: the waiting requests it serves, DB2). */
type AdoptedListener = (spaceId: string, adopted: readonly AdoptedLicense[]) => Promise<void>;

const listenersOf = new WeakMap<Db, Set<{ listener: AdoptedListener; onError: (error: unknown) => void }>>();

/** `listener` learns what creations adopted, after it committed; its errors and adoption's go to `onError`. */
export function onListedAdopted(
  db: Db,
  listener: AdoptedListener,
  onError: (error: unknown) => void,
): () => void {
  const listeners = listenersOf.get(db) ?? new Set();
  listenersOf.set(db, listeners);
  const entry = { listener, onError };
  listeners.add(entry);
  return () => listeners.delete(entry);
}

/**
 * Adopts what the lists hold for these devices and users once the caller's transaction has
 * committed (they are there to be named then; `afterCommit`), or now outside one. An
 * adoption that fails leaves the device or user created: it goes to the listeners' `onError`
 * (the next full resync adopts it), and is thrown only where none listens (tests, scripts).
 */
export async function adoptListedLater(
  db: Db,
  input: { spaceId: string; deviceIds?: readonly string[]; userIds?: readonly string[]; now?: Date },
): Promise<void> {
  if ((input.deviceIds?.length ?? 0) + (input.userIds?.length ?? 0) === 0) return;
  await afterCommit(db, async (committed) => {
    const listeners = [...(listenersOf.get(committed) ?? [])];
    let adopted: AdoptedLicense[];
    try {
      adopted = await adoptListed(committed, { ...input, now: input.now ?? new Date() });
    } catch (error) {
      if (listeners.length === 0) throw error;
      for (const { onError } of listeners) onError(error);
      return;
    }
    if (adopted.length === 0) return;
    for (const { listener, onError } of listeners) await listener(input.spaceId, adopted).catch(onError);
  });
}

/** Adopts what the accounts' lists hold for these devices (active ones) and users (not deleted). */
export async function adoptListed(
  db: Db,
  input: { spaceId: string; deviceIds?: readonly string[]; userIds?: readonly string[]; now: Date },
): Promise<AdoptedLicense[]> {
  const { spaceId, now } = input;
  // Most spaces hold no list: one look at the snapshots, and nothing else is read.
  const anyList = await db
    .selectFrom("outside_assignment_snapshots")
    .select("account_id")
    .where("space_id", "=", spaceId)
    .limit(1)
    .executeTakeFirst();
  if (!anyList) return [];
  const deviceIds = [...(input.deviceIds ?? [])];
  const userIds = [...(input.userIds ?? [])];
  const devices =
    deviceIds.length === 0
      ? []
      : await db
          .selectFrom("devices")
          .select("serial_number")
          .where("space_id", "=", spaceId)
          // One array, not a parameter per id: a creation may name hundreds of thousands.
          .where(sql<boolean>`id = any(${deviceIds}::text[])`)
          .where("status", "=", "active")
          .execute();
  const users =
    userIds.length === 0
      ? []
      : await db
          .selectFrom("users")
          .select("apple_client_user_id")
          .where("space_id", "=", spaceId)
          .where(sql<boolean>`id = any(${userIds}::text[])`)
          .where("deleted_at", "is", null)
          .execute();
  const naming = {
    serialKeys: devices.map((d) => normalizeSerial(d.serial_number)),
    clientUserIds: users.flatMap((u) => (u.apple_client_user_id ? [u.apple_client_user_id] : [])),
  };
  const listed = await listedNaming(db, { spaceId, ...naming });
  if (listed.length === 0) return [];
  const subjects = await loadAdoptionSubjects(db, spaceId, naming);
  const accounts = await db
    .selectFrom("accounts")
    .select("id")
    .where("space_id", "=", spaceId)
    .where("health", "<>", "deleting")
    .orderBy("priority")
    .orderBy("id")
    .execute();
  const adopted: AdoptedLicense[] = [];
  for (const { id: accountId } of accounts) {
    const byApp = new Map<string, AdoptionCandidate[]>();
    for (const { accountId: of, ...a } of listed) {
      if (of !== accountId) continue;
      const candidate = candidateOf(subjects, a);
      if (!candidate) continue;
      byApp.set(a.adamId, [...(byApp.get(a.adamId) ?? []), candidate]);
    }
    for (const [adamId, candidates] of byApp) {
      const result = await adoptAssignments(db, {
        spaceId,
        accountId,
        adamId,
        candidates,
        startedAt: now,
        now,
        unlist: true,
        listedOnly: true,
      });
      adopted.push(...result.adopted);
    }
  }
  return adopted;
}
