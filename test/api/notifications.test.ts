import { expect, it } from "vitest";
import { notificationMessage, raiseNotification } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/** NT3 through the API: names, message keys, the folded NT1 levels, several acknowledged at once. */
describeEachDatabase("notifications API", (db) => {
  let f: Fixture;
  let s = "";
  const get = (url: string, token = f.tokens.write) => f.app.inject({ url, headers: auth(token) });
  const ack = (ids: unknown, token = f.tokens.write, space = s) =>
    f.app.inject({
      method: "POST",
      url: `${space}/notifications/acknowledge`,
      headers: auth(token),
      payload: { ids },
    });

  it("NT1, NT3: the grouped list returns the highest level with the lower ones folded, its key, params and the account's name", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    // The fixture raised 50 % for accountA and the app; 70 and 80 % follow.
    for (const percent of [70, 80])
      await raiseNotification(db().store.db, {
        spaceId: f.ids.spaceA,
        kind: "license_usage",
        severity: "warning",
        component: "Apps and Books",
        message: notificationMessage("usage.reached", { app: "Pages", account: "Main", percent }),
        accountId: f.ids.accountA,
        adamId: f.ids.adamId,
        threshold: percent,
        now: new Date(NOW.getTime() + percent * 1000),
      });
    const grouped = (await get(`${s}/notifications?acknowledged=false&group=true`)).json();
    expect(grouped.total).toBe(1);
    const [head] = grouped.items;
    expect(head).toMatchObject({
      threshold: 80,
      messageKey: "usage.reached",
      messageParams: { app: "Pages", account: "Main", percent: 80 },
      accountId: f.ids.accountA,
      accountName: expect.any(String),
    });
    expect(head.folded.map((x: { threshold: number }) => x.threshold)).toEqual([70, 50]);
    expect((await get(`${s}/notifications?acknowledged=false`)).json().total).toBe(3);
  });

  it("NT3: several are acknowledged at once; another space's answers 404; a reader may not; an empty list is refused", async () => {
    const list = (await get(`${s}/notifications?acknowledged=false`)).json();
    const ids = list.items.map((x: { id: string }) => x.id);
    expect(ids).toHaveLength(3);
    expect((await ack(ids, f.tokens.other)).statusCode).toBe(404);
    expect((await ack(ids, f.tokens.read)).statusCode).toBe(403);
    expect((await ack([])).statusCode).toBe(400);
    const done = await ack([...ids, "not-a-notification"]);
    expect(done.statusCode).toBe(200);
    expect(done.json()).toEqual({
      acknowledged: 3,
      ids: expect.arrayContaining(ids),
      skipped: [{ id: "not-a-notification", reason: "not_found" }],
    });
    expect((await ack(ids)).json()).toEqual({
      acknowledged: 0,
      ids: [],
      skipped: ids.map((id: string) => ({ id, reason: "acknowledged_already" })),
    });
    expect((await get(`${s}/notifications?acknowledged=false`)).json().total).toBe(0);
  });

  it("NT1, NT2: the list's kind filter takes the kinds Orchard raises; another is a 400 listing them, not an empty list", async () => {
    expect((await get(`${s}/notifications?kind=license_usage`)).json().total).toBe(3);
    expect((await get(`${s}/notifications?kind=token_revoked`)).json().total).toBe(0);
    const typo = await get(`${s}/notifications?kind=licence_usage`);
    expect(typo.statusCode).toBe(400);
    expect(typo.json().errors).toEqual([
      expect.objectContaining({
        field: "querystring.kind",
        limits: { values: expect.stringContaining("license_usage, token_expiring, apple_refused, token_") },
      }),
    ]);
  });

  it("NT3: one notification is read by its id (an e-mail's link), with its names; another space's, or an unknown id, is 404", async () => {
    const [first] = (await get(`${s}/notifications?sort=raisedAt&order=desc`)).json().items;
    const one = await get(`${s}/notifications/${first.id}`, f.tokens.read);
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toMatchObject({ id: first.id, title: first.title, accountName: expect.any(String) });
    expect((await get(`${s}/notifications/${first.id}`, f.tokens.other)).statusCode).toBe(404);
    expect((await get(`${s}/notifications/not-a-notification`)).statusCode).toBe(404);
  });

  it("NT3: the OpenAPI document describes the route and the new fields", async () => {
    const doc = f.app.swagger() as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.paths)).toContain("/api/v1/spaces/{spaceId}/notifications/acknowledge");
    expect(Object.keys(doc.components.schemas.Notification?.properties ?? {})).toEqual(
      expect.arrayContaining(["messageKey", "messageParams", "appName", "accountName", "folded"]),
    );
  });
});
