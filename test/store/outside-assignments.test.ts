import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import {
  createAccount,
  createSpace,
  findAsset,
  type OutboxRecord,
  upsertAsset,
  withTransaction,
} from "../../src/store/index.js";
import {
  completeOutsideSnapshot,
  discardOutsideGeneration,
  listOutsidePage,
  newOutsideGeneration,
  type OutsideAssignment,
  settleOutsideReleases,
  writeOutsidePage,
} from "../../src/store/outside-assignments.repo.js";
import { describeEachDatabase } from "./databases.js";

/**
 * AC7's list of assignments made outside Orchard (0031): written a page at a time by a
 * full walk, shown once the walk is complete, paged over rows of arrays, and taken out of
 * the list (a seat given back) when Apple confirms a release.
 */
describeEachDatabase("outside assignments", (tdb) => {
  const db = () => tdb().store.db;
  const NOW = new Date("2026-05-01T10:00:00Z");

  async function account() {
    const space = await createSpace(db(), { name: `s-${randomUUID()}` });
    const acc = await createAccount(db(), tdb().store.keys, {
      spaceId: space.id,
      displayName: "A",
      sToken: "x",
    });
    for (const adamId of ["100", "200"]) {
      await upsertAsset(
        db(),
        {
          spaceId: space.id,
          accountId: acc.id,
          adamId,
          pricingParam: "STDQ",
          productType: "App",
          total: 500,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
    }
    return { spaceId: space.id, accountId: acc.id };
  }
  const device = (adamId: string, serialNumber: string): OutsideAssignment => ({
    adamId,
    pricingParam: "STDQ",
    serialNumber,
  });
  const user = (adamId: string, clientUserId: string): OutsideAssignment => ({
    adamId,
    pricingParam: "STDQ",
    clientUserId,
  });

  it("AC7: pages of any size read the list in one order (app, kind, Apple's order), whichever rows they fall in", async () => {
    const ids = await account();
    const generation = await newOutsideGeneration(db());
    const page0 = [device("200", "B1"), device("100", "A1"), user("100", "u1"), device("100", "A2")];
    const page1 = [device("100", "A3"), device("200", "B2"), user("100", "u2")];
    await writeOutsidePage(db(), { ...ids, generation, page: 0, assignments: page0 });
    await writeOutsidePage(db(), { ...ids, generation, page: 1, assignments: page1 });
    // Not shown before the walk is complete.
    expect((await listOutsidePage(db(), { ...ids, page: 1, pageSize: 10 })).total).toBe(0);
    expect(await completeOutsideSnapshot(db(), { ...ids, generation, now: NOW })).toBe(true);
    const expected = ["A1", "A2", "A3", "u1", "u2", "B1", "B2"];
    const subject = (a: OutsideAssignment) => a.serialNumber ?? a.clientUserId;
    for (const pageSize of [1, 2, 3, 5, 7, 50]) {
      const seen: Array<string | undefined> = [];
      for (let page = 1; page <= Math.ceil(expected.length / pageSize); page++) {
        const listed = await listOutsidePage(db(), { ...ids, page, pageSize });
        expect(listed).toMatchObject({ total: 7, page, pageSize, syncedAt: NOW });
        seen.push(...listed.items.map(subject));
      }
      expect(seen, `pageSize ${pageSize}`).toEqual(expected);
    }
    const ofApp = await listOutsidePage(db(), { ...ids, adamId: "200", page: 1, pageSize: 10 });
    expect(ofApp).toMatchObject({ total: 2, items: [device("200", "B1"), device("200", "B2")] });
    expect((await listOutsidePage(db(), { ...ids, page: 3, pageSize: 5 })).items).toEqual([]);
  });

  it("AC3, AC7: a walk that stops leaves the previous list; of two walks, the one that began last wins, whichever ends first", async () => {
    const ids = await account();
    const first = await newOutsideGeneration(db());
    await writeOutsidePage(db(), { ...ids, generation: first, page: 0, assignments: [device("100", "OLD")] });
    await completeOutsideSnapshot(db(), { ...ids, generation: first, now: NOW });
    const stopped = await newOutsideGeneration(db());
    await writeOutsidePage(db(), {
      ...ids,
      generation: stopped,
      page: 0,
      assignments: [device("100", "HALF")],
    });
    await discardOutsideGeneration(db(), { ...ids, generation: stopped });
    const items = async () => (await listOutsidePage(db(), { ...ids, page: 1, pageSize: 10 })).items;
    expect(await items()).toEqual([device("100", "OLD")]);

    const early = await newOutsideGeneration(db());
    const late = await newOutsideGeneration(db());
    await writeOutsidePage(db(), {
      ...ids,
      generation: early,
      page: 0,
      assignments: [device("100", "EARLY")],
    });
    await writeOutsidePage(db(), { ...ids, generation: late, page: 0, assignments: [device("100", "LATE")] });
    expect(await completeOutsideSnapshot(db(), { ...ids, generation: late, now: NOW })).toBe(true);
    expect(await completeOutsideSnapshot(db(), { ...ids, generation: early, now: NOW })).toBe(false);
    expect(await items()).toEqual([device("100", "LATE")]);
    const rows = await db()
      .selectFrom("outside_assignments")
      .select("generation")
      .where("space_id", "=", ids.spaceId)
      .execute();
    expect(rows.map((r) => Number(r.generation))).toEqual([late]);
  });

  it("AC7: a release Apple confirms takes the assignment out of the list and gives one seat back, however many times Apple confirms it", async () => {
    const ids = await account();
    const generation = await newOutsideGeneration(db());
    await writeOutsidePage(db(), {
      ...ids,
      generation,
      page: 0,
      assignments: [device("100", "KEEP"), device("100", "FREE"), user("100", "gone-user")],
    });
    await completeOutsideSnapshot(db(), { ...ids, generation, now: NOW });
    await db()
      .updateTable("assets")
      .set({ used: 3 })
      .where("space_id", "=", ids.spaceId)
      .where("adam_id", "=", "100")
      .execute();
    const op = (seq: number, subject: { serialNumber?: string; clientUserId?: string }): OutboxRecord => ({
      seq,
      spaceId: ids.spaceId,
      accountId: ids.accountId,
      kind: "disassociate",
      adamId: "100",
      pricingParam: "STDQ",
      ...subject,
      state: "sent",
      attempts: 1,
      createdAt: NOW,
      updatedAt: NOW,
    });
    const settle = () =>
      withTransaction(db(), (trx) =>
        settleOutsideReleases(trx, {
          spaceId: ids.spaceId,
          released: [op(1, { serialNumber: "FREE" }), op(2, { clientUserId: "gone-user" })],
          refused: [],
          now: NOW,
        }),
      );
    await settle();
    await settle();
    expect((await findAsset(db(), ids.spaceId, ids.accountId, "100"))?.used).toBe(1);
    expect((await listOutsidePage(db(), { ...ids, page: 1, pageSize: 10 })).items).toEqual([
      device("100", "KEEP"),
    ]);
  });
});
