import { afterAll, beforeAll, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { deleteGroup, findAsset, findGroup, getAppRules, upsertAsset } from "../../src/store/index.js";
import { allUsersRestored } from "../../src/store/migrations/0025_all_users_restored.js";
import { ensureAllUsersRules } from "../../src/store/sync-account-data.repo.js";
import { addAccount, resyncAccount } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, newAdamId, spaceWithApps } from "./fixtures.js";
import { type Harness, startHarness } from "./harness.js";

/**
 * AC1 writes FCFS rules naming All Users. The API no longer deletes it, but a space that
 * lost it before (the demo's "DELETE …/groups/all-users" answered 204) must not make every
 * later sync or account addition fail with a foreign key error: AC1 puts it back.
 */
describeEachDatabase("AC1 and the All Users group", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;
  /** What the API allowed before the group was protected. */
  const loseAllUsers = (spaceId: string) =>
    db().deleteFrom("groups").where("space_id", "=", spaceId).where("id", "=", ALL_USERS).execute();

  it("AC1: a space that lost All Users gets it back: adding an account, resyncing one that bought a new app, and a new asset all give All Users FCFS instead of failing", async () => {
    const [a, b] = [newAdamId(), newAdamId()];
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId: a, totalCount: 5 });
    const space = await spaceWithApps(db(), [a, b]);

    await loseAllUsers(space.id);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Main",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    expect(await findGroup(db(), space.id, ALL_USERS)).toMatchObject({ name: "All Users", builtIn: true });
    expect((await getAppRules(db(), space.id, account.id, a)).fcfs?.groupIds).toEqual([ALL_USERS]);

    await loseAllUsers(space.id); // its rules go with it (the foreign key cascades)
    h.sim.operator.buy(loc.uId, b, 3);
    await h.sim.operator.idle();
    await resyncAccount(h.deps, { spaceId: space.id, accountId: account.id, actor: ADMIN });
    expect((await findAsset(db(), space.id, account.id, b))?.total).toBe(3);
    expect((await getAppRules(db(), space.id, account.id, b)).fcfs?.groupIds).toEqual([ALL_USERS]);

    await loseAllUsers(space.id);
    const c = newAdamId();
    await upsertAsset(
      db(),
      {
        spaceId: space.id,
        accountId: account.id,
        adamId: c,
        pricingParam: "STDQ",
        productType: "App",
        total: 2,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      new Date(),
    );
    expect((await getAppRules(db(), space.id, account.id, c)).fcfs?.groupIds).toEqual([ALL_USERS]);

    // ensureAllUsersRules alone (an account turning "automatically distribute" on), for an app without rules.
    await loseAllUsers(space.id);
    await db()
      .deleteFrom("app_rules")
      .where("space_id", "=", space.id)
      .where("account_id", "=", account.id)
      .where("adam_id", "=", a)
      .execute();
    expect(await ensureAllUsersRules(db(), space.id, account.id, new Date())).toBe(1);
    expect((await getAppRules(db(), space.id, account.id, a)).fcfs?.groupIds).toEqual([ALL_USERS]);
  });

  it("AC1: the migration that protects All Users gives it back to every space that lost it, and leaves the others' as they are", async () => {
    const [lost, kept] = [await spaceWithApps(db(), []), await spaceWithApps(db(), [])];
    await loseAllUsers(lost.id);
    await db()
      .updateTable("groups")
      .set({ name: "Everyone" })
      .where("space_id", "=", kept.id)
      .where("id", "=", ALL_USERS)
      .execute();
    await allUsersRestored.up(db());
    expect(await findGroup(db(), lost.id, ALL_USERS)).toMatchObject({ name: "All Users", builtIn: true });
    expect((await findGroup(db(), kept.id, ALL_USERS))?.name).toBe("Everyone");
  });

  it("AC1, DI7: the store never deletes All Users, even asked directly and confirmed", async () => {
    const space = await spaceWithApps(db(), []);
    const result = await deleteGroup(db(), {
      spaceId: space.id,
      groupId: ALL_USERS,
      confirmed: true,
      actor: ADMIN,
      now: new Date(),
    });
    expect(result.outcome).toBe("built_in");
    expect(await findGroup(db(), space.id, ALL_USERS)).toBeDefined();
  });
});
