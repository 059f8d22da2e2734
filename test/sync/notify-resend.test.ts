import { expect, it } from "vitest";
import { type Notification, notificationMessage } from "../../src/store/index.js";
import {
  listNotificationDeliveries,
  listNotificationDeliveriesView,
  retryDeliveries,
} from "../../src/store/notification-delivery.repo.js";
import {
  ChannelNotConfiguredError,
  deliverNotifications,
  makeSyncDeps,
  type NotificationChannel,
  resendDeliveries,
  type SyncDeps,
  webhookChannel,
} from "../../src/sync/index.js";
import { raise } from "../../src/sync/notify.js";
import { describeEachDatabase, type TestDatabase } from "../store/databases.js";
import { spaceWithApp } from "../store/fixtures.js";
import { newAdamId } from "./fixtures.js";

const MINUTE = 60_000;

/** Deps on a clock the test moves; no Apple call is made. */
function depsFor(tdb: TestDatabase, clock: { now: Date }, channels: NotificationChannel[]): SyncDeps {
  return makeSyncDeps({
    db: tdb.store.db,
    keys: tdb.store.keys,
    appleBaseUrl: "http://127.0.0.1:9/mdm/v2",
    mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
    now: () => clock.now,
    channels,
    tuning: { leaseMs: MINUTE },
  });
}

/**
 * A webhook receiver answering `status()`: the real channel (signing, status handling,
 * error wording) over a fetch that records the notification ids it was sent.
 */
function receiver(status: () => number) {
  const got: string[] = [];
  const channel = webhookChannel({
    url: "http://orchard:hunter2@hook.test/notify",
    secret: "whsec-resend-secret",
    fetch: async (_url: string, init: RequestInit) => {
      const answer = status();
      if (answer < 300)
        got.push((JSON.parse(String(init.body)) as { notification: Notification }).notification.id);
      return new Response(null, { status: answer });
    },
  });
  return { channel, got };
}

async function raiseOne(deps: SyncDeps, spaceId: string, account = "Main"): Promise<Notification> {
  const raised = await raise(deps, {
    spaceId,
    kind: "token_revoked",
    severity: "alert",
    component: "Apps and Books",
    message: notificationMessage("token.issue", { issue: "revoked", account }),
    accountId: `acc-${Math.random()}`,
    now: deps.now(),
  });
  if (!raised) throw new Error("not raised");
  return raised;
}

describeEachDatabase("failed notification deliveries sent again", (tdb) => {
  it("NT2, NT3: a webhook answering 401 fails the delivery at once; once fixed, sent again it is pending and the worker's round delivers it, same notification id", async () => {
    const clock = { now: new Date("2026-04-01T09:00:00Z") };
    let status = 401;
    const hook = receiver(() => status);
    const deps = depsFor(tdb(), clock, [hook.channel]);
    const db = tdb().store.db;
    const { space } = await spaceWithApp(db, newAdamId());
    const n = await raiseOne(deps, space.id);
    const [failed] = await listNotificationDeliveries(db, space.id, n.id);
    expect(failed).toMatchObject({
      state: "failed",
      attempts: 1,
      lastError: "the webhook answered HTTP 401",
    });
    // The worker's rounds leave a failed delivery alone.
    clock.now = new Date(clock.now.getTime() + 10 * MINUTE);
    expect(await deliverNotifications(deps)).toBe(0);

    // The secret is fixed; the administrator sends it again (re-queued only: no attempt yet).
    status = 204;
    clock.now = new Date(clock.now.getTime() + MINUTE);
    expect(await retryDeliveries(db, space.id, { now: clock.now })).toEqual([
      { notificationId: n.id, channel: "webhook" },
    ]);
    const [pending] = await listNotificationDeliveries(db, space.id, n.id);
    expect(pending).toMatchObject({ state: "pending", attempts: 0 });
    expect(pending?.notBefore).toBeUndefined();
    expect(pending?.claimedUntil).toBeUndefined();
    // Its last error stays until the next attempt settles.
    expect(pending?.lastError).toBe("the webhook answered HTTP 401");

    expect(await deliverNotifications(deps)).toBe(1);
    expect(hook.got).toEqual([n.id]);
    const [delivered] = await listNotificationDeliveries(db, space.id, n.id);
    expect(delivered).toMatchObject({ state: "delivered", attempts: 1 });
    expect(delivered?.lastError).toBeUndefined();
  });

  it("NT3: sending again tries at once, counts what the attempt came to, and a refusal again fails again", async () => {
    const clock = { now: new Date("2026-04-01T09:00:00Z") };
    let status = 401;
    const hook = receiver(() => status);
    const deps = depsFor(tdb(), clock, [hook.channel]);
    const db = tdb().store.db;
    const { space } = await spaceWithApp(db, newAdamId());
    const first = await raiseOne(deps, space.id, "North");
    const second = await raiseOne(deps, space.id, "South");

    // Still refused: failed again at once, with why.
    expect(await resendDeliveries(deps, { spaceId: space.id })).toEqual({
      retried: 2,
      delivered: 0,
      failed: 2,
      pending: 0,
      errors: [{ channel: "webhook", error: "the webhook answered HTTP 401" }],
    });
    // Fixed: both delivered by the attempt made at once, no round needed.
    status = 200;
    expect(await resendDeliveries(deps, { spaceId: space.id })).toMatchObject({
      retried: 2,
      delivered: 2,
      failed: 0,
      pending: 0,
    });
    expect(hook.got.sort()).toEqual([first.id, second.id].sort());
    // Nothing failed any more: sending again again is nothing.
    expect(await resendDeliveries(deps, { spaceId: space.id })).toMatchObject({ retried: 0, delivered: 0 });
    expect(hook.got).toHaveLength(2);
  });

  it("NT3: a channel down when sent again stays pending for the worker's rounds, its new error named", async () => {
    const clock = { now: new Date("2026-04-01T09:00:00Z") };
    let status = 403;
    const hook = receiver(() => status);
    const deps = depsFor(tdb(), clock, [hook.channel]);
    const db = tdb().store.db;
    const { space } = await spaceWithApp(db, newAdamId());
    const n = await raiseOne(deps, space.id);
    status = 503;
    expect(await resendDeliveries(deps, { spaceId: space.id })).toEqual({
      retried: 1,
      delivered: 0,
      failed: 0,
      pending: 1,
      errors: [{ channel: "webhook", error: "the webhook answered HTTP 503" }],
    });
    const [retrying] = await listNotificationDeliveries(db, space.id, n.id);
    expect(retrying).toMatchObject({
      state: "pending",
      attempts: 1,
      notBefore: new Date(clock.now.getTime() + 2000),
    });
    status = 200;
    clock.now = new Date(clock.now.getTime() + MINUTE);
    await deliverNotifications(deps);
    expect(hook.got).toEqual([n.id]);
  });

  it("NT3: a channel not configured here is refused by name; its failed deliveries are not re-queued to wait for ever", async () => {
    const clock = { now: new Date("2026-04-01T09:00:00Z") };
    const hook = receiver(() => 401);
    const withHook = depsFor(tdb(), clock, [hook.channel]);
    const db = tdb().store.db;
    const { space } = await spaceWithApp(db, newAdamId());
    const n = await raiseOne(withHook, space.id);
    // A process without the webhook configured (say, only e-mail).
    const mailOnly = depsFor(tdb(), clock, [{ name: "email", deliver: async () => {} }]);
    await expect(resendDeliveries(mailOnly, { spaceId: space.id, channel: "webhook" })).rejects.toThrow(
      ChannelNotConfiguredError,
    );
    await expect(resendDeliveries(mailOnly, { spaceId: space.id, channel: "webhook" })).rejects.toThrow(
      'the channel "webhook" is not configured (configured: email)',
    );
    expect(await resendDeliveries(mailOnly, { spaceId: space.id })).toMatchObject({ retried: 0 });
    expect((await listNotificationDeliveries(db, space.id, n.id))[0]?.state).toBe("failed");
  });

  it("NT3: an error text quoting a URL's credentials loses them before it is stored, logged or listed", async () => {
    const clock = { now: new Date("2026-04-01T09:00:00Z") };
    const leaky: NotificationChannel = {
      name: "webhook",
      deliver: async () => {
        throw new Error("request to https://orchard:hunter2@hooks.example.com/x failed, reason: 401");
      },
    };
    const deps = depsFor(tdb(), clock, [leaky]);
    const db = tdb().store.db;
    const { space } = await spaceWithApp(db, newAdamId());
    const n = await raiseOne(deps, space.id);
    const [stored] = await listNotificationDeliveries(db, space.id, n.id);
    expect(stored?.lastError).toBe("request to https://***@hooks.example.com/x failed, reason: 401");
    const listed = await listNotificationDeliveriesView(db, space.id, {}, { page: 1, pageSize: 10 });
    expect(JSON.stringify(listed)).not.toContain("hunter2");
  });
});
