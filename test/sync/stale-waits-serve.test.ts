import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { expect, it } from "vitest";
import { putCatalogApp, requestLicensesFor } from "../../src/mdm/index.js";
import {
  createSpace,
  type Db,
  type DeviceRecord,
  listActivity,
  listLicensesForApp,
  listWaitingRequests,
  replaceInstalledApps,
  requestLicenses,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import type { Allocate } from "../../src/sync/deps.js";
import { makeSyncDeps, serveQueue } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { accountWithSeats, devices, NOW } from "../store/fixtures.js";

const ADMIN = { kind: "admin", id: "admin-race" } as const;

/**
 * DB2: serveQueue reads a page of the queue, then allocates it in a transaction of its own.
 * A catalog change between the two ("Install on device" turned off because seats ran out,
 * the app taken out of the catalog) must not let the freed seat install the app.
 */
describeEachDatabase("serving the queue checks each wait still applies", (database) => {
  const mdm = () => ({ db: database().store.db, now: () => NOW });

  /** The sync engine's queue serving, with `beforeAllocation` run once between the read and the allocation. */
  function serving(beforeAllocation: () => Promise<unknown>) {
    let raced = false;
    const allocate: Allocate = async (request) => {
      if (!raced) {
        raced = true;
        await beforeAllocation();
      }
      return requestLicensesFor(mdm(), request);
    };
    const { db, keys } = database().store;
    return makeSyncDeps({
      db,
      keys,
      appleBaseUrl: "http://127.0.0.1:9/never-called",
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "test" },
      now: () => NOW,
      fetch: async () => {
        throw new Error("Apple is not called by these tests");
      },
      allocate,
    });
  }

  /**
   * A mandatory app, two devices waiting for it (mandatory installs: no seat), the second
   * reporting it installed; then two seats are bought.
   */
  async function twoWaitingThenSeats(): Promise<{
    db: Db;
    spaceId: string;
    adamId: string;
    notInstalled: DeviceRecord;
    installed: DeviceRecord;
  }> {
    const { db, keys } = database().store;
    const adamId = `4${String(Date.now()).slice(-8)}`;
    const space = await createSpace(db, { name: `race ${randomUUID().slice(0, 8)}` });
    const spaceId = space.id;
    await accountWithSeats(db, keys, { spaceId, adamId, total: 0 });
    await putCatalogApp(mdm(), { spaceId, adamId, installOnDevice: true, actor: ADMIN });
    const [notInstalled, installed] = (await devices(db, spaceId, 2)) as [DeviceRecord, DeviceRecord];
    await replaceInstalledApps(db, spaceId, installed.id, [{ bundleId: "com.apple.keynote", adamId }], NOW);
    const results = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: [notInstalled, installed].map((d) => ({
        spaceId,
        adamId,
        subject: { kind: "device" as const, deviceId: d.id },
        why: "mandatory" as const,
      })),
      actor: { kind: "mdm" },
      now: NOW,
    });
    expect(results.map((r) => r.decision.outcome)).toEqual(["wait", "wait"]);
    await sql`update assets set total_count = 2 where space_id = ${spaceId} and adam_id = ${adamId}`.execute(
      db,
    );
    return { db, spaceId, adamId, notInstalled, installed };
  }

  const licensed = async (db: Db, spaceId: string, adamId: string) =>
    (await listLicensesForApp(db, spaceId, adamId)).map((l) => l.deviceId);
  const installs = async (db: Db, spaceId: string, deviceId: string) =>
    (await listMdmCommands(db, spaceId, { deviceId })).filter((c) => c.kind === "install");
  const left = async (db: Db, spaceId: string, adamId: string) =>
    (await listActivity(db, spaceId, { adamId, action: "queue.left" })).map((l) => ({
      deviceId: l.deviceId,
      key: l.messageKey,
      ruleIds: l.ruleIds,
      actor: l.actor,
    }));

  it("DB2, CA1: 'Install on device' turned off after the queue was read and before its allocation: the freed seat installs nothing on the device that no longer asks for it; the device that has the app installed is still served (LT2)", async () => {
    const { db, spaceId, adamId, notInstalled, installed } = await twoWaitingThenSeats();
    const deps = serving(() =>
      putCatalogApp(mdm(), { spaceId, adamId, installOnDevice: false, actor: ADMIN }),
    );

    expect(await serveQueue(deps, spaceId, adamId)).toBe(1);
    expect(await licensed(db, spaceId, adamId)).toEqual([installed.id]);
    expect(await installs(db, spaceId, notInstalled.id)).toEqual([]);
    expect(await listWaitingRequests(db, spaceId, adamId)).toEqual([]);
    // It left by the administrator's change, logged with it (not silently).
    expect(await left(db, spaceId, adamId)).toEqual([
      { deviceId: notInstalled.id, key: "queue.left_not_mandatory", ruleIds: ["CA1", "DB2"], actor: ADMIN },
    ]);
  });

  it("DB2, CA1: a wait whose reason went without a catalog change removing it (the row changed by another path) is not decided at its serve: it leaves with its line, by Orchard, and nothing is installed", async () => {
    const { db, spaceId, adamId, notInstalled, installed } = await twoWaitingThenSeats();
    const deps = serving(() =>
      sql`update catalog_apps set install_on_device = false where space_id = ${spaceId} and adam_id = ${adamId}`.execute(
        db,
      ),
    );

    expect(await serveQueue(deps, spaceId, adamId)).toBe(1);
    expect(await licensed(db, spaceId, adamId)).toEqual([installed.id]);
    expect(await installs(db, spaceId, notInstalled.id)).toEqual([]);
    expect(await listWaitingRequests(db, spaceId, adamId)).toEqual([]);
    expect(await left(db, spaceId, adamId)).toEqual([
      {
        deviceId: notInstalled.id,
        key: "queue.left_not_mandatory",
        ruleIds: ["CA1", "DB2"],
        actor: { kind: "system" },
      },
    ]);
  });

  it("DB2, CA3: the app taken out of the catalog after the queue was read: nobody is served, every wait leaves with its line", async () => {
    const { db, spaceId, adamId, notInstalled, installed } = await twoWaitingThenSeats();
    const deps = serving(() =>
      sql`update catalog_apps set in_catalog = false where space_id = ${spaceId} and adam_id = ${adamId}`.execute(
        db,
      ),
    );

    expect(await serveQueue(deps, spaceId, adamId)).toBe(0);
    expect(await licensed(db, spaceId, adamId)).toEqual([]);
    expect(await listWaitingRequests(db, spaceId, adamId)).toEqual([]);
    expect((await left(db, spaceId, adamId)).map((l) => [l.deviceId, l.key, l.ruleIds]).sort()).toEqual(
      [
        [notInstalled.id, "queue.left_catalog", ["CA3", "DB2"]],
        [installed.id, "queue.left_catalog", ["CA3", "DB2"]],
      ].sort(),
    );
  });

  it("DB2, CA1: a serve running while 'Install on device' is turned off in another transaction waits for it on the queue rows: once it commits, the device that no longer asks gets nothing (PostgreSQL: two connections)", async (ctx) => {
    if (database().engine !== "postgres") ctx.skip();
    const { db, spaceId, adamId, notInstalled, installed } = await twoWaitingThenSeats();
    let changed!: () => void;
    const isChanged = new Promise<void>((resolve) => {
      changed = resolve;
    });
    let commit!: () => void;
    const mayCommit = new Promise<void>((resolve) => {
      commit = resolve;
    });
    // The administrator's change, its transaction left open.
    const changing = db.transaction().execute(async (trx) => {
      await putCatalogApp(
        { db: trx, now: () => NOW },
        { spaceId, adamId, installOnDevice: false, actor: ADMIN },
      );
      changed();
      await mayCommit;
    });
    await isChanged;
    // A seat frees meanwhile: the queue is read (the rows are still there for others) and served.
    const served = serveQueue(
      serving(async () => undefined),
      spaceId,
      adamId,
    );
    let blocked = false;
    for (let i = 0; i < 300 && !blocked; i++) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
      blocked = (rows[0]?.n ?? 0) > 0;
      if (!blocked) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(blocked).toBe(true); // the serve waits on the row the change removes
    commit();
    await changing;
    expect(await served).toBe(1);
    expect(await licensed(db, spaceId, adamId)).toEqual([installed.id]);
    expect(await installs(db, spaceId, notInstalled.id)).toEqual([]);
    expect(await left(db, spaceId, adamId)).toEqual([
      { deviceId: notInstalled.id, key: "queue.left_not_mandatory", ruleIds: ["CA1", "DB2"], actor: ADMIN },
    ]);
  });

  it("DB2: with nothing changed, the same serve grants both waits in order (the check keeps what still applies)", async () => {
    const { db, spaceId, adamId, notInstalled, installed } = await twoWaitingThenSeats();
    const deps = serving(async () => undefined);
    expect(await serveQueue(deps, spaceId, adamId)).toBe(2);
    expect((await licensed(db, spaceId, adamId)).sort()).toEqual([notInstalled.id, installed.id].sort());
    expect(await left(db, spaceId, adamId)).toEqual([]);
  });
});
