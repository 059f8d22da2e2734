import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { expect, it } from "vitest";
import { buildApi } from "../../src/api/app.js";
import { makeSyncDeps, resendDeliveries, type SyncDeps, webhookChannel } from "../../src/sync/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { raiseTokenRevoked } from "../sync/delivery-fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

const SECRET = "whsec-api-deliveries-secret";
const URL_PASSWORD = "hunter2-in-the-url";
const LATER = new Date(NOW.getTime() + 60_000);

/**
 * NT3 through the API: deliveries listed and counted, failed ones sent again (PM1: reading
 * needs the read role, sending again what acknowledging needs), never a channel's secret.
 */
describeEachDatabase("notification deliveries API", (db) => {
  let f: Fixture;
  let s = "";
  /** The API bound to a sync engine with a webhook (as `orchard serve` is), answering `status`. */
  let bound: FastifyInstance;
  let sync: SyncDeps;
  let status = 401;
  const received: string[] = [];
  const get = (url: string, token = f.tokens.write, app = f.app) => app.inject({ url, headers: auth(token) });
  const retry = (payload?: unknown, token = f.tokens.write, app = f.app, space = s) =>
    app.inject({
      method: "POST",
      url: `${space}/notifications/deliveries/retry`,
      headers: auth(token),
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const raiseIn = (spaceId: string, account: string, at = NOW) =>
    raiseTokenRevoked(sync, { spaceId, account, now: at });

  it("NT3: lists the deliveries with their notification; a webhook answering 401 shows failed, with why", async () => {
    f = await buildFixture(db().store);
    s = `/api/v1/spaces/${f.ids.spaceA}`;
    sync = makeSyncDeps({
      db: db().store.db,
      keys: db().store.keys,
      appleBaseUrl: "http://127.0.0.1:9/mdm/v2",
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      now: () => NOW,
      channels: [
        webhookChannel({
          url: `https://orchard:${URL_PASSWORD}@hooks.example.com/orchard`,
          secret: SECRET,
          fetch: async (_url: string, init: RequestInit) => {
            if (status < 300) received.push(JSON.parse(String(init.body)).notification.id);
            return new Response(null, { status });
          },
        }),
      ],
    });
    bound = await buildApi(
      {
        deps: f.deps,
        notificationDeliveries: {
          channels: ["webhook"],
          resend: (input) => resendDeliveries(sync, input),
        },
        ping: async () => void (await sql`select 1`.execute(db().store.db)),
        secureCookies: false,
      },
      { logLevel: "silent", console: false },
    );
    await bound.ready();
    const first = await raiseIn(f.ids.spaceA, "Main");
    const second = await raiseIn(f.ids.spaceA, "North", LATER);
    await raiseIn(f.ids.spaceB, "Other");

    const list = await get(`${s}/notifications/deliveries?state=failed`, f.tokens.read);
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ total: 2, page: 1, pageSize: 50 });
    expect(list.json().items.map((d: { notificationId: string }) => d.notificationId)).toEqual([
      second,
      first,
    ]);
    expect(list.json().items[0]).toEqual({
      notificationId: second,
      channel: "webhook",
      state: "failed",
      attempts: 1,
      lastError: "the webhook answered HTTP 401",
      createdAt: LATER.toISOString(),
      updatedAt: NOW.toISOString(),
      notification: {
        title: expect.stringContaining("North"),
        messageKey: "token.issue",
        messageParams: { issue: "revoked", account: "North" },
        kind: "token_revoked",
        severity: "alert",
        raisedAt: LATER.toISOString(),
      },
    });
    const paged = (await get(`${s}/notifications/deliveries?channel=webhook&pageSize=1&page=2`)).json();
    expect(paged).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(paged.items.map((d: { notificationId: string }) => d.notificationId)).toEqual([first]);
    // Any channel name may be listed, configured or not.
    expect((await get(`${s}/notifications/deliveries?channel=email`)).json()).toMatchObject({ total: 0 });
    expect((await get(`${s}/notifications/deliveries?state=delivered`)).json()).toMatchObject({ total: 0 });
  });

  it("NT3: the summary counts per channel and state, with the latest failure; bound, it says which channels are configured", async () => {
    const unbound = (await get(`${s}/notifications/deliveries/summary`, f.tokens.read)).json();
    expect(unbound).toEqual({
      failed: 2,
      channels: [
        {
          channel: "webhook",
          pending: 0,
          retrying: 0,
          delivered: 0,
          failed: 2,
          lastFailure: {
            notificationId: expect.any(String),
            error: "the webhook answered HTTP 401",
            at: NOW.toISOString(),
          },
        },
      ],
    });
    const summary = (await get(`${s}/notifications/deliveries/summary`, f.tokens.read, bound)).json();
    expect(
      summary.channels.map((c: { channel: string; configured: boolean }) => [c.channel, c.configured]),
    ).toEqual([["webhook", true]]);
  });

  it("NT3: a bad state, channel, page or body is a 400 naming the field", async () => {
    const field = async (
      response: Promise<{ statusCode: number; json(): { errors: Array<{ field: string }> } }>,
    ) => {
      const r = await response;
      expect(r.statusCode).toBe(400);
      return [...new Set(r.json().errors.map((e) => e.field))];
    };
    expect(await field(get(`${s}/notifications/deliveries?state=lost`))).toEqual(["querystring.state"]);
    expect(await field(get(`${s}/notifications/deliveries?channel=Web%20Hook`))).toEqual([
      "querystring.channel",
    ]);
    expect(await field(get(`${s}/notifications/deliveries?pageSize=0`))).toEqual(["querystring.pageSize"]);
    expect(await field(get(`${s}/notifications/deliveries?sort=attempts`))).toEqual(["querystring.sort"]);
    expect(await field(retry({ notificationIds: [] }))).toEqual(["body.notificationIds"]);
    expect(await field(retry({ channel: "" }))).toEqual(["body.channel"]);
    const bad = await get(`${s}/notifications/deliveries?state=lost`);
    expect(bad.headers["content-type"]).toMatch(/application\/problem\+json/);
    expect(bad.json().errors[0]).toMatchObject({
      rule: "invalid_value",
      limits: { values: "pending, delivered, failed" },
    });
  });

  it("PM1: a reader lists but may not send again (403); another space's administrator gets 404", async () => {
    expect((await get(`${s}/notifications/deliveries`, f.tokens.read)).statusCode).toBe(200);
    expect((await get(`${s}/notifications/deliveries`, f.tokens.other)).statusCode).toBe(404);
    expect((await get(`${s}/notifications/deliveries/summary`, f.tokens.other)).statusCode).toBe(404);
    const reader = await retry({}, f.tokens.read);
    expect(reader.statusCode).toBe(403);
    expect(reader.json().code).toBe("forbidden");
    expect((await retry({}, f.tokens.other)).statusCode).toBe(404);
    expect((await get(`${s}/notifications/deliveries?state=failed`)).json().total).toBe(2);
  });

  it("NT3: bound, a channel this server has not configured is a 409 naming it; still refused, sending again fails again", async () => {
    const unknown = await retry({ channel: "email" }, f.tokens.write, bound);
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json()).toMatchObject({
      code: "channel_not_configured",
      errors: [{ field: "body.channel", message: expect.stringContaining("configured: webhook") }],
    });
    const again = await retry(undefined, f.tokens.write, bound);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual({
      retried: 2,
      delivered: 0,
      failed: 2,
      pending: 0,
      errors: [{ channel: "webhook", error: "the webhook answered HTTP 401" }],
    });
  });

  it("NT3: fixed, sending again delivers at once, the same notification ids; again is nothing; another space's stay failed", async () => {
    status = 204;
    const failed = (await get(`${s}/notifications/deliveries?state=failed`)).json();
    const ids = failed.items.map((d: { notificationId: string }) => d.notificationId);
    const sent = await retry({ channel: "webhook" }, f.tokens.write, bound);
    expect(sent.json()).toEqual({ retried: 2, delivered: 2, failed: 0, pending: 0, errors: [] });
    expect(received.sort()).toEqual([...ids].sort());
    expect((await retry({}, f.tokens.write, bound)).json()).toMatchObject({ retried: 0 });
    expect((await get(`${s}/notifications/deliveries?state=delivered`)).json().total).toBe(2);
    const other = `/api/v1/spaces/${f.ids.spaceB}/notifications/deliveries?state=failed`;
    expect((await get(other, f.tokens.other)).json().total).toBe(1);
  });

  it("NT3: unbound, sending again re-queues for the worker (pending); an empty JSON body is all", async () => {
    const b = `/api/v1/spaces/${f.ids.spaceB}`;
    const queued = await retry(undefined, f.tokens.other, f.app, b);
    expect(queued.json()).toEqual({ retried: 1, delivered: 0, failed: 0, pending: 1, errors: [] });
    const list = (await get(`${b}/notifications/deliveries`, f.tokens.other)).json();
    expect(list.items[0]).toMatchObject({
      state: "pending",
      attempts: 0,
      lastError: "the webhook answered HTTP 401",
    });
    expect((await retry({}, f.tokens.other, f.app, b)).json()).toMatchObject({ retried: 0 });
  });

  it("invariant 5: no answer carries the webhook's secret or its URL's password; the OpenAPI document has the routes", async () => {
    for (const url of [`${s}/notifications/deliveries`, `${s}/notifications/deliveries/summary`]) {
      for (const app of [f.app, bound]) {
        const body = (await get(url, f.tokens.write, app)).body;
        expect(body).not.toContain(SECRET);
        expect(body).not.toContain(URL_PASSWORD);
        expect(body).not.toContain("hooks.example.com");
      }
    }
    const doc = f.app.swagger() as { paths: Record<string, Record<string, { operationId?: string }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/spaces/{spaceId}/notifications/deliveries",
        "/api/v1/spaces/{spaceId}/notifications/deliveries/summary",
        "/api/v1/spaces/{spaceId}/notifications/deliveries/retry",
      ]),
    );
    expect(
      doc.paths["/api/v1/spaces/{spaceId}/notifications/deliveries/retry"]?.post?.operationId,
    ).toBeTruthy();
    await bound.close();
  });
});
