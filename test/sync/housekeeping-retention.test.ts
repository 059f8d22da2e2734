import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { createSpace } from "../../src/store/index.js";
import { DEFAULT_RETENTION } from "../../src/store/retention.repo.js";
import { makeSyncDeps, type SyncLogger, startWorker } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { appleNotificationAt } from "../store/fixtures.js";

const DAY = 86_400_000;
const MINUTE = 60_000;

/**
 * The worker's housekeeping prunes history past its retention (store/retention.repo.ts):
 * at most once an hour, a log line with the counts when it deleted anything, and a failure
 * logged without failing the job.
 */
describeEachDatabase("housekeeping: history past its retention", (tdb) => {
  const db = () => tdb().store.db;

  function setUp(retention = DEFAULT_RETENTION) {
    let now = new Date("2026-03-01T12:00:00Z");
    const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
    const logger: SyncLogger = {
      info: (fields, message) => void lines.push({ level: "info", fields, message }),
      warn: (fields, message) => void lines.push({ level: "warn", fields, message }),
      error: (fields, message) => void lines.push({ level: "error", fields, message }),
    };
    const deps = makeSyncDeps({
      db: db(),
      keys: tdb().store.keys,
      // Never called: the database holds no account.
      appleBaseUrl: "http://127.0.0.1:9",
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      now: () => now,
      logger,
    });
    const worker = startWorker(deps, { engine: tdb().engine, schedule: false, retention });
    return {
      worker,
      lines,
      advance: (ms: number) => {
        now = new Date(now.getTime() + ms);
      },
      now: () => now,
    };
  }

  const appleNotification = (spaceId: string, receivedAt: Date) =>
    appleNotificationAt(db(), spaceId, receivedAt);

  const left = async (spaceId: string) =>
    (
      await db()
        .selectFrom("apple_notifications")
        .select("dedupe_key")
        .where("space_id", "=", spaceId)
        .execute()
    ).map((r) => r.dedupe_key);

  it("prunes at most once an hour, and logs the counts when it pruned", async () => {
    const { worker, lines, advance, now } = setUp();
    try {
      const spaceId = (await createSpace(db(), { name: `space ${randomUUID().slice(0, 8)}` })).id;
      await appleNotification(spaceId, new Date(now().getTime() - 31 * DAY));
      const recent = await appleNotification(spaceId, new Date(now().getTime() - 29 * DAY));

      expect(await worker.runJob("housekeeping")).toBe(true);
      expect(await left(spaceId)).toEqual([recent]);
      const pruned = lines.filter((l) => l.message === "history past its retention pruned");
      expect(pruned).toHaveLength(1);
      expect(pruned[0]?.fields.pruned).toMatchObject({ apple_notifications: 1, mdm_commands: 0 });

      // Within the hour: not again.
      const late = await appleNotification(spaceId, new Date(now().getTime() - 40 * DAY));
      advance(59 * MINUTE);
      expect(await worker.runJob("housekeeping")).toBe(true);
      expect((await left(spaceId)).sort()).toEqual([late, recent].sort());

      // An hour after the last prune.
      advance(MINUTE);
      expect(await worker.runJob("housekeeping")).toBe(true);
      expect(await left(spaceId)).toEqual([recent]);
      expect(lines.filter((l) => l.message === "history past its retention pruned")).toHaveLength(2);

      // Nothing to prune: no line.
      advance(60 * MINUTE);
      expect(await worker.runJob("housekeeping")).toBe(true);
      expect(lines.filter((l) => l.message === "history past its retention pruned")).toHaveLength(2);
      expect(lines.filter((l) => l.level !== "info")).toEqual([]);
    } finally {
      await worker.stop();
    }
  });

  it("logs a failed prune and lets the job end as usual", async () => {
    // A policy no date can be computed from: the prune throws part-way.
    const { worker, lines } = setUp({ ...DEFAULT_RETENTION, appleNotificationDays: Number.NaN });
    try {
      expect(await worker.runJob("housekeeping")).toBe(true);
      expect(lines.map((l) => `${l.level}: ${l.message}`)).toEqual(["warn: history not pruned"]);
    } finally {
      await worker.stop();
    }
  });
});
