import type { KyselyPlugin, QueryResult, RootOperationNode, UnknownRow } from "kysely";
import { expect, it } from "vitest";
import { type Db, listNotifications, type Notification, notificationMessage } from "../../src/store/index.js";
import { listNotificationDeliveries } from "../../src/store/notification-delivery.repo.js";
import {
  deliverNotifications,
  evaluateUsage,
  MAX_DELIVERY_ATTEMPTS,
  makeSyncDeps,
  type NotificationChannel,
  NotificationDeliveryError,
  type SyncDeps,
  webhookChannel,
} from "../../src/sync/index.js";
import { raise } from "../../src/sync/notify.js";
import { describeEachDatabase, type TestDatabase } from "../store/databases.js";
import { accountWithSeats, spaceWithApp } from "../store/fixtures.js";
import { newAdamId } from "./fixtures.js";

const LEASE_MS = 60_000;
const MINUTE = 60_000;

/** Deps on a clock the test moves; no Apple call is made. */
function depsFor(
  tdb: TestDatabase,
  clock: { now: Date },
  channels: NotificationChannel[],
  extra: { db?: Db; logs?: string[] } = {},
): SyncDeps {
  const log = (fields: Record<string, unknown>, message: string) =>
    extra.logs?.push(`${message} ${JSON.stringify(fields)}`);
  return makeSyncDeps({
    db: extra.db ?? tdb.store.db,
    keys: tdb.store.keys,
    appleBaseUrl: "http://127.0.0.1:9/mdm/v2",
    mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
    now: () => clock.now,
    channels,
    logger: { info: log, warn: log, error: log },
    tuning: { leaseMs: LEASE_MS },
  });
}

/** A channel that records what it got and fails while `down` says so. */
function recorder(down: () => Error | undefined = () => undefined) {
  const got: Notification[] = [];
  const channel: NotificationChannel = {
    name: "webhook",
    async deliver(n) {
      const error = down();
      if (error) throw error;
      got.push(n);
    },
  };
  return { channel, got };
}

async function raiseOne(deps: SyncDeps, spaceId: string): Promise<Notification> {
  const raised = await raise(deps, {
    spaceId,
    kind: "token_revoked",
    severity: "alert",
    component: "Apps and Books",
    message: notificationMessage("token.issue", { issue: "revoked", account: "Main" }),
    accountId: `acc-${Math.random()}`,
    now: deps.now(),
  });
  if (!raised) throw new Error("not raised");
  return raised;
}

const fetchAnswering =
  (status: number, calls: string[] = []) =>
  async (url: string) => {
    calls.push(url);
    return new Response(null, { status });
  };

describeEachDatabase("notification deliveries", (tdb) => {
  it("NT3: a channel down for an hour still gets the notification afterwards, once", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    const start = clock.now.getTime();
    const hook = recorder(() =>
      clock.now.getTime() < start + 60 * MINUTE ? new NotificationDeliveryError("HTTP 503", true) : undefined,
    );
    const deps = depsFor(tdb(), clock, [hook.channel]);
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const raised = await raiseOne(deps, space.id);
    expect(hook.got).toHaveLength(0);
    // A worker's rounds, every minute for two hours.
    for (let minute = 1; minute <= 120; minute++) {
      clock.now = new Date(start + minute * MINUTE);
      await deliverNotifications(deps);
    }
    expect(hook.got.filter((n) => n.id === raised.id)).toHaveLength(1);
    const [delivery] = await listNotificationDeliveries(tdb().store.db, space.id, raised.id);
    expect(delivery).toMatchObject({ channel: "webhook", state: "delivered" });
  });

  it("NT3: a refusal (HTTP 4xx) fails the delivery at once; 408, 429 and 5xx are retried", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    const calls: string[] = [];
    const refused = depsFor(tdb(), clock, [
      webhookChannel({
        url: "http://hook.test/x",
        secret: "s3cret-value",
        fetch: fetchAnswering(400, calls),
      }),
    ]);
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const n = await raiseOne(refused, space.id);
    clock.now = new Date(clock.now.getTime() + 60 * MINUTE);
    await deliverNotifications(refused);
    expect(calls).toHaveLength(1);
    expect((await listNotificationDeliveries(tdb().store.db, space.id, n.id))[0]).toMatchObject({
      state: "failed",
      attempts: 1,
      lastError: "the webhook answered HTTP 400",
    });

    for (const status of [408, 429, 503]) {
      const busy = depsFor(tdb(), clock, [
        webhookChannel({ url: "http://hook.test/x", secret: "s3cret-value", fetch: fetchAnswering(status) }),
      ]);
      const m = await raiseOne(busy, space.id);
      expect((await listNotificationDeliveries(tdb().store.db, space.id, m.id))[0]).toMatchObject({
        state: "pending",
        notBefore: new Date(clock.now.getTime() + 2000),
      });
    }
  });

  it("NT3: a receiver's Retry-After (seconds or a date) is honoured over the backoff, up to an hour", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const answering = (status: number, retryAfter: string) => async () =>
      new Response(null, { status, headers: { "retry-after": retryAfter } });
    const waits: Array<[number, string, number]> = [
      [503, "120", 120_000],
      [429, new Date(clock.now.getTime() + 5 * MINUTE).toUTCString(), 5 * MINUTE],
      // Shorter than the backoff: the backoff's 2 s; unreadable: the backoff; too long: an hour.
      [503, "1", 2000],
      [429, "soon", 2000],
      [503, String(7 * 24 * 3600), 60 * MINUTE],
    ];
    for (const [status, retryAfter, wait] of waits) {
      const busy = depsFor(tdb(), clock, [
        webhookChannel({
          url: "http://hook.test/x",
          secret: "s3cret-value",
          fetch: answering(status, retryAfter),
          now: () => clock.now, // an HTTP-date counts from the channel's clock
        }),
      ]);
      const m = await raiseOne(busy, space.id);
      expect(
        (await listNotificationDeliveries(tdb().store.db, space.id, m.id))[0],
        `${status} Retry-After: ${retryAfter}`,
      ).toMatchObject({ state: "pending", notBefore: new Date(clock.now.getTime() + wait) });
    }

    // The deliveries after the one told to wait are not tried, and wait as long.
    const calls: string[] = [];
    const busy = depsFor(tdb(), clock, [
      webhookChannel({
        url: "http://hook.test/x",
        secret: "s3cret-value",
        fetch: async (url: string) => {
          calls.push(url);
          return new Response(null, { status: 503, headers: { "retry-after": "600" } });
        },
      }),
    ]);
    const first = await raiseOne(busy, space.id);
    const second = await raiseOne(busy, space.id);
    clock.now = new Date(clock.now.getTime() + 20 * MINUTE);
    calls.length = 0;
    await deliverNotifications(busy);
    expect(calls).toHaveLength(1);
    for (const n of [first, second])
      expect((await listNotificationDeliveries(tdb().store.db, space.id, n.id))[0]).toMatchObject({
        state: "pending",
        notBefore: new Date(clock.now.getTime() + 10 * MINUTE),
      });
  });

  it("NT3: each delivery gives up on its own attempts, not on another's in the same batch", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    let down = true;
    const hook = recorder(() => (down ? new NotificationDeliveryError("HTTP 503", true) : undefined));
    const deps = depsFor(tdb(), clock, [hook.channel]);
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const old = await raiseOne(deps, space.id);
    const fresh = await raiseOne(deps, space.id);
    await tdb()
      .store.db.withTables<{ notification_deliveries: { notification_id: string; attempts: number } }>()
      .updateTable("notification_deliveries")
      .set({ attempts: MAX_DELIVERY_ATTEMPTS - 1 })
      .where("notification_id", "=", old.id)
      .execute();
    clock.now = new Date(clock.now.getTime() + 20 * MINUTE);
    down = true;
    await deliverNotifications(deps);
    const state = async (id: string) => (await listNotificationDeliveries(tdb().store.db, space.id, id))[0];
    expect(await state(old.id)).toMatchObject({ state: "failed", attempts: MAX_DELIVERY_ATTEMPTS });
    expect(await state(fresh.id)).toMatchObject({ state: "pending", attempts: 2 });
    down = false;
    clock.now = new Date(clock.now.getTime() + 20 * MINUTE);
    await deliverNotifications(deps);
    expect(hook.got.map((n) => n.id).filter((id) => id === old.id || id === fresh.id)).toEqual([fresh.id]);
  });

  it("NT3: a delivery settles only under its own claim: one taken over after its lease ran out is not overwritten", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    // Worker 1's call hangs (a process about to be killed, or a very slow receiver).
    let answerFirst: ((error?: Error) => void) | undefined;
    const slow: NotificationChannel = {
      name: "webhook",
      deliver: () =>
        new Promise<undefined>((resolve, reject) => {
          answerFirst = (error) => (error ? reject(error) : resolve(undefined));
        }),
    };
    const worker1 = depsFor(tdb(), clock, [slow]);
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const first = raiseOne(worker1, space.id);
    await expect.poll(() => answerFirst !== undefined).toBe(true);
    const [stored] = await listNotifications(tdb().store.db, space.id);
    if (!stored) throw new Error("no notification");

    // Its lease runs out: worker 2 claims the delivery and sends it (at least once).
    clock.now = new Date(clock.now.getTime() + LEASE_MS + 1000);
    const hook = recorder();
    const worker2 = depsFor(tdb(), clock, [hook.channel]);
    await deliverNotifications(worker2);
    const sent = () => hook.got.filter((n) => n.id === stored.id);
    expect(sent()).toHaveLength(1);

    // Worker 1's call finally fails: its retry must not reopen the delivery worker 2 made.
    answerFirst?.(new NotificationDeliveryError("HTTP 503", true));
    await first;
    const [delivery] = await listNotificationDeliveries(tdb().store.db, space.id, stored.id);
    expect(delivery).toMatchObject({ state: "delivered", attempts: 2 });
    clock.now = new Date(clock.now.getTime() + 60 * MINUTE);
    await deliverNotifications(worker2);
    expect(sent()).toHaveLength(1);
  });

  it("NT3: neither the webhook's URL credentials nor its secret are logged or stored", async () => {
    const clock = { now: new Date("2026-03-01T10:00:00Z") };
    const logs: string[] = [];
    const deps = depsFor(
      tdb(),
      clock,
      [
        webhookChannel({
          url: "http://orchard:hunter2-password@127.0.0.1:9/hook",
          secret: "whsec-very-secret",
        }),
      ],
      { logs },
    );
    const { space } = await spaceWithApp(tdb().store.db, newAdamId());
    const n = await raiseOne(deps, space.id);
    const [delivery] = await listNotificationDeliveries(tdb().store.db, space.id, n.id);
    expect(delivery?.state).toBe("pending");
    expect(delivery?.lastError).toMatch(/^the webhook could not be reached/);
    expect(logs.join("\n")).toContain("notification not delivered");
    for (const text of [logs.join("\n"), delivery?.lastError ?? ""]) {
      expect(text).not.toContain("hunter2");
      expect(text).not.toContain("whsec-very-secret");
    }
  });

  it("NT1: evaluations of one (account, app) take turns: a stale count never leaves a level raised below 50 %", async () => {
    const db = tdb().store.db;
    const adamId = newAdamId();
    const { space } = await spaceWithApp(db, adamId);
    const { account } = await accountWithSeats(db, tdb().store.keys, {
      spaceId: space.id,
      adamId,
      total: 10,
      used: 6,
    });
    const key = { spaceId: space.id, accountId: account.id, adamId };
    const clock = { now: new Date() };
    // Worker A stops right after reading the open levels, as a slow worker would.
    const pause = pauseAfterFirstRead("notifications");
    const workerA = depsFor(tdb(), clock, [], { db: db.withPlugin(pause.plugin) });
    const workerB = depsFor(tdb(), clock, []);
    const a = evaluateUsage(workerA, key); // 6 of 10: will raise 50 %
    await pause.reached;
    // Meanwhile licenses are released (4 of 10) and worker B evaluates that.
    const b = (async () => {
      await db
        .updateTable("assets")
        .set({ used: 4 })
        .where("space_id", "=", space.id)
        .where("account_id", "=", account.id)
        .where("adam_id", "=", adamId)
        .execute();
      await evaluateUsage(workerB, key);
    })();
    await Promise.race([b, new Promise((r) => setTimeout(r, 300))]);
    pause.release();
    await Promise.all([a, b]);
    const open = (await listNotifications(db, space.id, { open: true })).filter(
      (n) => n.kind === "license_usage",
    );
    expect(open.map((n) => n.threshold)).toEqual([]); // 40 %: nothing open
  });
});

/** A plugin that holds the first SELECT reading `table` after its result, until released. */
function pauseAfterFirstRead(table: string) {
  let reachedResolve!: () => void;
  const reached = new Promise<void>((r) => {
    reachedResolve = r;
  });
  let releaseResolve!: () => void;
  const released = new Promise<void>((r) => {
    releaseResolve = r;
  });
  const watched = new Set<unknown>();
  let armed = true;
  const plugin: KyselyPlugin = {
    transformQuery(args: { node: RootOperationNode; queryId: unknown }) {
      // A query built with Kysely names the table quoted; a raw statement reads "from <table>".
      const text = JSON.stringify(args.node);
      const reads =
        (args.node.kind === "SelectQueryNode" && text.includes(`"${table}"`)) ||
        (args.node.kind === "RawNode" &&
          /^\s*select/i.test(text.slice(text.indexOf("[") + 2)) &&
          text.includes(`from ${table} `));
      if (armed && reads) watched.add(args.queryId);
      return args.node;
    },
    async transformResult(args: { result: QueryResult<UnknownRow>; queryId: unknown }) {
      if (armed && watched.has(args.queryId)) {
        armed = false;
        reachedResolve();
        await released;
      }
      return args.result;
    },
  };
  return { plugin, reached, release: () => releaseResolve() };
}
