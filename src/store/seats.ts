import { sql } from "kysely";
import { afterCommit, type Db, type Trx } from "./database.js";
import { StoreError } from "./errors.js";
import { inList } from "./sql-helpers.js";
import type { WorldSnapshot } from "./world.js";

/**
 * Seat bookkeeping of one allocation, over a snapshot whose asset rows are locked:
 * each grant takes a seat of its account, and a reserved grant uses up its
 * reservation (DI6), so the next decision in the batch sees the new counts.
 */
export function lockedSeats(snapshot: WorldSnapshot) {
  const taken = new Map<string, number>();
  const index = new Map(snapshot.accounts.map((a, i) => [a.id, i]));
  // Each account taken from is copied once (with its asset and rules), then counted in place:
  // a storm batch takes a thousand seats of one account.
  const own = new Set<number>();
  return {
    take(accountId: string, reserved: boolean): void {
      const i = index.get(accountId);
      const shared = i === undefined ? undefined : snapshot.accounts[i];
      if (i === undefined || !shared?.asset) {
        throw new StoreError("overcommit", `grant from account ${accountId}, which has no seat of this app`);
      }
      // Invariant 1 does not rest on the engine alone: a grant past the total aborts the batch.
      if (shared.asset.used >= shared.asset.total) {
        throw new StoreError("overcommit", `account ${accountId} has no free seat`, { accountId });
      }
      const asset = own.has(i) ? shared.asset : { ...shared.asset };
      const rules = own.has(i) ? shared.rules : { ...shared.rules };
      if (!own.has(i)) {
        snapshot.accounts[i] = { ...shared, asset, rules };
        own.add(i);
      }
      asset.used += 1;
      if (reserved) rules.unusedReservations = Math.max(0, rules.unusedReservations - 1);
      taken.set(accountId, (taken.get(accountId) ?? 0) + 1);
    },
    taken: (): ReadonlyMap<string, number> => taken,
  };
}

/**
 * Locks the asset rows of these licenses' (account, app) pairs, as `lockAssets` does, with
 * those of `also` (assignments made outside Orchard settled in the same transaction) in
 * the same order.
 */
export async function lockAssetsOfLicenses(
  trx: Trx,
  spaceId: string,
  licenseIds: readonly string[],
  also: ReadonlyArray<{ accountId: string; adamId?: string | undefined }> = [],
): Promise<void> {
  const keys =
    licenseIds.length === 0
      ? []
      : await trx
          .selectFrom("licenses")
          .select(["account_id", "adam_id"])
          .distinct()
          .where("space_id", "=", spaceId)
          .where(inList("id", licenseIds))
          .execute();
  await lockAssets(trx, spaceId, [
    ...keys.map((k) => ({ accountId: k.account_id, adamId: k.adam_id })),
    ...also.flatMap((a) => (a.adamId === undefined ? [] : [{ accountId: a.accountId, adamId: a.adamId }])),
  ]);
}

/** Locks every asset row of an account, in the same order (a sync, an account's data cleared). */
export async function lockAssetsOfAccount(trx: Trx, spaceId: string, accountId: string): Promise<void> {
  await trx
    .selectFrom("assets")
    .select("adam_id")
    .where("space_id", "=", spaceId)
    .where("account_id", "=", accountId)
    .orderBy("adam_id")
    .forNoKeyUpdate()
    .execute();
}

export async function lockAssets(
  trx: Trx,
  spaceId: string,
  keys: ReadonlyArray<{ accountId: string; adamId: string }>,
): Promise<void> {
  if (keys.length === 0) return;
  // The pairs as two array parameters, not two parameters and an OR branch each: a resync
  // releasing licenses of every app of an account must not depend on how many apps it has.
  const pairs = sql<boolean>`(account_id, adam_id) in (select * from unnest(
    ${keys.map((k) => k.accountId)}::text[], ${keys.map((k) => k.adamId)}::text[]))`;
  await trx
    .selectFrom("assets")
    .select("adam_id")
    .where("space_id", "=", spaceId)
    .where(pairs)
    .orderBy("adam_id")
    .orderBy("account_id")
    .forNoKeyUpdate()
    .execute();
}

/** An app of a space that has a seat back. */
export interface FreedSeats {
  spaceId: string;
  adamId: string;
}

type SeatsListener = (freed: readonly FreedSeats[]) => Promise<void>;

const seatsListeners = new WeakMap<Db, Set<{ listener: SeatsListener; onError: (error: unknown) => void }>>();
const announcedIn = new WeakMap<object, Map<string, FreedSeats>>();

/**
 * DB2: `listener` learns which apps got seats back at once (announceSeatsFreed), once the
 * transaction that gave them back has committed, before it returns to its caller. The
 * work has committed then: what the listener throws goes to `onError`, not to the caller.
 * Returns the unsubscription.
 */
export function onSeatsFreed(db: Db, listener: SeatsListener, onError: (error: unknown) => void): () => void {
  const listeners = seatsListeners.get(db) ?? new Set();
  seatsListeners.set(db, listeners);
  const entry = { listener, onError };
  listeners.add(entry);
  return () => listeners.delete(entry);
}

/**
 * Seats given back by a change that nothing else follows with the queue: a license released
 * before it reached Apple (RV2) by a revocation, an MDM event or a move. Apple's results
 * and syncs serve the queue themselves, after their counts are set right (effects.ts,
 * sync.ts): a seat announced before that could go to a subject Apple just refused (9709).
 * Each app is announced once per transaction.
 */
export async function announceSeatsFreed(trx: Trx, freed: readonly FreedSeats[]): Promise<void> {
  if (freed.length === 0) return;
  let apps = announcedIn.get(trx);
  if (!apps) {
    const pending = new Map<string, FreedSeats>();
    apps = pending;
    announcedIn.set(trx, pending);
    await afterCommit(trx, async (db) => {
      const all = [...pending.values()];
      for (const { listener, onError } of seatsListeners.get(db) ?? []) {
        await listener(all).catch(onError);
      }
    });
  }
  for (const f of freed) apps.set(`${f.spaceId}/${f.adamId}`, { spaceId: f.spaceId, adamId: f.adamId });
}

/** The seats these licenses held, given back: counted per (account, app), then returnSeats. */
export async function returnSeatsOf(
  trx: Trx,
  spaceId: string,
  licenses: ReadonlyArray<{ accountId: string; adamId: string }>,
  now: Date,
): Promise<void> {
  const counts = new Map<string, { accountId: string; adamId: string; n: number }>();
  for (const l of licenses) {
    const key = `${l.accountId}/${l.adamId}`;
    const entry = counts.get(key) ?? { accountId: l.accountId, adamId: l.adamId, n: 0 };
    entry.n += 1;
    counts.set(key, entry);
  }
  await returnSeats(trx, spaceId, counts, now);
}

/** Gives seats back (a license released, or its assignment refused). */
export async function returnSeats(
  trx: Trx,
  spaceId: string,
  counts: ReadonlyMap<string, { accountId: string; adamId: string; n: number }>,
  now: Date,
): Promise<void> {
  for (const { accountId, adamId, n } of counts.values()) {
    await trx
      .updateTable("assets")
      .set({ used: sql`greatest(used - ${n}, 0)`, updated_at: now })
      .where("space_id", "=", spaceId)
      .where("account_id", "=", accountId)
      .where("adam_id", "=", adamId)
      .execute();
  }
}
