import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createSpace, listNotifications } from "../../src/store/index.js";
import { addAccount, makeSyncDeps, type SyncDeps, syncAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN } from "./fixtures.js";
import { FAST, type Harness, startHarness } from "./harness.js";

/** Counts the statements a database handle runs (queries of its transactions included). */
function counting(): KyselyPlugin & { count: number } {
  const plugin = {
    count: 0,
    transformQuery: (args: Parameters<KyselyPlugin["transformQuery"]>[0]) => {
      plugin.count += 1;
      return args.node;
    },
    transformResult: async (args: Parameters<KyselyPlugin["transformResult"]>[0]) => args.result,
  };
  return plugin;
}

/** A school's catalog: thousands of apps in one account, synced every 15 minutes. */
describeEachDatabase("an account of many apps", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Statements of one incremental sync of an account holding `apps` apps. */
  async function syncStatements(
    apps: number,
  ): Promise<{ statements: number; deps: SyncDeps; spaceId: string }> {
    const { db, keys } = tdb().store;
    const loc = h.newLocation();
    h.sim.operator.seed(loc.uId, { apps, licensesPerApp: 4, assignments: 0 });
    const space = await createSpace(db, { name: `many ${apps}` });
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: `Catalog ${apps}`,
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    const counter = counting();
    const deps = makeSyncDeps({
      db: db.withPlugin(counter),
      keys,
      appleBaseUrl: h.sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "test" },
      tuning: FAST,
    });
    await syncAccount(deps, { spaceId: space.id, accountId: account.id, mode: "incremental" });
    return { statements: counter.count, deps, spaceId: space.id };
  }

  it("AC1, AC3, NT1: a sync's statements do not grow with the account's apps (1,000 apps: as many as 15)", async () => {
    const few = await syncStatements(15);
    const many = await syncStatements(1_000);
    expect(few.statements).toBeGreaterThan(5);
    // Apple pages the assets list; each page is one transaction of a few statements.
    expect(many.statements).toBeLessThan(few.statements + 60);
    const { db } = tdb().store;
    // AC1: "automatically distribute" put FCFS for All Users on every app.
    const rules = await db
      .selectFrom("app_rules")
      .innerJoin("assets", (j) =>
        j
          .onRef("assets.space_id", "=", "app_rules.space_id")
          .onRef("assets.account_id", "=", "app_rules.account_id")
          .onRef("assets.adam_id", "=", "app_rules.adam_id"),
      )
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("app_rules.space_id", "=", many.spaceId)
      .where("app_rules.fcfs_enabled", "=", true)
      .executeTakeFirstOrThrow();
    expect(Number(rules.n)).toBe(1_000);
    // Counts as Apple has them; nothing used, nothing raised (NT1 looked at all 1,000).
    const assets = await db
      .selectFrom("assets")
      .select(["total_count", "used"])
      .where("space_id", "=", many.spaceId)
      .execute();
    expect(assets).toHaveLength(1_000);
    expect(assets.every((a) => a.total_count === 4 && a.used === 0)).toBe(true);
    expect(await listNotifications(db, many.spaceId, { open: true })).toHaveLength(0);
  });
});
