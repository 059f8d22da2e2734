import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { expect, it } from "vitest";
import { settleFeedAfterRestore } from "../../src/store/activity.repo.js";
import {
  FEED_SCAN,
  type FeedPosition,
  type FeedSubject,
  readActivityFeed,
} from "../../src/store/activity-view.repo.js";
import { activityMessage, appendActivity, createSpace, type Db } from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { NOW, SYSTEM } from "./fixtures.js";

const START: FeedPosition = { xid: "0", seq: 0 };
const line = (spaceId: string, tag: string, ids: { licenseId?: string; deviceId?: string } = {}) => ({
  spaceId,
  actor: SYSTEM,
  action: "license.granted",
  ...ids,
  ruleIds: [tag],
  message: activityMessage("license.granted_device"),
  at: NOW,
});
/** The tags (rule ids) of the lines a read gave. */
const tags = (items: ReadonlyArray<{ ruleIds: string[] }>) => items.map((i) => i.ruleIds[0]);

/** Reads from `after` to the end, page by page, as a client follows `next`. */
async function readAll(
  db: Db,
  spaceId: string,
  after: FeedPosition | "now",
  limit = 100,
  about?: FeedSubject[],
): Promise<{ tags: (string | undefined)[]; next: FeedPosition; pages: number }> {
  const read: (string | undefined)[] = [];
  let position = after;
  for (let pages = 1; pages <= 1000; pages++) {
    const page = await readActivityFeed(db, spaceId, { after: position, limit, ...(about ? { about } : {}) });
    if (!page) throw new Error("position refused");
    read.push(...tags(page.items));
    position = page.next;
    if (!page.hasMore) return { tags: read, next: page.next, pages };
  }
  throw new Error("the feed never ended");
}

/**
 * A space's feed waits for every transaction of the server running before its lines, other
 * databases' too (transaction ids are the cluster's): another test file's open transaction
 * delays it (up to a minute here). Reads until `want` lines came, within that bound.
 */
async function readUntil(db: Db, spaceId: string, after: FeedPosition, want: number) {
  let got = await readAll(db, spaceId, after);
  for (let tries = 0; got.tags.length < want && tries < 2400; tries++) {
    await new Promise((r) => setTimeout(r, 25));
    got = await readAll(db, spaceId, after);
  }
  return got;
}

describeEachDatabase("activity feed", (database) => {
  it("invariant 4: the feed gives every line once, in order, page by page, and goes on from its cursor", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: `feed ${randomUUID()}` });
    const other = await createSpace(db, { name: `other ${randomUUID()}` });
    await appendActivity(db, [line(other.id, "elsewhere")]);
    for (const tag of ["a", "b", "c", "d", "e"]) await appendActivity(db, [line(space.id, tag)]);

    const first = await readUntil(db, space.id, START, 5);
    expect(first.tags).toEqual(["a", "b", "c", "d", "e"]);
    const paged = await readAll(db, space.id, START, 2);
    expect(paged.tags).toEqual(["a", "b", "c", "d", "e"]);
    expect(paged.pages).toBe(3);

    // From the last cursor: nothing, the same cursor again (an idle feed's answer does not change), then only what came since.
    expect(await readAll(db, space.id, first.next)).toEqual({ tags: [], next: first.next, pages: 1 });
    await appendActivity(db, [line(space.id, "f"), line(space.id, "g")]);
    expect((await readUntil(db, space.id, first.next, 2)).tags).toEqual(["f", "g"]);
  });

  it("invariant 4: `now` starts after what is there; `about` keeps the lines naming those subjects", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: `feed ${randomUUID()}` });
    await appendActivity(db, [line(space.id, "before")]);
    const now = await readActivityFeed(db, space.id, { after: "now", limit: 10 });
    expect(now?.items).toEqual([]);
    await appendActivity(db, [
      line(space.id, "license", { licenseId: randomUUID() }),
      line(space.id, "device", { deviceId: randomUUID() }),
      line(space.id, "none"),
    ]);
    const next = now?.next as FeedPosition;
    expect((await readUntil(db, space.id, next, 3)).tags).toEqual(["license", "device", "none"]);
    expect((await readAll(db, space.id, next, 10, ["device"])).tags).toEqual(["device"]);
    expect((await readAll(db, space.id, next, 10, ["license", "device"])).tags).toEqual([
      "license",
      "device",
    ]);
  });

  it("invariant 4: a filtered read looks at FEED_SCAN lines at most, then says where it stopped, so a rare subject far behind costs no more", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: `feed ${randomUUID()}` });
    await appendActivity(
      db,
      Array.from({ length: FEED_SCAN + 3 }, (_, i) => line(space.id, `plain-${i}`)),
    );
    await appendActivity(db, [line(space.id, "device", { deviceId: randomUUID() })]);
    await readUntil(db, space.id, START, FEED_SCAN + 4);
    const first = await readActivityFeed(db, space.id, { after: START, limit: 10, about: ["device"] });
    expect(first?.items).toEqual([]);
    expect(first?.hasMore).toBe(true);
    // It stopped at the FEED_SCAN-th line: the next read starts right after it.
    const scanned = await readActivityFeed(db, space.id, { after: START, limit: FEED_SCAN });
    expect(first?.next).toEqual(scanned?.next);
    const second = await readActivityFeed(db, space.id, {
      after: first?.next as FeedPosition,
      limit: 10,
      about: ["device"],
    });
    expect(tags(second?.items ?? [])).toEqual(["device"]);
    expect(second?.hasMore).toBe(false);
  });

  it("invariant 4: after a restore into another cluster, restored lines come first and a cursor from before is refused", async () => {
    const { db } = database().store;
    const space = await createSpace(db, { name: `feed ${randomUUID()}` });
    await appendActivity(db, [line(space.id, "old-1"), line(space.id, "old-2")]);
    // A restore keeps the lines' transaction ids, higher than any the new cluster ran.
    const future = "900000000000";
    await sql`update activity_log set xid = ${future}::xid8 where space_id = ${space.id}`.execute(db);
    const oldCursor = { xid: future, seq: 1 };
    expect(await readActivityFeed(db, space.id, { after: oldCursor, limit: 10 })).toBeUndefined();

    expect(await settleFeedAfterRestore(db)).toBeGreaterThanOrEqual(2);
    await appendActivity(db, [line(space.id, "new")]);
    expect((await readUntil(db, space.id, START, 3)).tags).toEqual(["old-1", "old-2", "new"]);
    expect(await readActivityFeed(db, space.id, { after: oldCursor, limit: 10 })).toBeUndefined();
    expect(await settleFeedAfterRestore(db)).toBe(0);
  });

  it("invariant 4: a line whose transaction commits after a later line's is read, not skipped (PostgreSQL)", async (context) => {
    const { engine, url, store } = database();
    // One connection serves PGlite: transactions never overlap there.
    if (engine !== "postgres" || !url) return context.skip();
    const space = await createSpace(store.db, { name: `feed ${randomUUID()}` });
    const slow = new pg.Client({ connectionString: url });
    await slow.connect();
    try {
      const insert = (tag: string) =>
        `insert into activity_log (space_id, actor_kind, action, rule_ids, message)
         values ('${space.id}', 'system', 'license.granted', '{${tag}}', 'x')`;
      await slow.query("begin");
      await slow.query(insert("first")); // its seq is taken now, its commit comes last
      await appendActivity(store.db, [line(space.id, "second")]);
      const during = await readAll(store.db, space.id, START);
      // A cursor on seq would be past "first" now; the feed waits for it instead.
      expect(during.tags).toEqual([]);
      await slow.query("commit");
      const after = await readUntil(store.db, space.id, during.next, 2);
      expect(after.tags).toEqual(["first", "second"]);
    } finally {
      await slow.end();
    }
  });

  it("invariant 4: writers committing in any order while a reader follows: each line read exactly once (PostgreSQL)", async (context) => {
    const { engine, url, store } = database();
    if (engine !== "postgres" || !url) return context.skip();
    const space = await createSpace(store.db, { name: `feed ${randomUUID()}` });
    const pool = new pg.Pool({ connectionString: url, max: 6 });
    const written: string[] = [];
    const read: (string | undefined)[] = [];
    let writing = true;
    try {
      const writer = async (w: number) => {
        for (let i = 0; i < 15; i++) {
          const client = await pool.connect();
          try {
            await client.query("begin");
            const tag = `w${w}-${i}`;
            await client.query(
              `insert into activity_log (space_id, actor_kind, action, rule_ids, message)
               values ($1, 'system', 'license.granted', array[$2], 'x')`,
              [space.id, tag],
            );
            // Some commit late, after others' later lines.
            await new Promise((r) => setTimeout(r, (w * 7 + i * 13) % 20));
            await client.query("commit");
            written.push(tag);
          } finally {
            client.release();
          }
        }
      };
      const reader = async () => {
        let position: FeedPosition = START;
        for (let round = 0; round < 12_000 && (writing || read.length < written.length); round++) {
          const page = await readActivityFeed(store.db, space.id, { after: position, limit: 7 });
          if (!page) throw new Error("position refused");
          read.push(...tags(page.items));
          position = page.next;
          if (!page.hasMore) await new Promise((r) => setTimeout(r, 5));
        }
      };
      const readerDone = reader();
      await Promise.all([0, 1, 2, 3, 4].map(writer));
      writing = false;
      await readerDone;
    } finally {
      await pool.end();
    }
    expect(written).toHaveLength(75);
    expect([...read].sort()).toEqual([...written].sort());
  });
});
