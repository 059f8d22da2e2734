import { expect, it } from "vitest";
import { createGroup, setCatalogApp, upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, NOW } from "./harness.js";

interface Reply {
  statusCode: number;
  json: () => { code?: string; detail?: string; usedBy?: { rules: Array<{ adamId: string }> } };
}

interface ActivityLine {
  action: string;
  adamId?: string;
  messageKey?: string;
  messageParams?: Record<string, string | number>;
}

const ROUNDS = 30;
/** PUTs of one rule at once: one commits, the next holds the asset while the deletion locks the group. */
const PUTS = 3;
/** The deletion starts 0 to 3 ms after the PUTs, round by round. */
const STAGGER = 4;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KEYNOTE = "409183694";

/**
 * DI1, DI7: a group deleted while rules PUTs name it. The delete locks the rules' assets before
 * the group, as a rules change does (its asset, then the group through the foreign key), and
 * gives its locks back to take a rule's asset it did not know of: on PostgreSQL they wait for
 * each other instead of deadlocking (which answered 503). Every round ends one of two ways,
 * in order: a PUT that saved the rule came first, and the delete's confirm rule and `usedBy`
 * count that rule; or the group was gone, and the PUT is a 404 naming it.
 */
describeEachDatabase("a group deleted while rules PUTs name it", (database) => {
  it(`DI1, DI7: ${ROUNDS} rounds of ${PUTS} rules PUTs naming the group and its deletion at once: no deadlock (no 503), each outcome consistent with one order`, async () => {
    const store = database().store;
    const f = await buildFixture(store);
    const s = `/api/v1/spaces/${f.ids.spaceA}`;
    const spaceId = f.ids.spaceA;
    await upsertAsset(
      store.db,
      {
        spaceId,
        accountId: f.ids.accountA,
        adamId: KEYNOTE,
        pricingParam: "STDQ",
        productType: "App",
        name: "Keynote",
        total: 5,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      NOW,
    );
    await setCatalogApp(store.db, { spaceId, adamId: KEYNOTE, name: "Keynote" }, NOW);
    const send = async (method: "GET" | "PUT" | "DELETE", url: string, payload?: object): Promise<Reply> =>
      f.app.inject({
        method,
        url: `${s}${url}`,
        headers: auth(f.tokens.write),
        ...(payload ? { payload } : {}),
      });
    const rulesOf = (adamId: string) => `/accounts/${f.ids.accountA}/apps/${adamId}/rules`;
    const groupsOf = async (adamId: string): Promise<string[] | undefined> =>
      (
        (await send("GET", rulesOf(adamId))).json() as { fcfs?: { groups: Array<{ id: string }> } }
      ).fcfs?.groups.map((g) => g.id);
    const logged = async (action: string): Promise<ActivityLine[]> =>
      ((await send("GET", `/activity?action=${action}&pageSize=200`)).json() as { items: ActivityLine[] })
        .items;

    for (let round = 0; round < ROUNDS; round++) {
      const name = `Race ${round}`;
      const group = await createGroup(store.db, { spaceId, name });
      // Even rounds: Keynote's rule uses the group already and the deletion is confirmed.
      const confirmed = round % 2 === 0;
      if (confirmed)
        expect((await send("PUT", rulesOf(KEYNOTE), { fcfs: { groupIds: [group.id] } })).statusCode).toBe(
          200,
        );
      // Pages' rule takes the group in, PUT several times at once, while the group is deleted
      // (started a little later from round to round, to meet the PUTs at each of their steps).
      const pages = { fcfs: { groupIds: ["all-users", group.id] } };
      const deletion = `/groups/${group.id}${confirmed ? `?confirm=${encodeURIComponent(name)}` : ""}`;
      const [deleted, ...replies] = await Promise.all([
        sleep(round % STAGGER).then(() => send("DELETE", deletion)),
        ...Array.from({ length: PUTS }, () => send("PUT", rulesOf(f.ids.adamId), pages)),
      ]);
      const puts = replies.map((r) => r.statusCode);
      const where = `round ${round}: PUTs ${puts.join(", ")}, DELETE ${deleted.statusCode}`;
      // No deadlock: PostgreSQL chose none of them to give way (503 busy).
      expect(
        [deleted, ...replies].filter((r) => r.statusCode >= 500).map((r) => r.json().code),
        where,
      ).toEqual([]);
      // Saved before the deletion, or refused because the group was gone: nothing else.
      for (const put of replies) {
        expect([200, 404], where).toContain(put.statusCode);
        if (put.statusCode === 404)
          expect(put.json(), where).toMatchObject({
            code: "not_found",
            detail: `group ${group.id} does not exist`,
          });
      }
      const saved = puts.includes(200);
      if (deleted.statusCode === 409) {
        // Not confirmed, and a PUT came first: the group stays, named in Pages' rule (usedBy).
        expect(confirmed, where).toBe(false);
        expect(saved, where).toBe(true);
        expect(deleted.json(), where).toMatchObject({
          code: "group_in_use",
          usedBy: { rules: [{ adamId: f.ids.adamId }] },
        });
        expect(await groupsOf(f.ids.adamId), where).toEqual(["all-users", group.id]);
      } else {
        expect(deleted.statusCode, where).toBe(204);
        expect((await send("GET", `/groups/${group.id}`)).statusCode, where).toBe(404);
        // No rule names the group any more; a PUT that saved it came first, and the delete took it out (logged).
        expect(await groupsOf(f.ids.adamId), where).toEqual(["all-users"]);
        if (confirmed) expect(await groupsOf(KEYNOTE), where).toBeUndefined();
        const line = (await logged("group.deleted")).find((l) => l.messageParams?.name === name);
        const rules = (confirmed ? 1 : 0) + (saved ? 1 : 0);
        expect(line, where).toMatchObject(
          rules > 0
            ? { messageKey: "group.deleted_from_rules", messageParams: { name, rules } }
            : { messageKey: "group.deleted", messageParams: { name } },
        );
        const leftPages = (await logged("rules.updated")).filter(
          (l) => l.messageKey === "rules.group_deleted" && l.messageParams?.group === name,
        );
        expect(leftPages.map((l) => l.adamId).sort(), where).toEqual(
          [...(confirmed ? [KEYNOTE] : []), ...(saved ? [f.ids.adamId] : [])].sort(),
        );
      }
      // The next round starts from Pages' rule with All Users only.
      expect(
        (await send("PUT", rulesOf(f.ids.adamId), { fcfs: { groupIds: ["all-users"] } })).statusCode,
      ).toBe(200);
    }
  }, 120_000);
});
