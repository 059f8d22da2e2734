import { expect, it } from "vitest";
import { MAX_SEARCH_KEYS } from "../../src/api/schemas.js";
import {
  ACTIVITY_MESSAGE_KEYS,
  activityMessage,
  appendActivity,
  createDevice,
  createUser,
  NOTIFICATION_MESSAGE_KEYS,
  notificationMessage,
  raiseNotification,
  setCatalogApp,
} from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * The search boxes of the activity log (invariant 4) and of the notifications (NT3): the
 * English text, the names the lists show, and the message keys a client's own words match.
 */
describeEachDatabase("search API", (db) => {
  let f: Fixture;
  let s = "";
  const get = (url: string) => f.app.inject({ url, headers: auth(f.tokens.read) });
  const found = async (path: string, query: Record<string, string>) => {
    const response = await get(`${s}/${path}?${new URLSearchParams(query)}`);
    expect(response.statusCode).toBe(200);
    return response.json() as { total: number; items: Array<Record<string, unknown>> };
  };
  const messagesOf = async (query: Record<string, string>) =>
    (await found("activity", query)).items.map((e) => e.messageKey);
  const ids = { device: "", user: "", app: "555000111" };

  it("invariant 4: q finds a line by its device's serial number, its user's name, its app's name or its account's name", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    const store = db().store.db;
    const spaceId = f.ids.spaceA;
    ids.device = (
      await createDevice(store, { spaceId, serialNumber: `ZQX${f.ids.suffix}`, platform: "iOS" })
    ).id;
    ids.user = (await createUser(store, { spaceId, name: "Zoë Searchwell" })).id;
    await setCatalogApp(store, { spaceId, adamId: ids.app, name: "Quillboard Studio" }, NOW);
    const line = (message: Parameters<typeof appendActivity>[1][number]["message"], refs: object) => ({
      spaceId,
      actor: { kind: "system" as const },
      action: message.key,
      message,
      at: NOW,
      ...refs,
    });
    await appendActivity(store, [
      line(activityMessage("mdm.device_retired"), { deviceId: ids.device }),
      line(activityMessage("user.invited"), { userId: ids.user }),
      line(activityMessage("mdm.app_deleted"), { adamId: ids.app }),
      line(activityMessage("account.token_healthy"), { accountId: f.ids.accountA }),
      // A line naming another space's user (kept after a move): that space's names are not searched.
      line(activityMessage("mdm.user_deleted"), { userId: f.ids.userB }),
    ]);

    // None of these words is in an English message: each line is found by what it names.
    expect(await messagesOf({ q: `zqx${f.ids.suffix}` })).toEqual(["mdm.device_retired"]);
    expect(await messagesOf({ q: "searchwell" })).toEqual(["user.invited"]);
    expect(await messagesOf({ q: "quillboard" })).toEqual(["mdm.app_deleted"]);
    // The fixture's grant names account A too.
    expect(await messagesOf({ q: "MAIN" })).toEqual(["account.token_healthy", "license.granted_user"]);
    expect((await found("activity", { q: "Bob Other" })).total).toBe(0);
    // The English message still matches, and the other filters still apply.
    expect(await messagesOf({ q: "retired" })).toEqual(["mdm.device_retired"]);
    expect((await found("activity", { q: "Searchwell", action: "mdm.device_retired" })).total).toBe(0);
    // The rows found carry the names that found them.
    const [byApp] = (await found("activity", { q: "Quillboard" })).items;
    expect(byApp).toMatchObject({ adamId: ids.app, appName: "Quillboard Studio" });
  });

  it("invariant 4: a line whose words in the client's language contain q is found by its key in `keys`", async () => {
    // "accordée" is in the French words of the fixture's grant, not in its English message.
    expect((await found("activity", { q: "accordée" })).total).toBe(0);
    expect(await messagesOf({ q: "accordée", keys: "license.granted_user,license.granted_device" })).toEqual([
      "license.granted_user",
    ]);
    // Keys and names together: either matches.
    expect(await messagesOf({ q: "Searchwell", keys: "mdm.device_retired,not.written_yet" })).toEqual([
      "user.invited",
      "mdm.device_retired",
    ]);
    // Keys alone (a plain client): the lines of those keys.
    expect(await messagesOf({ keys: "mdm.app_deleted" })).toEqual(["mdm.app_deleted"]);
    expect((await found("activity", { q: "accordée", keys: "" })).total).toBe(0);
  });

  it("invariant 4: the CSV export holds what the search lists, names and keys alike", async () => {
    const exported = async (query: Record<string, string>) => {
      const response = await get(`${s}/activity.csv?${new URLSearchParams(query)}`);
      expect(response.statusCode).toBe(200);
      return response.body.trim().split("\n").slice(1);
    };
    const byName = await exported({ q: "Searchwell" });
    expect(byName).toHaveLength(1);
    expect(byName[0]).toContain("user.invited");
    const byKey = await exported({ q: "accordée", keys: "license.granted_user" });
    expect(byKey).toHaveLength(1);
    expect(byKey[0]).toContain("license.granted");
    // No search: the whole log of the space, as before.
    expect((await exported({})).length).toBeGreaterThan(byName.length + byKey.length);
    const bad = await get(`${s}/activity.csv?keys=Bad.Key`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe("querystring.keys.0");
  });

  it("invariant 4, NT3: an invalid `keys` is a 400 problem on that field, never a 500", async () => {
    const tooMany = Array.from({ length: MAX_SEARCH_KEYS + 1 }, (_, i) => `k${i}`).join(",");
    const cases: Array<[string, string]> = [
      ["License.Granted", "querystring.keys.0"],
      ["license.granted_user,x' or '1'='1", "querystring.keys.1"],
      ["license..granted", "querystring.keys.0"],
      ["a,,b", "querystring.keys.1"],
      [`${"a".repeat(101)}`, "querystring.keys.0"],
      [tooMany, "querystring.keys"],
    ];
    for (const path of ["activity", "notifications"])
      for (const [keys, field] of cases) {
        const response = await get(`${s}/${path}?${new URLSearchParams({ q: "x", keys })}`);
        expect(response.statusCode, `${path} ${keys}`).toBe(400);
        expect(response.headers["content-type"]).toContain("application/problem+json");
        expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual([field]);
      }
    // Nor a search PostgreSQL cannot hold (text has no NUL).
    for (const path of ["activity", "notifications"]) {
      const response = await get(`${s}/${path}?q=a%00b`);
      expect(response.statusCode).toBe(400);
      expect(response.json().errors.map((e: { field: string }) => e.field)).toEqual(["querystring.q"]);
    }
    // Every key of either catalogue fits in one search.
    expect(ACTIVITY_MESSAGE_KEYS.length).toBeLessThanOrEqual(MAX_SEARCH_KEYS);
    expect(NOTIFICATION_MESSAGE_KEYS.length).toBeLessThanOrEqual(MAX_SEARCH_KEYS);
    const all = await get(
      `${s}/activity?${new URLSearchParams({ q: "x", keys: ACTIVITY_MESSAGE_KEYS.join() })}`,
    );
    expect(all.statusCode).toBe(200);
  });

  it("NT3: q finds a notification by its English title, its app's or account's name, or its key in `keys`", async () => {
    const store = db().store.db;
    const raise = (
      message: Parameters<typeof raiseNotification>[1]["message"],
      kind: string,
      threshold?: number,
    ) =>
      raiseNotification(store, {
        spaceId: f.ids.spaceA,
        kind,
        severity: "warning",
        component: "Apps and Books",
        message,
        accountId: f.ids.accountA,
        // NT1's name the app; NT2's only the account.
        ...(threshold ? { adamId: f.ids.adamId, threshold } : {}),
        now: NOW,
      });
    // Titles written under names since changed: the list shows the current ones (account "Main", app "Pages").
    await raise(
      notificationMessage("token.issue", { issue: "expired", account: "Old Campus" }),
      "token_expired",
    );
    await raise(
      notificationMessage("usage.reached", { app: "Old Name", account: "Old Campus", percent: 70 }),
      "license_usage",
      70,
    );
    const titles = async (query: Record<string, string>) =>
      (await found("notifications", query)).items.map((n) => n.title).sort();
    expect(await titles({ q: "token expired" })).toEqual(["Token expired: Old Campus"]);
    expect(await titles({ q: "main" })).toEqual([
      "License usage of Old Name (Old Campus) reached 70%",
      "License usage of Pages (Main) reached 50%",
      "Token expired: Old Campus",
    ]);
    expect(await titles({ q: "pages" })).toEqual([
      "License usage of Old Name (Old Campus) reached 70%",
      "License usage of Pages (Main) reached 50%",
    ]);
    // "atteints" is in the French title of usage.reached only.
    expect((await found("notifications", { q: "atteints" })).total).toBe(0);
    expect(await titles({ q: "atteints", keys: "usage.reached" })).toEqual([
      "License usage of Old Name (Old Campus) reached 70%",
      "License usage of Pages (Main) reached 50%",
    ]);
    // Grouped (NT1): the episode's head is found, with the lower level that matches folded into it.
    const grouped = await found("notifications", { q: "atteints", keys: "usage.reached", group: "true" });
    expect(grouped.total).toBe(1);
    expect(grouped.items[0]).toMatchObject({
      threshold: 70,
      folded: [expect.objectContaining({ threshold: 50 })],
    });
  });
});
