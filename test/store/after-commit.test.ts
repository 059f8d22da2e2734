import { expect, it } from "vitest";
import { type FreedSeats, failAssignment, onSeatsFreed, withTransaction } from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, deviceLicenses, devices, NOW, SYSTEM, spaceWithApp } from "./fixtures.js";

describeEachDatabase("seats back, told once committed", (database) => {
  /** Two licenses waiting for Apple's answer, and what `onSeatsFreed` heard. */
  async function twoPending() {
    const { db, keys } = database().store;
    const { space, adamId } = await spaceWithApp(db, String(400_000_000 + Math.floor(Math.random() * 1e8)));
    const { account } = await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 2 });
    const licenseIds = await deviceLicenses(db, {
      spaceId: space.id,
      accountId: account.id,
      adamId,
      devices: await devices(db, space.id, 2),
      state: "pending_assign",
    });
    const heard: Array<Array<FreedSeats & { used: number }>> = [];
    const used = async () =>
      (
        await db
          .selectFrom("assets")
          .select("used")
          .where("space_id", "=", space.id)
          .where("adam_id", "=", adamId)
          .executeTakeFirstOrThrow()
      ).used;
    const stop = onSeatsFreed(db, async (freed) => {
      // The listener runs after the commit: it reads the seats given back.
      const seats = await used();
      heard.push(freed.map((f) => ({ ...f, used: seats })));
    });
    return { db, space, adamId, licenseIds, heard, stop };
  }

  it("DB2: a refused assignment's seat is announced after its transaction commits, once, with the app", async () => {
    const { db, space, adamId, licenseIds, heard, stop } = await twoPending();
    try {
      await failAssignment(db, { spaceId: space.id, licenseIds, actor: SYSTEM, now: NOW, reason: "9709" });
      expect(heard).toEqual([[{ spaceId: space.id, adamId, used: 0 }]]);
    } finally {
      stop();
    }
  });

  it("DB2: seats given back inside a larger transaction are announced when it commits, and never when it rolls back", async () => {
    const { db, space, adamId, licenseIds, heard, stop } = await twoPending();
    const [first, second] = licenseIds;
    try {
      await expect(
        withTransaction(db, async (trx) => {
          await failAssignment(trx, {
            spaceId: space.id,
            licenseIds: [first ?? ""],
            actor: SYSTEM,
            now: NOW,
            reason: "x",
          });
          throw new Error("rolled back");
        }),
      ).rejects.toThrow("rolled back");
      expect(heard).toEqual([]);
      await withTransaction(db, async (trx) => {
        await failAssignment(trx, {
          spaceId: space.id,
          licenseIds: [first ?? ""],
          actor: SYSTEM,
          now: NOW,
          reason: "x",
        });
        expect(heard).toEqual([]);
        await failAssignment(trx, {
          spaceId: space.id,
          licenseIds: [second ?? ""],
          actor: SYSTEM,
          now: NOW,
          reason: "x",
        });
      });
      expect(heard).toEqual([
        [{ spaceId: space.id, adamId, used: 0 }],
        [{ spaceId: space.id, adamId, used: 0 }],
      ]);
    } finally {
      stop();
    }
    // Unsubscribed: nothing more is heard.
    await failAssignment(db, { spaceId: space.id, licenseIds: [], actor: SYSTEM, now: NOW, reason: "x" });
    expect(heard).toHaveLength(2);
  });
});
