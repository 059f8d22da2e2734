import { beforeAll, expect, it } from "vitest";
import { notificationMessage, raiseNotification } from "../../src/store/index.js";
import type { DeliveryState } from "../../src/store/notification-delivery.repo.js";
import {
  listNotificationDeliveries,
  listNotificationDeliveriesView,
  retryDeliveries,
  summarizeNotificationDeliveries,
} from "../../src/store/notification-delivery.repo.js";
import { describeEachDatabase } from "./databases.js";
import { NOW, spaceWithApp } from "./fixtures.js";

const MINUTE = 60_000;

/**
 * The administrator's view of notification deliveries (NT3): listed with their
 * notification, counted per channel and state, failed ones put back to pending.
 */
describeEachDatabase("notification deliveries: list, summary, retry", (tdb) => {
  const db = () => tdb().store.db;
  let spaceA = "";
  let spaceB = "";
  /** Space A's notifications, oldest first. */
  const ids: string[] = [];
  let other = "";

  /** A notification with a delivery to both channels, each set to the state given. */
  async function raised(
    spaceId: string,
    minute: number,
    states: { webhook: DeliveryState; email: DeliveryState },
  ): Promise<string> {
    const at = new Date(NOW.getTime() + minute * MINUTE);
    const n = await raiseNotification(
      db(),
      {
        spaceId,
        kind: "license_usage",
        severity: minute % 2 === 0 ? "warning" : "alert",
        component: "Apps and Books",
        message: notificationMessage("usage.reached", { app: `App ${minute}`, account: "Main", percent: 70 }),
        accountId: `acc-${minute}`,
        adamId: `${1000 + minute}`,
        threshold: 70,
        now: at,
      },
      ["webhook", "email"],
    );
    if (!n) throw new Error("not raised");
    for (const channel of ["webhook", "email"] as const) {
      const state = states[channel];
      if (state === "pending") continue;
      await db()
        .updateTable("notification_deliveries")
        .set({
          state,
          attempts: state === "failed" ? 20 : 1,
          last_error: state === "failed" ? `${channel} refused ${minute}` : null,
          not_before: state === "failed" ? new Date(at.getTime() + MINUTE) : null,
          updated_at: new Date(at.getTime() + 30_000),
        })
        .where("space_id", "=", spaceId)
        .where("notification_id", "=", n.id)
        .where("channel", "=", channel)
        .execute();
    }
    return n.id;
  }

  beforeAll(async () => {
    spaceA = (await spaceWithApp(db(), "900001")).space.id;
    spaceB = (await spaceWithApp(db(), "900002")).space.id;
    ids.push(await raised(spaceA, 1, { webhook: "delivered", email: "delivered" }));
    ids.push(await raised(spaceA, 2, { webhook: "failed", email: "delivered" }));
    ids.push(await raised(spaceA, 3, { webhook: "failed", email: "failed" }));
    ids.push(await raised(spaceA, 4, { webhook: "pending", email: "failed" }));
    other = await raised(spaceB, 5, { webhook: "failed", email: "failed" });
  });

  it("NT3: lists a space's deliveries newest first with the notification's title, kind, severity and time; filters by state and channel; pages", async () => {
    const all = await listNotificationDeliveriesView(
      db(),
      spaceA,
      {},
      { page: 1, pageSize: 50, order: "desc" },
    );
    expect(all.total).toBe(8);
    expect(all.items.map((d) => d.notificationId)).toEqual([
      ids[3],
      ids[3],
      ids[2],
      ids[2],
      ids[1],
      ids[1],
      ids[0],
      ids[0],
    ]);
    const failed = await listNotificationDeliveriesView(
      db(),
      spaceA,
      { state: "failed" },
      { page: 1, pageSize: 50, order: "desc" },
    );
    expect(failed.items.map((d) => [d.notificationId, d.channel])).toEqual([
      [ids[3], "email"],
      [ids[2], "email"],
      [ids[2], "webhook"],
      [ids[1], "webhook"],
    ]);
    expect(failed.items[0]).toMatchObject({
      state: "failed",
      attempts: 20,
      lastError: "email refused 4",
      createdAt: new Date(NOW.getTime() + 4 * MINUTE),
      updatedAt: new Date(NOW.getTime() + 4 * MINUTE + 30_000),
      notification: {
        title: expect.stringContaining("App 4"),
        messageKey: "usage.reached",
        messageParams: { app: "App 4", account: "Main", percent: 70 },
        kind: "license_usage",
        severity: "warning",
        raisedAt: new Date(NOW.getTime() + 4 * MINUTE),
      },
    });
    // A failed delivery has no next attempt, whatever its backoff was.
    expect(failed.items[0]?.nextAttemptAt).toBeUndefined();

    const webhookFailed = await listNotificationDeliveriesView(
      db(),
      spaceA,
      { state: "failed", channel: "webhook" },
      { page: 2, pageSize: 1, order: "desc" },
    );
    expect(webhookFailed).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(webhookFailed.items.map((d) => d.notificationId)).toEqual([ids[1]]);
    // A channel no longer configured (or never) is just a name: listed, empty.
    const none = await listNotificationDeliveriesView(
      db(),
      spaceA,
      { channel: "sms" },
      { page: 1, pageSize: 5 },
    );
    expect(none).toMatchObject({ total: 0, items: [] });
  });

  it("NT3: counts each channel's deliveries by state, with its latest failure", async () => {
    expect(await summarizeNotificationDeliveries(db(), spaceA)).toEqual([
      {
        channel: "email",
        pending: 0,
        retrying: 0,
        delivered: 2,
        failed: 2,
        lastFailure: {
          notificationId: ids[3],
          error: "email refused 4",
          at: new Date(NOW.getTime() + 4 * MINUTE + 30_000),
        },
      },
      {
        channel: "webhook",
        pending: 1,
        retrying: 0,
        delivered: 1,
        failed: 2,
        lastFailure: {
          notificationId: ids[2],
          error: "webhook refused 3",
          at: new Date(NOW.getTime() + 3 * MINUTE + 30_000),
        },
      },
    ]);
  });

  it("NT3: retry puts back only the failed deliveries of its space (and channel, and notifications asked), once", async () => {
    const now = new Date(NOW.getTime() + 60 * MINUTE);
    const states = async (spaceId: string, id: string) =>
      Object.fromEntries(
        (await listNotificationDeliveries(db(), spaceId, id)).map((d) => [d.channel, d.state]),
      );
    // Some notifications' only: ids[2]'s webhook.
    expect(
      await retryDeliveries(db(), spaceA, {
        channel: "webhook",
        notificationIds: [ids[2] ?? "", other],
        now,
      }),
    ).toEqual([{ notificationId: ids[2], channel: "webhook" }]);
    // One channel's: the email of ids[2] and ids[3].
    expect(
      (await retryDeliveries(db(), spaceA, { channel: "email", now })).map((d) => d.notificationId).sort(),
    ).toEqual([ids[2], ids[3]].sort());
    // The channels that can send: none of webhook's left… but ids[1]'s.
    expect(await retryDeliveries(db(), spaceA, { channels: ["email"], now })).toEqual([]);
    expect(await retryDeliveries(db(), spaceA, { now })).toEqual([
      { notificationId: ids[1], channel: "webhook" },
    ]);
    // Idempotent: nothing failed any more.
    expect(await retryDeliveries(db(), spaceA, { now })).toEqual([]);

    const [retried] = await listNotificationDeliveries(db(), spaceA, ids[1] ?? "").then((ds) =>
      ds.filter((d) => d.channel === "webhook"),
    );
    expect(retried).toMatchObject({ state: "pending", attempts: 0, lastError: "webhook refused 2" });
    expect(retried?.notBefore).toBeUndefined();
    expect(retried?.claimedUntil).toBeUndefined();
    // Delivered and pending rows are untouched; another space's failures too.
    expect(await states(spaceA, ids[0] ?? "")).toEqual({ email: "delivered", webhook: "delivered" });
    expect(await states(spaceA, ids[1] ?? "")).toEqual({ email: "delivered", webhook: "pending" });
    expect(await states(spaceB, other)).toEqual({ email: "failed", webhook: "failed" });
    const [untouched] = await listNotificationDeliveriesView(
      db(),
      spaceA,
      { channel: "email" },
      { page: 1, pageSize: 50 },
    ).then((p) => p.items.filter((d) => d.notificationId === ids[0]));
    expect(untouched?.updatedAt).toEqual(new Date(NOW.getTime() + MINUTE + 30_000));
    // The summary has no failure left in space A; space B's are its own.
    expect(
      (await summarizeNotificationDeliveries(db(), spaceA)).map((c) => [c.channel, c.failed, c.lastFailure]),
    ).toEqual([
      ["email", 0, undefined],
      ["webhook", 0, undefined],
    ]);
    expect((await summarizeNotificationDeliveries(db(), spaceB)).map((c) => c.failed)).toEqual([1, 1]);
  });

  it("NT3: two retries at once re-queue each failed delivery once", async () => {
    const now = new Date(NOW.getTime() + 90 * MINUTE);
    const [a, b] = await Promise.all([
      retryDeliveries(db(), spaceB, { now }),
      retryDeliveries(db(), spaceB, { now }),
    ]);
    expect([...(a ?? []), ...(b ?? [])].map((d) => d.channel).sort()).toEqual(["email", "webhook"]);
  });
});
