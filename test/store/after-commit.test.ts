import { expect, it } from "vitest";
import {
  type FreedSeats,
  failAssignment,
  onSeatsFreed,
  releaseLicenses,
  requestLicenses,
  withTransaction,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("seats given back at once, announced once committed", (database) => {
  /** Two devices granted the app's two seats, their associations still in the outbox; what `onSeatsFreed` hears. */
  async function twoGranted(listen: (freed: readonly FreedSeats[]) => Promise<void> = async () => {}) {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, String(400_000_000 + Math.floor(Math.random() * 1e8)));
    await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2 });
    const results = await requestLicenses(db, {
      spaceId: space.id,
      adamId,
      requests: (await devices(db, space.id, 2)).map((d) => ({
        spaceId: space.id,
        adamId,
        subject: { kind: "device" as const, deviceId: d.id },
        why: "mandatory" as const,
      })),
      actor: SYSTEM,
      now: NOW,
    });
    const licenseIds = results.map((r) => r.licenseId ?? "");
    expect(licenseIds.filter(Boolean)).toHaveLength(2);
    const heard: Array<Array<FreedSeats & { used: number }>> = [];
    const errors: unknown[] = [];
    const used = async () =>
      (
        await db
          .selectFrom("assets")
          .select("used")
          .where("space_id", "=", space.id)
          .where("adam_id", "=", adamId)
          .executeTakeFirstOrThrow()
      ).used;
    const stop = onSeatsFreed(
      db,
      async (freed) => {
        // After the commit: the listener reads the seats given back.
        const seats = await used();
        heard.push(freed.map((f) => ({ ...f, used: seats })));
        await listen(freed);
      },
      (error) => errors.push(error),
    );
    const release = (on: typeof db, ids: readonly string[]) =>
      releaseLicenses(on, { spaceId: space.id, licenseIds: ids, actor: SYSTEM, now: NOW, because: ["RV2"] });
    return { db, space, adamId, licenseIds, heard, errors, stop, release };
  }

  it("DB2, RV2: a license released before it reached Apple announces its app once committed, with the seat back", async () => {
    const { space, adamId, licenseIds, heard, stop, release } = await twoGranted();
    try {
      const released = await release(database().store.db, licenseIds);
      expect(released.map((l) => l.state)).toEqual(["released", "released"]);
      expect(heard).toEqual([[{ spaceId: space.id, adamId, used: 0 }]]);
    } finally {
      stop();
    }
  });

  it("DB2, RV2: releases inside a larger transaction announce the app once, when it commits, and never when it rolls back", async () => {
    const { db, space, adamId, licenseIds, heard, stop, release } = await twoGranted();
    const [first, second] = licenseIds;
    try {
      await expect(
        withTransaction(db, async (trx) => {
          await release(trx, [first ?? ""]);
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect(heard).toEqual([]);
      await withTransaction(db, async (trx) => {
        await release(trx, [first ?? ""]);
        expect(heard).toEqual([]);
        await release(trx, [second ?? ""]);
      });
      expect(heard).toEqual([[{ spaceId: space.id, adamId, used: 0 }]]);
    } finally {
      stop();
    }
  });

  it("DB2: a seat Apple's refusal gives back is not announced: the worker serves the queue after its recount (9709)", async () => {
    const { db, space, licenseIds, heard, stop } = await twoGranted();
    try {
      await failAssignment(db, { spaceId: space.id, licenseIds, actor: SYSTEM, now: NOW, reason: "9709" });
      expect(heard).toEqual([]);
    } finally {
      stop();
    }
  });

  it("DB2: a listener that fails does not fail the committed release; its error goes to the subscriber", async () => {
    const { licenseIds, heard, errors, stop, release } = await twoGranted(async () => {
      throw new Error("queue unreachable");
    });
    try {
      const released = await release(database().store.db, licenseIds);
      expect(released).toHaveLength(2);
      expect(heard).toHaveLength(1);
      expect(errors.map(String)).toEqual(["Error: queue unreachable"]);
    } finally {
      stop();
    }
  });
});
