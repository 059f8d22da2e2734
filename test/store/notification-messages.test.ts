import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import {
  acknowledgeNotifications,
  clearNotifications,
  createSpace,
  type Db,
  listNotificationsView,
  type NewNotification,
  notificationMessage,
  raiseNotification,
  renderNotificationRemedy,
  renderNotificationTitle,
  upsertAsset,
} from "../../src/store/index.js";
import { describeEachDatabase } from "./databases.js";
import { accountWithSeats, NOW, spaceWithApp } from "./fixtures.js";

const later = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
const PAGE = { page: 1, pageSize: 50 } as const;

/**
 * Each notification keeps its message's catalogue key and params beside the English title
 * (notification-messages.ts); the list (NT3) names its app and account, and folds an
 * (account, app)'s NT1 levels into the highest one; several are acknowledged at once.
 */
describeEachDatabase("notification messages and the list", (database) => {
  /** A space, an app named "Pages" bought by two accounts (named), 10 seats each. */
  async function twoAccounts(db: Db) {
    const { space, adamId } = await spaceWithApp(db);
    const { keys } = database().store;
    const north = (await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 })).account;
    const south = (await accountWithSeats(db, keys, { spaceId: space.id, adamId, total: 10 })).account;
    for (const account of [north, south])
      await upsertAsset(
        db,
        {
          spaceId: space.id,
          accountId: account.id,
          adamId,
          name: "Pages",
          pricingParam: "STDQ",
          productType: "App",
          total: 10,
          deviceAssignable: true,
          platforms: ["iOS"],
        },
        NOW,
      );
    return { space, adamId, north, south };
  }
  const usage = (
    base: { spaceId: string; accountId: string; adamId: string; account: string },
    percent: number,
    now: Date,
  ): NewNotification => ({
    spaceId: base.spaceId,
    kind: "license_usage",
    severity: percent >= 90 ? "alert" : percent >= 70 ? "warning" : "info",
    component: "Apps and Books",
    message: notificationMessage("usage.reached", { app: "Pages", account: base.account, percent }),
    details: { used: percent / 10, total: 10, percent, threshold: percent },
    accountId: base.accountId,
    adamId: base.adamId,
    threshold: percent,
    now,
  });

  it("NT1, NT2: a notification keeps its key, its params, the English title naming the account, and the English remedy in details", async () => {
    const { db } = database().store;
    const { space, adamId, north } = await twoAccounts(db);
    const raised = await raiseNotification(
      db,
      usage({ spaceId: space.id, accountId: north.id, adamId, account: "North Campus" }, 90, NOW),
    );
    expect(raised).toMatchObject({
      messageKey: "usage.reached",
      messageParams: { app: "Pages", account: "North Campus", percent: 90 },
      title: "License usage of Pages (North Campus) reached 90%",
    });
    const expiring = await raiseNotification(db, {
      spaceId: space.id,
      kind: "token_expiring",
      severity: "warning",
      component: "Apps and Books",
      message: notificationMessage("token.expiring", { account: "North Campus", count: 6 }),
      details: { expiresAt: later(6 * 1440).toISOString() },
      accountId: north.id,
      threshold: 7,
      now: NOW,
    });
    expect(expiring).toMatchObject({
      messageKey: "token.expiring",
      messageParams: { account: "North Campus", count: 6 },
      title: "The token of North Campus expires in 6 days",
      details: { remedy: "Generate a new token in Apple Business or School Manager and update the account." },
    });
    const revoked = await raiseNotification(db, {
      spaceId: space.id,
      kind: "token_revoked",
      severity: "alert",
      component: "Apps and Books",
      message: notificationMessage("token.issue", { issue: "revoked", account: "North Campus" }),
      accountId: north.id,
      now: NOW,
    });
    expect(revoked?.title).toBe("Token revoked: North Campus");
    expect(revoked?.details.remedy).toContain("upload a valid token");
  });

  it("NT3: the list names each notification's app and account, keeps key and params; one raised before keys shows as stored", async () => {
    const { db } = database().store;
    const { space, adamId, north } = await twoAccounts(db);
    await raiseNotification(
      db,
      usage({ spaceId: space.id, accountId: north.id, adamId, account: north.displayName }, 50, NOW),
    );
    await sql`insert into notifications (space_id, id, kind, severity, component, title, account_id, raised_at)
      values (${space.id}, 'older', 'token_revoked', 'alert', 'Apps and Books', 'Token revoked: written before',
        ${north.id}, ${later(1).toISOString()}::timestamptz)`.execute(db);
    const page = await listNotificationsView(db, space.id, {}, { ...PAGE, order: "desc", sort: "raisedAt" });
    const [older, usageRow] = page.items;
    expect(usageRow).toMatchObject({
      appName: "Pages",
      accountName: north.displayName,
      messageKey: "usage.reached",
      messageParams: { percent: 50 },
    });
    expect(older).toMatchObject({ title: "Token revoked: written before", accountName: north.displayName });
    expect(older?.messageKey).toBeUndefined();
    expect(older?.messageParams).toBeUndefined();
    expect(older?.appName).toBeUndefined();
  });

  it("NT1, NT3: grouped, each (account, app) shows its highest level with the lower ones folded, per account and per episode; nothing stored changes", async () => {
    const { db } = database().store;
    const { space, adamId, north, south } = await twoAccounts(db);
    const n = { spaceId: space.id, accountId: north.id, adamId, account: north.displayName };
    const s = { spaceId: space.id, accountId: south.id, adamId, account: south.displayName };
    // An episode of North that ended (usage fell below 50 %), then a new one.
    await raiseNotification(db, usage(n, 50, later(0)));
    await clearNotifications(db, {
      spaceId: space.id,
      kind: "license_usage",
      accountId: north.id,
      now: later(1),
    });
    for (const [i, percent] of [50, 70, 80, 90].entries())
      await raiseNotification(db, usage(n, percent, later(2 + i)));
    await raiseNotification(db, usage(s, 50, later(3)));
    await raiseNotification(db, {
      spaceId: space.id,
      kind: "token_expiring",
      severity: "info",
      component: "Apps and Books",
      message: notificationMessage("token.expiring", { account: north.displayName, count: 1 }),
      accountId: north.id,
      threshold: 1,
      now: later(10),
    });

    const all = await listNotificationsView(db, space.id, {}, { ...PAGE, order: "desc" });
    expect(all.total).toBe(7); // stored as raised: one per level (NT1)
    const grouped = await listNotificationsView(
      db,
      space.id,
      { group: true },
      { ...PAGE, order: "desc", sort: "raisedAt" },
    );
    expect(grouped.total).toBe(4);
    const rows = grouped.items.map((x) => [
      x.kind,
      x.accountId,
      x.threshold,
      x.folded?.map((f) => f.threshold),
    ]);
    expect(rows).toEqual([
      ["token_expiring", north.id, 1, undefined],
      ["license_usage", north.id, 90, [80, 70, 50]],
      ["license_usage", south.id, 50, []],
      ["license_usage", north.id, 50, []], // the ended episode stands alone
    ]);
    const open = await listNotificationsView(
      db,
      space.id,
      { group: true, open: true, severity: "warning" },
      PAGE,
    );
    expect(open.items.map((x) => [x.threshold, x.folded?.map((f) => f.threshold)])).toEqual([[80, [70]]]);
  });

  it("NT3: several notifications are acknowledged at once, only the space's and only once", async () => {
    const { db } = database().store;
    const { space, adamId, north } = await twoAccounts(db);
    const n = { spaceId: space.id, accountId: north.id, adamId, account: north.displayName };
    const ids: string[] = [];
    for (const percent of [50, 70, 80])
      ids.push((await raiseNotification(db, usage(n, percent, NOW)))?.id ?? "");
    const other = await createSpace(db, { name: "other space" });
    expect((await acknowledgeNotifications(db, other.id, ids, later(1))).acknowledged).toEqual([]);
    expect(await acknowledgeNotifications(db, space.id, [ids[0] ?? "", "unknown"], later(1))).toEqual({
      acknowledged: [ids[0]],
      skipped: [{ id: "unknown", reason: "not_found" }],
    });
    const rest = await acknowledgeNotifications(db, space.id, ids, later(2));
    expect(rest.acknowledged).toHaveLength(2);
    expect(rest.skipped).toEqual([{ id: ids[0], reason: "acknowledged_already" }]);
    const page = await listNotificationsView(db, space.id, { acknowledged: true }, PAGE);
    expect(page.total).toBe(3);
    expect(page.items.find((x) => x.id === ids[0])?.acknowledgedAt).toEqual(later(1));
    expect((await listNotificationsView(db, space.id, { acknowledged: false }, PAGE)).total).toBe(0);
  });
});

describe("the notification message catalogue", () => {
  it("NT2: the English says day or days, never day(s)", () => {
    const title = (count: number) =>
      renderNotificationTitle(notificationMessage("token.expiring", { account: "North Campus", count }));
    expect(title(1)).toBe("The token of North Campus expires in 1 day");
    expect(title(6)).toBe("The token of North Campus expires in 6 days");
    // NT1: what to do when licenses run out, naming the app and the account.
    expect(
      renderNotificationRemedy(
        notificationMessage("usage.reached", { app: "Pages", account: "North", percent: 90 }),
      ),
    ).toMatch(
      /^Buy more licenses of Pages for North in Apple Business or School Manager; or free some: reclaim/,
    );
    // @ts-expect-error: a usage notification names its account
    notificationMessage("usage.reached", { app: "a", percent: 50 });
    // @ts-expect-error: an issue is a token problem
    notificationMessage("token.issue", { issue: "ok", account: "b" });
  });
});
