import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminPrincipal, createAdministrator, issueApiToken } from "../../src/auth/auth.service.js";
import { loadConfig } from "../../src/config.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { buildServer, type Orchard } from "../../src/main/server.js";
import { createDevices, type DeviceRecord } from "../../src/store/index.js";
import { listMdmCommands, queueMdmCommands, settleMdmCommands } from "../../src/store/mdm-command.repo.js";
import { verifyWebhookSignature } from "../../src/webhook.js";
import { describeEachDatabase } from "../store/databases.js";
import { bundleIdFound, deviceLicenses } from "../store/fixtures.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * An administrator's hold on the MDM commands: the console's list, failed commands sent
 * again once the MDM's webhook is fixed (never one that must not go: LT2, twins), and the
 * test message that checks the webhook.
 */
describeEachDatabase("MDM commands: list and send again", (db) => {
  let f: Fixture;
  let devices: DeviceRecord[] = [];
  const s = () => `/api/v1/spaces/${f.ids.spaceA}`;
  const retry = (payload: unknown, token = f.tokens.write) =>
    f.app.inject({
      method: "POST",
      url: `${s()}/mdm/commands/retry`,
      headers: auth(token),
      payload: payload as Record<string, unknown>,
    });
  const get = (url: string, token = f.tokens.read) => f.app.inject({ url, headers: auth(token) });

  /** Queues a command for `device` (an install on its own license, in `licenseState`) and returns its seq. */
  async function queue(
    device: DeviceRecord,
    kind: "install" | "remove",
    license?: { id?: string; state?: "assigned" | "released" },
  ): Promise<number> {
    const store = db().store;
    const licenseId =
      license?.id ??
      (license?.state
        ? (
            await deviceLicenses(store.db, {
              spaceId: f.ids.spaceA,
              accountId: f.ids.accountA,
              adamId: f.ids.adamId,
              devices: [device],
              state: license.state,
            })
          )[0]
        : undefined);
    await queueMdmCommands(store.db, [
      {
        spaceId: f.ids.spaceA,
        kind,
        deviceId: device.id,
        serialNumber: device.serialNumber,
        adamId: f.ids.adamId,
        ...(licenseId ? { licenseId } : {}),
        ruleIds: ["LT2"],
        now: NOW,
      },
    ]);
    const mine = await listMdmCommands(store.db, f.ids.spaceA, { deviceId: device.id });
    return Math.max(...mine.map((c) => c.seq));
  }
  /** The webhook kept failing: the delivery gave up on it. */
  const fail = (seq: number) =>
    settleMdmCommands(db().store.db, {
      commands: [{ spaceId: f.ids.spaceA, seq }],
      state: "failed",
      fromStates: ["pending"],
      error: "the MDM webhook answered HTTP 503",
      now: NOW,
    });
  const stateOf = async (seq: number) =>
    (await listMdmCommands(db().store.db, f.ids.spaceA, {})).find((c) => c.seq === seq)?.state;

  let live = 0;
  let dead = 0;
  let older = 0;
  let twin = 0;
  let removed = 0;

  it("the console's list puts failed commands first, then pending ones, with the app's name and the counts per state", async () => {
    f = await buildFixture(db().store);
    devices = await createDevices(
      db().store.db,
      ["A", "B", "C", "D"].map((letter) => ({
        spaceId: f.ids.spaceA,
        serialNumber: `MDM${letter}${f.ids.suffix}`,
        platform: "iOS" as const,
      })),
    );
    const [a, b, c, d] = devices;
    if (!a || !b || !c || !d) throw new Error("no devices");
    live = await queue(a, "install", { state: "assigned" });
    await fail(live);
    dead = await queue(b, "install", { state: "released" });
    await fail(dead);
    // C: the install failed, then a later check-in queued the same install again (its twin).
    const cLicense = (
      await deviceLicenses(db().store.db, {
        spaceId: f.ids.spaceA,
        accountId: f.ids.accountA,
        adamId: f.ids.adamId,
        devices: [c],
        state: "assigned",
      })
    )[0];
    older = await queue(c, "install", { ...(cLicense ? { id: cLicense } : {}) });
    await fail(older);
    twin = await queue(c, "install", { ...(cLicense ? { id: cLicense } : {}) });
    removed = await queue(d, "remove");
    await settleMdmCommands(db().store.db, {
      commands: [{ spaceId: f.ids.spaceA, seq: removed }],
      state: "delivered",
      fromStates: ["pending"],
      now: NOW,
    });

    const r = await get(`${s()}/mdm/commands/overview`);
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body).toMatchObject({
      total: 5,
      page: 1,
      pageSize: 50,
      counts: { failed: 3, pending: 1, delivered: 1, cancelled: 0 },
    });
    expect(body.items.map((c: { seq: number; state: string }) => [c.seq, c.state])).toEqual([
      [older, "failed"],
      [dead, "failed"],
      [live, "failed"],
      [twin, "pending"],
      [removed, "delivered"],
    ]);
    expect(body.items[2]).toMatchObject({
      seq: live,
      kind: "install",
      deviceId: a.id,
      serialNumber: a.serialNumber,
      adamId: f.ids.adamId,
      appName: "Pages",
      attempts: 0,
      lastError: "the MDM webhook answered HTTP 503",
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    const failedOnly = (await get(`${s()}/mdm/commands/overview?state=failed,pending&q=mdmc`)).json();
    expect(failedOnly.items.map((c: { seq: number }) => c.seq)).toEqual([older, twin]);
    expect(failedOnly.total).toBe(2);
    const bad = await get(`${s()}/mdm/commands/overview?state=failed,lost`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers["content-type"]).toMatch(/problem\+json/);
    expect((await get(`${s()}/mdm/commands/overview`, f.tokens.other)).statusCode).toBe(404);
  });

  it("PM1: sending failed commands again needs the write role: a read-only token is a 403, another space's a 404; nothing changes", async () => {
    const read = await retry({ all: true }, f.tokens.read);
    expect(read.statusCode).toBe(403);
    expect(read.headers["content-type"]).toMatch(/problem\+json/);
    expect(read.json().code).toBe("forbidden");
    expect((await retry({ all: true }, f.tokens.other)).statusCode).toBe(404);
    expect(await stateOf(live)).toBe("failed");
  });

  it("bad bodies are 400 problems naming what is wrong: no seqs nor all, both, an empty or too long list, a seq that is not one, an unknown field", async () => {
    const cases: Array<[unknown, string]> = [
      [{}, "body"],
      [{ seqs: [live], all: true }, "body"],
      [{ seqs: [] }, "body.seqs"],
      [{ seqs: Array.from({ length: 1001 }, (_, i) => i + 1) }, "body.seqs"],
      [{ seqs: [0] }, "body.seqs.0"],
      [{ seqs: ["12"] }, "body.seqs.0"],
      [{ all: false }, "body.all"],
      [{ seqs: [live], retry: true }, "body.retry"],
    ];
    for (const [payload, field] of cases) {
      const r = await retry(payload);
      const label = JSON.stringify(payload).slice(0, 80);
      expect(r.statusCode, `${label}: ${r.body}`).toBe(400);
      expect(r.headers["content-type"], label).toMatch(/problem\+json/);
      expect(r.json().code, label).toBe("validation_failed");
      expect(
        r.json().errors.map((e: { field: string }) => e.field),
        label,
      ).toContain(field);
    }
    const both = await retry({ seqs: [live], all: true });
    expect(both.json().errors[0].message).toBe(
      "give either seqs (the failed commands to send again) or all: true, not both",
    );
    expect(await stateOf(live)).toBe("failed");
  });

  it("LT2: a failed install goes back to pending; one whose license is no longer live, or with a newer twin, is skipped and cancelled, saying why", async () => {
    const r = await retry({ seqs: [live, dead, older, removed, 99_999_999] });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({
      retried: 1,
      seqs: [live],
      skipped: [
        { seq: dead, reason: "license_not_live" },
        { seq: older, reason: "superseded", by: twin },
        { seq: removed, reason: "not_failed", state: "delivered" },
        { seq: 99_999_999, reason: "not_found" },
      ].sort((x, y) => x.seq - y.seq),
    });
    const pending = (await get(`${s()}/mdm/commands?state=pending`)).json().items;
    expect(pending.map((c: { seq: number; attempts: number }) => [c.seq, c.attempts])).toEqual([
      [live, 0],
      [twin, 0],
    ]);
    expect(await stateOf(dead)).toBe("cancelled");
    expect(await stateOf(older)).toBe("cancelled");
    // Nothing failed is left: sending everything again changes nothing.
    expect((await retry({ all: true })).json()).toEqual({ retried: 0, seqs: [], skipped: [] });
  });

  it("invariant 4: the activity log says who sent the command again, and which were cancelled instead", async () => {
    const lines = (await get(`${s()}/activity?action=command.retried`)).json().items;
    expect(lines).toEqual([
      expect.objectContaining({
        action: "command.retried",
        actor: { kind: "api_token", id: expect.any(String) },
        actorName: "writer",
        deviceId: devices[0]?.id,
        adamId: f.ids.adamId,
        messageKey: "command.retried",
        messageParams: { seq: live },
      }),
    ]);
    const cancelled = (await get(`${s()}/activity?action=command.cancelled`)).json().items;
    expect(cancelled.map((l: { messageKey: string }) => l.messageKey).sort()).toEqual([
      "command.retry_license_not_live",
      "command.retry_superseded",
    ]);
  });

  it("a polled command says which Apple command to build: the device's platform, App or Book, an install's license type, and the bundle id once the store's lookup found it", async () => {
    const [a, , , d] = devices;
    const polled = async () => {
      const ready = (await get(`${s()}/mdm/commands?ready=true&device=${a?.id}`)).json().items;
      const remove = (await get(`${s()}/mdm/commands?state=delivered&device=${d?.id}`)).json().items;
      return [...ready, ...remove];
    };
    const before = await polled();
    expect(before).toMatchObject([
      { seq: live, kind: "install", platform: "iOS", productType: "App", licenseType: "device" },
      { seq: removed, kind: "remove", platform: "iOS", productType: "App" },
    ]);
    // The lookup has not run: no bundle id yet, and a remove has no license to name.
    expect(before.map((c: object) => "bundleId" in c)).toEqual([false, false]);
    expect("licenseType" in before[1]).toBe(false);
    await bundleIdFound(db().store.db, {
      spaceId: f.ids.spaceA,
      accountId: f.ids.accountA,
      adamId: f.ids.adamId,
      bundleId: "com.apple.Pages",
    });
    expect((await polled()).map((c: { bundleId?: string }) => c.bundleId)).toEqual([
      "com.apple.Pages",
      "com.apple.Pages",
    ]);
  });

  it("without an MDM webhook configured, the test is a 409 problem saying what to set", async () => {
    const r = await f.app.inject({
      method: "POST",
      url: `${s()}/mdm/webhook/test`,
      headers: auth(f.tokens.write),
    });
    expect(r.statusCode).toBe(409);
    expect(r.headers["content-type"]).toMatch(/problem\+json/);
    expect(r.json()).toMatchObject({ code: "mdm_webhook_not_configured" });
    expect(r.json().title).toContain("MDM_WEBHOOK_URL");
  });
});

const SECRET = "mdm-webhook-test-secret-0123";
const URL_PASSWORD = "hunter2-in-the-url";

/**
 * "Send a test webhook" through `orchard serve`'s own binding (src/main/server.ts, from
 * MDM_WEBHOOK_URL and MDM_WEBHOOK_SECRET), to a receiver on 127.0.0.1 that checks the
 * signature as an MDM does.
 */
describe("MDM webhook test", () => {
  let receiver: Server;
  let port = 0;
  let status = 204;
  const received: Array<{ body: string; signed: boolean; authorization?: string }> = [];
  let orchard: Orchard;
  let dataDir = "";
  let spaceId = "";
  let writer = "";
  let reader = "";

  const listen = (server: Server, on: number) =>
    new Promise<void>((resolve) => server.listen(on, "127.0.0.1", resolve));
  const test = (token = writer) =>
    orchard.app.inject({
      method: "POST",
      url: `/api/v1/spaces/${spaceId}/mdm/webhook/test`,
      headers: auth(token),
    });

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => {
        const header = String(req.headers["x-orchard-signature"] ?? "");
        const signed = verifyWebhookSignature({ header, body, secret: SECRET, now: new Date() });
        received.push({
          body,
          signed,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        });
        // No keep-alive: once the receiver is closed, the next test meets a refused connection.
        res.writeHead(signed ? status : 401, { connection: "close" }).end();
      });
    });
    await listen(receiver, 0);
    port = (receiver.address() as AddressInfo).port;
    dataDir = mkdtempSync(join(tmpdir(), "orchard-mdm-test-"));
    const config = loadConfig({
      ORCHARD_DATA_DIR: dataDir,
      ORCHARD_SECRET_KEY: randomBytes(32).toString("hex"),
      LOG_LEVEL: "silent",
      MDM_WEBHOOK_URL: `http://orchard:${URL_PASSWORD}@127.0.0.1:${port}/mdm`,
      MDM_WEBHOOK_SECRET: SECRET,
    });
    orchard = await buildServer(config, { memory: true, worker: false });
    spaceId = await ensureDefaultSpace(orchard);
    const now = new Date();
    const token = async (login: string, role: "manage" | "read") => {
      const grants = [{ spaceId, role }];
      const admin = await createAdministrator(orchard.store.db, {
        login,
        password: "correct horse battery",
        isOwner: false,
        grants,
        now,
      });
      const principal = await adminPrincipal(orchard.store.db, admin, "token");
      return (
        await issueApiToken(orchard.store.db, { ...principal, isOwner: true }, { name: login, grants, now })
      ).token;
    };
    writer = await token("mdm-writer", "manage");
    reader = await token("mdm-reader", "read");
  }, 60_000);

  afterAll(async () => {
    await orchard?.close();
    await new Promise<void>((resolve) => receiver?.close(() => resolve()));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends one signed message marked as a test, with no command, and answers delivered with the MDM's status and the time it took", async () => {
    const r = await test();
    expect(r.statusCode, r.body).toBe(200);
    const answer = r.json();
    expect(answer).toEqual({
      outcome: "delivered",
      id: expect.any(String),
      status: 204,
      latencyMs: expect.any(Number),
    });
    expect(answer.latencyMs).toBeGreaterThanOrEqual(0);
    expect(received).toHaveLength(1);
    const [hit] = received;
    expect(hit?.signed).toBe(true);
    const message = JSON.parse(hit?.body ?? "{}");
    expect(message).toEqual({
      type: "test",
      test: { id: answer.id, spaceId, sentAt: expect.any(String) },
      commands: [],
    });
    expect(Math.abs(Date.parse(message.test.sentAt) - Date.now())).toBeLessThan(60_000);
    // The URL's credentials go as HTTP Basic, as for every delivery; neither they nor the secret come back.
    expect(hit?.authorization).toBe(`Basic ${Buffer.from(`orchard:${URL_PASSWORD}`).toString("base64")}`);
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain(URL_PASSWORD);
  });

  it("PM1: a read-only token cannot send it (403), and nothing is sent", async () => {
    const r = await test(reader);
    expect(r.statusCode).toBe(403);
    expect(received).toHaveLength(1);
  });

  it("a receiver that refuses answers failed, with its HTTP status in words and whether a delivery would be retried", async () => {
    status = 401;
    const refused = (await test()).json();
    expect(refused).toEqual({
      outcome: "failed",
      id: expect.any(String),
      status: 401,
      error: "the MDM webhook answered HTTP 401",
      retryable: false,
      latencyMs: expect.any(Number),
    });
    status = 503;
    expect((await test()).json()).toMatchObject({
      outcome: "failed",
      status: 503,
      error: "the MDM webhook answered HTTP 503",
      retryable: true,
    });
    // Each test is sent once, signed: the refusals were the receiver's own answers, not bad signatures.
    expect(received.slice(1).map((h) => h.signed)).toEqual([true, true]);
  });

  it("a receiver that cannot be reached answers failed, with the system's reason and no status; never the URL", async () => {
    await new Promise<void>((resolve) => {
      receiver.close(() => resolve());
      receiver.closeAllConnections();
    });
    const r = await test();
    expect(r.statusCode).toBe(200);
    const answer = r.json();
    expect(answer).toEqual({
      outcome: "failed",
      id: expect.any(String),
      error: "the MDM webhook could not be reached (ECONNREFUSED)",
      retryable: true,
      latencyMs: expect.any(Number),
    });
    expect(r.body).not.toContain(String(port));
    expect(r.body).not.toContain(URL_PASSWORD);
    await listen(receiver, port);
  });
});
