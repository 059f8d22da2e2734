import { expect, it } from "vitest";
import { auth, buildFixture, NOW } from "../api/harness.js";
import { describeEachDatabase } from "../store/databases.js";
import { sample } from "./samples.js";

const METRICS_TOKEN = "scrape-token-0123456789abcdef";
const scrape = (token = METRICS_TOKEN) => ({ authorization: `Bearer ${token}` });

/**
 * GET /metrics (METRICS_TOKEN): Prometheus' text format, this process's figures and what
 * Orchard holds, read from the database at each scrape.
 */
describeEachDatabase("metrics for Prometheus", (db) => {
  it("is off without METRICS_TOKEN: a 404 problem saying how to turn it on", async () => {
    const f = await buildFixture(db().store);
    try {
      const r = await f.app.inject({ method: "GET", url: "/metrics", headers: scrape() });
      expect(r.statusCode).toBe(404);
      expect(r.headers["content-type"]).toMatch(/application\/problem\+json/);
      expect(r.json()).toMatchObject({ code: "metrics_off" });
      expect(r.json().detail ?? r.json().title).toMatch(/METRICS_TOKEN/);
    } finally {
      await f.app.close();
    }
  });

  it("asks for the metrics token: none, a wrong one or an Orchard API token is a 401 with WWW-Authenticate", async () => {
    const f = await buildFixture(db().store, { metricsToken: METRICS_TOKEN });
    try {
      for (const headers of [{}, scrape("not-the-token-0123456789"), auth(f.tokens.write)]) {
        const r = await f.app.inject({ method: "GET", url: "/metrics", headers });
        expect(r.statusCode, JSON.stringify(headers)).toBe(401);
        expect(r.json()).toMatchObject({ code: "unauthenticated" });
        expect(r.headers["www-authenticate"]).toMatch(/^Bearer/);
        expect(r.body).not.toContain("orchard_");
      }
    } finally {
      await f.app.close();
    }
  });

  it("NT1, NT2, DB2: tells what Orchard holds (seats, queue, Apple work, token health and expiry, notifications) as the database has it", async () => {
    const f = await buildFixture(db().store, { metricsToken: METRICS_TOKEN });
    try {
      const { spaceA, accountA, adamId } = f.ids;
      // The fixture's license (user-based, on its way to Apple) holds 1 of the 10 seats;
      // the other 9 go to new devices, and two more wait for a license (DB2).
      for (let i = 0; i < 11; i++) {
        const created = await f.app.inject({
          method: "POST",
          url: `/api/v1/spaces/${spaceA}/devices`,
          headers: auth(f.tokens.write),
          payload: { serialNumber: `METRICS${f.ids.suffix}${i}`, platform: "iOS" },
        });
        expect(created.statusCode, created.body).toBe(201);
        const asked = await f.app.inject({
          method: "POST",
          url: `/api/v1/spaces/${spaceA}/license-requests`,
          headers: auth(f.tokens.write),
          payload: { app: adamId, device: created.json().id, why: "mandatory" },
        });
        expect(asked.statusCode, asked.body).toBeLessThan(300);
      }
      // The token's end, as Apple's responses report it (tokenExpirationDate).
      await db()
        .store.db.updateTable("accounts")
        .set({ token_expires_at: new Date("2030-11-08T22:33:22Z") })
        .where("space_id", "=", spaceA)
        .execute();
      const r = await f.app.inject({ method: "GET", url: "/metrics", headers: scrape() });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = r.body;
      const ofA = { space: spaceA, account: accountA };
      expect(sample(text, "orchard_space_info", { space: spaceA })).toBe(1);
      expect(text).toContain(`orchard_space_info{space="${spaceA}",name="A ${f.ids.suffix}"} 1`);
      expect(sample(text, "orchard_account_info", { ...ofA, name: "Main" })).toBe(1);
      expect(sample(text, "orchard_account_health", { ...ofA, health: "ok" })).toBe(1);
      // The fixture's clock is NOW.
      expect(sample(text, "orchard_account_token_expiry_seconds", ofA)).toBe(
        (Date.parse("2030-11-08T22:33:22Z") - NOW.getTime()) / 1000,
      );
      expect(sample(text, "orchard_licenses_purchased", ofA)).toBe(10);
      expect(sample(text, "orchard_licenses_used", ofA)).toBe(10);
      expect(sample(text, "orchard_waiting_requests", { space: spaceA, reason: "no_license" })).toBe(2);
      // Every grant is on its way to Apple: the device ones in calls of their own or the outbox.
      const pending = sample(text, "orchard_apple_operations_pending", { ...ofA, kind: "associate" }) ?? 0;
      const inCalls = ["queued", "sending", "sent"].reduce(
        (n, state) => n + (sample(text, "orchard_apple_calls", { ...ofA, state }) ?? 0),
        0,
      );
      expect(pending + inCalls).toBeGreaterThan(0);
      expect(pending).toBeGreaterThanOrEqual(1); // the user license goes through the outbox
      expect(sample(text, "orchard_apple_oldest_pending_seconds", ofA)).toBeGreaterThanOrEqual(0);
      expect(sample(text, "orchard_notifications_open", { space: spaceA, severity: "info" })).toBe(1);
      // Another space's figures are its own.
      expect(sample(text, "orchard_licenses_used", { space: f.ids.spaceB, account: f.ids.accountB })).toBe(0);
    } finally {
      await f.app.close();
    }
  });

  it("counts the HTTP requests it answered by route pattern and status, never by URL, with Node's own figures", async () => {
    const f = await buildFixture(db().store, { metricsToken: METRICS_TOKEN });
    try {
      const route = "/api/v1/spaces/:spaceId/apps";
      const read = async () =>
        (await f.app.inject({ method: "GET", url: "/metrics", headers: scrape() })).body;
      const before = await read();
      const count = (text: string, status: string, path = route) =>
        sample(text, "orchard_http_requests_total", { method: "GET", route: path, status }) ?? 0;
      for (let i = 0; i < 3; i++) {
        const r = await f.app.inject({
          method: "GET",
          url: `/api/v1/spaces/${f.ids.spaceA}/apps`,
          headers: auth(f.tokens.write),
        });
        expect(r.statusCode).toBe(200);
      }
      await f.app.inject({
        method: "GET",
        url: `/api/v1/spaces/${f.ids.spaceB}/apps`,
        headers: auth(f.tokens.write),
      });
      await f.app.inject({ method: "GET", url: `/api/v1/no-such-route-${f.ids.suffix}` });
      const after = await read();
      expect(count(after, "200") - count(before, "200")).toBe(3);
      expect(count(after, "404") - count(before, "404")).toBe(1); // space B is hidden from this token
      // A path no route has is counted under the route that answered it (the console's
      // catch-all, or "unmatched"), never under its URL.
      const notFound = (text: string) =>
        text
          .split("\n")
          .filter((l) => l.startsWith("orchard_http_requests_total{") && l.includes('status="404"'))
          .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
      expect(notFound(after) - notFound(before)).toBe(2);
      expect(after).not.toContain(f.ids.spaceA.concat("/apps"));
      expect(after).not.toContain(`no-such-route-${f.ids.suffix}`);
      expect(after).toMatch(/^orchard_http_request_duration_seconds_bucket\{/m);
      expect(sample(after, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
      expect(sample(after, "nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    } finally {
      await f.app.close();
    }
  });
});
