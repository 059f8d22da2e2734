/**
 * One scheduler at a time across `orchard worker` processes: a session-level PostgreSQL
 * advisory lock held on a connection reserved for it (released when the process dies,
 * so another worker takes over). Embedded PGlite is one process: the lock is local.
 */
import { sql } from "kysely";
import type { Db } from "../store/index.js";

export interface SchedulerLock {
  /** True when this process holds the lock (acquires it if free). */
  tryAcquire(): Promise<boolean>;
  release(): Promise<void>;
}

/** An arbitrary constant naming Orchard's scheduler among advisory locks ("orch" in ASCII). */
export const SCHEDULER_LOCK_KEY = 0x6f726368;

export function localLock(): SchedulerLock {
  return { tryAcquire: async () => true, release: async () => {} };
}

export function advisoryLock(db: Db, key = SCHEDULER_LOCK_KEY): SchedulerLock {
  let held: { release: () => void; done: Promise<void> } | undefined;
  return {
    async tryAcquire() {
      if (held) return true;
      return new Promise<boolean>((resolve, reject) => {
        let release: () => void = () => {};
        const hold = new Promise<void>((r) => {
          release = r;
        });
        const done = db
          .connection()
          .execute(async (conn) => {
            const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_lock(${key}) as ok`.execute(
              conn,
            );
            if (!rows[0]?.ok) {
              resolve(false);
              return;
            }
            held = { release, done: Promise.resolve() };
            resolve(true);
            await hold;
            await sql`select pg_advisory_unlock(${key})`.execute(conn);
          })
          .catch((error: unknown) => {
            reject(error);
          })
          .finally(() => {
            held = undefined;
          });
        void done;
      });
    },
    async release() {
      const current = held;
      if (!current) return;
      current.release();
      // Give the reserved connection back before returning.
      for (let i = 0; i < 100 && held; i++) await new Promise((r) => setTimeout(r, 5));
    },
  };
}
