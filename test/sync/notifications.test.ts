import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { graceEnd } from "../../src/licensing/index.js";
import { formCalls, lockPendingOps, recordCallSent } from "../../src/store/apple-calls.repo.js";
import {
  getAccount,
  listLicensesForApp,
  listNotifications,
  releaseLicenses,
  withTransaction,
} from "../../src/store/index.js";
import { revealNotificationSecret } from "../../src/store/sync-accounts.repo.js";
import { reportIfTokenIssue } from "../../src/sync/health.js";
import {
  addAccount,
  dispatchOnce,
  handleAppleNotification,
  makeSyncDeps,
  tokenIssueOf,
  updateAccount,
  warnTokenExpiry,
  webhookChannel,
} from "../../src/sync/index.js";
import { verifyWebhookSignature } from "../../src/webhook.js";
import { describeEachDatabase } from "../store/databases.js";
import { ADMIN, checkIn, iosDevices, newAdamId, spaceWithApps } from "./fixtures.js";
import { appleSubjects, drain, FAST, type Harness, startHarness } from "./harness.js";

describeEachDatabase("notifications", (tdb) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(tdb());
  });
  afterAll(async () => {
    await h?.close();
  });
  const db = () => tdb().store.db;

  async function setUp(total: number) {
    const adamId = newAdamId();
    const loc = h.newLocation();
    h.sim.operator.addAsset(loc.uId, { adamId, totalCount: total, supportedPlatforms: ["iOS"] });
    const space = await spaceWithApps(db(), [adamId]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Notified",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    return { adamId, loc, space, account };
  }
  const openUsage = async (spaceId: string) =>
    (await listNotifications(db(), spaceId, { open: true }))
      .filter((n) => n.kind === "license_usage")
      .map((n) => n.threshold)
      .sort();

  it("NT1: each usage level is raised once on the way up, all are cleared below 50 %, then re-armed", async () => {
    const { adamId, space } = await setUp(10);
    const devices = await iosDevices(db(), space.id, 10);
    await checkIn(db(), space.id, adamId, devices.slice(0, 5));
    await drain(h);
    expect(await openUsage(space.id)).toEqual([50]);
    await checkIn(db(), space.id, adamId, devices.slice(5, 8));
    await drain(h);
    expect(await openUsage(space.id)).toEqual([50, 70, 80]);
    const raisedSoFar = (await listNotifications(db(), space.id)).length;
    await drain(h); // nothing changed: nothing raised again
    expect((await listNotifications(db(), space.id)).length).toBe(raisedSoFar);

    const ids = (await listLicensesForApp(db(), space.id, adamId, { states: ["assigned"] }))
      .slice(0, 5)
      .map((l) => l.id);
    await releaseLicenses(db(), {
      spaceId: space.id,
      licenseIds: ids,
      actor: ADMIN,
      now: new Date(),
      because: ["RV2"],
      graceUntil: graceEnd(new Date()),
    });
    await drain(h);
    expect(await openUsage(space.id)).toEqual([]); // 3 of 10: all cleared
    await checkIn(db(), space.id, adamId, devices.slice(0, 2));
    await drain(h);
    expect(await openUsage(space.id)).toEqual([50]); // re-armed
    const fifty = (await listNotifications(db(), space.id)).find((n) => n.threshold === 50);
    expect(fifty).toMatchObject({ severity: "info", component: "Apps and Books" });
  });

  it("NT1: a usage notification names its account and its app, with its key and params for the console", async () => {
    const { adamId, space, account } = await setUp(2);
    await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 1));
    await drain(h);
    const [fifty] = (await listNotifications(db(), space.id, { open: true })).filter(
      (n) => n.kind === "license_usage",
    );
    expect(fifty).toMatchObject({
      accountId: account.id,
      adamId,
      messageKey: "usage.reached",
      messageParams: { account: "Notified", percent: 50 },
    });
    expect(fifty?.title).toMatch(/^License usage of .+ \(Notified\) reached 50%$/);
  });

  it("NT2: a token revoked at Apple pauses the account with the fix to apply; a new token resumes it", async () => {
    const { adamId, loc, space, account } = await setUp(10);
    h.sim.operator.revokeToken(loc.uId);
    await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 3));
    await expect(drain(h, { maxRounds: 3 })).rejects.toThrow("outbox not drained");
    expect((await getAccount(db(), space.id, account.id)).health).toBe("revoked");
    const note = (await listNotifications(db(), space.id, { open: true })).find(
      (n) => n.kind === "token_revoked",
    );
    expect(note?.severity).toBe("alert");
    expect(note?.details.remedy).toContain("upload a valid token");
    expect(note).toMatchObject({
      messageKey: "token.issue",
      messageParams: { issue: "revoked", account: "Notified" },
      title: "Token revoked: Notified",
    });

    const renewed = h.sim.operator.renewToken(loc.uId);
    await updateAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      sTokenFile: renewed.sToken,
      actor: ADMIN,
    });
    expect((await getAccount(db(), space.id, account.id)).health).toBe("ok");
    expect(
      (await listNotifications(db(), space.id, { open: true })).some((n) => n.kind === "token_revoked"),
    ).toBe(false);
    await drain(h);
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(3);
  });

  it("NT2: a request that fails on the token just replaced does not pause the account now holding the new one", async () => {
    const { loc, space, account } = await setUp(10);
    const openTokenIssues = async () =>
      (await listNotifications(db(), space.id, { open: true })).filter((n) => n.kind.startsWith("token_"));
    // A worker's client, mid-round, when the administrator uploads the renewed token.
    const before = await h.deps.apple.forAccount(account);
    const renewed = h.sim.operator.renewToken(loc.uId); // Apple revokes the token it replaces
    await updateAccount(h.deps, {
      spaceId: space.id,
      accountId: account.id,
      sTokenFile: renewed.sToken,
      actor: ADMIN,
    });
    const late = await before.getClientConfig().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(tokenIssueOf(late)).toBe("revoked");
    expect(await reportIfTokenIssue(h.deps, account, late)).toBe(true);
    expect((await getAccount(db(), space.id, account.id)).health).toBe("ok");
    expect(await openTokenIssues()).toEqual([]);

    // The token it holds now failing still pauses it.
    h.sim.operator.revokeToken(loc.uId);
    const current = await (await h.deps.apple.forAccount(account)).getClientConfig().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(await reportIfTokenIssue(h.deps, account, current)).toBe(true);
    expect((await getAccount(db(), space.id, account.id)).health).toBe("revoked");
    expect((await openTokenIssues()).map((n) => n.kind)).toEqual(["token_revoked"]);
  });

  it("NT2: a revoked token Apple answers with HTTP 200 and the error body (as Fleet saw) pauses the account just the same", async () => {
    const { adamId, loc, space, account } = await setUp(10);
    h.sim.operator.revokeToken(loc.uId);
    h.sim.operator.setFaults({ tokenErrorsAsHttp200: true });
    try {
      await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 2));
      await expect(drain(h, { maxRounds: 3 })).rejects.toThrow("outbox not drained");
    } finally {
      h.sim.operator.clearFaults();
    }
    expect((await getAccount(db(), space.id, account.id)).health).toBe("revoked");
    expect(appleSubjects(h.sim, loc.uId, adamId)).toHaveLength(0);
  });

  it("NT2: an expired token (9621 at Apple) is reported as expired, with the remedy", async () => {
    const { adamId, loc, space, account } = await setUp(5);
    h.sim.operator.expireToken(loc.uId);
    await checkIn(db(), space.id, adamId, await iosDevices(db(), space.id, 1));
    await expect(drain(h, { maxRounds: 2 })).rejects.toThrow();
    expect((await getAccount(db(), space.id, account.id)).health).toBe("expired");
    const note = (await listNotifications(db(), space.id, { open: true })).find(
      (n) => n.kind === "token_expired",
    );
    expect(note?.details.remedy).toContain("Generate a new token");
  });

  it("NT2: a token expiring in 6.5 days gets the 7-day warning once (not the 30-day notice beside it, not the 1-day alert)", async () => {
    const loc = h.sim.operator.createLocation({
      orgName: "Soon",
      expiresAt: new Date(Date.now() + 6.5 * 86_400_000),
    });
    const space = await spaceWithApps(db(), [newAdamId()]);
    const { account } = await addAccount(h.deps, {
      spaceId: space.id,
      name: "Soon",
      sTokenFile: loc.sToken,
      actor: ADMIN,
    });
    await warnTokenExpiry(h.deps, [await getAccount(db(), space.id, account.id)]);
    await warnTokenExpiry(h.deps, [await getAccount(db(), space.id, account.id)]);
    const warnings = (await listNotifications(db(), space.id)).filter((n) => n.kind === "token_expiring");
    expect(warnings.map((n) => [n.threshold, n.severity])).toEqual([[7, "warning"]]);
    // Plural in the stored English; the key and the count for the console's plural forms.
    expect(warnings[0]).toMatchObject({
      title: "The token of Soon expires in 7 days",
      messageKey: "token.expiring",
      messageParams: { account: "Soon", count: 7 },
      details: { remedy: expect.stringContaining("Generate a new token") },
    });
  });

  it("NT3: notifications go to a webhook signed as the MDM's is (t=…,v1=…); the URL's credentials go as HTTP Basic", async () => {
    const received: Array<{ headers: Record<string, string | string[] | undefined>; body: string }> = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    // fetch refuses a URL with credentials: they must travel as a header.
    const url = `http://hook:p%40ss@127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const deps = makeSyncDeps({
        db: db(),
        keys: tdb().store.keys,
        appleBaseUrl: h.sim.url,
        mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
        channels: [webhookChannel({ url, secret: "a-long-webhook-secret" })],
        tuning: FAST,
      });
      const loc = h.sim.operator.createLocation({
        orgName: "Hooked",
        expiresAt: new Date(Date.now() + 20 * 86_400_000),
      });
      const space = await spaceWithApps(db(), [newAdamId()]);
      const { account } = await addAccount(deps, {
        spaceId: space.id,
        name: "Hooked",
        sTokenFile: loc.sToken,
        actor: ADMIN,
      });
      await warnTokenExpiry(deps, [account]);
      expect(received).toHaveLength(1);
      const [hit] = received;
      const header = String(hit?.headers["x-orchard-signature"]);
      expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      const check = (secret: string) =>
        verifyWebhookSignature({ header, body: hit?.body ?? "", secret, now: new Date() });
      expect(check("a-long-webhook-secret")).toBe(true);
      expect(check("another-secret")).toBe(false);
      expect(hit?.headers.authorization).toBe(`Basic ${Buffer.from("hook:p@ss").toString("base64")}`);
      expect(JSON.parse(hit?.body ?? "{}").notification.kind).toBe("token_expiring");
      // One endpoint may take both webhooks: the event says which; the notification's id, which delivery.
      expect(hit?.headers["x-orchard-event"]).toBe("notification");
      expect(hit?.headers["x-orchard-delivery"]).toBe(JSON.parse(hit?.body ?? "{}").notification.id);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("Apple's notifications: a wrong secret is refused, an unknown account is not found, a repeat is acted on once", async () => {
    const { account } = await setUp(5);
    const body = {
      notification: { adamId: "1", countDelta: 1, pricingParam: "STDQ" },
      notificationId: "n-1",
      notificationType: "ASSET_COUNT",
      uId: account.locationUid,
    };
    const bad = await handleAppleNotification(h.deps, {
      accountId: account.id,
      headers: { authorization: "Bearer wrong" },
      body,
    });
    expect(bad.status).toBe(401);
    const unknown = await handleAppleNotification(h.deps, { accountId: "nope", headers: {}, body });
    expect(unknown.status).toBe(404);
    const secret = await revealNotificationSecret(db(), tdb().store.keys, account.id);
    const headers = { authorization: `Bearer ${secret}` };
    expect(await handleAppleNotification(h.deps, { accountId: account.id, headers, body })).toMatchObject({
      status: 200,
      outcome: "accepted",
    });
    expect(await handleAppleNotification(h.deps, { accountId: account.id, headers, body })).toMatchObject({
      status: 200,
      outcome: "duplicate",
    });
  });

  it("invariant 3: Apple's result notified before the sender recorded the eventId waits for it, then applies", async () => {
    const { adamId, space } = await setUp(10);
    const devices = await iosDevices(db(), space.id, 4);
    await checkIn(db(), space.id, adamId, devices);
    // The sender's round trip outlasts Apple's event: Apple answers, the notification comes
    // back at once, and only 300 ms later does the sender record the eventId.
    const slowSender = makeSyncDeps({
      db: db(),
      keys: tdb().store.keys,
      appleBaseUrl: h.sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      tuning: { ...FAST, firstPollMs: 600_000 },
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        if (String(input).includes("/assets/associate")) await new Promise((r) => setTimeout(r, 300));
        return response;
      },
    });
    const before = h.received.length;
    expect((await dispatchOnce(slowSender, "slow")).calls).toBe(1);
    await h.sim.operator.idle();
    expect(h.received.slice(before).map((r) => [r.type, r.result.outcome])).toContainEqual([
      "ASSET_MANAGEMENT",
      "accepted",
    ]);
    const states = (await listLicensesForApp(db(), space.id, adamId)).map((l) => l.state);
    expect(states).toEqual(["assigned", "assigned", "assigned", "assigned"]);
  });

  it("invariant 3: a notification for a call still being sent is answered 503 and not recorded, so Apple's next delivery applies it", async () => {
    const { adamId, space, account } = await setUp(10);
    const devices = await iosDevices(db(), space.id, 2);
    await checkIn(db(), space.id, adamId, devices);
    const now = new Date();
    // A worker has taken the operations into a call and is sending it: no eventId yet.
    const [call] = await withTransaction(db(), async (trx) => {
      const ops = await lockPendingOps(trx, { spaceId: space.id, accountId: account.id, now, limit: 10 });
      return formCalls(trx, {
        spaceId: space.id,
        accountId: account.id,
        calls: [{ kind: "associate", assets: [{ adamId, pricingParam: "STDQ" }], ops }],
        workerId: "w",
        now,
        leaseMs: 60_000,
      });
    });
    expect(call?.state).toBe("sending");
    const noWait = { ...h.deps, sleep: async () => {} };
    const secret = await revealNotificationSecret(db(), tdb().store.keys, account.id);
    const request = {
      accountId: account.id,
      headers: { authorization: `Bearer ${secret}` },
      body: {
        notification: {
          assignments: devices.map((d) => ({ adamId, pricingParam: "STDQ", serialNumber: d.serialNumber })),
          eventId: "early-event",
          result: "SUCCESS",
          type: "ASSOCIATE",
        },
        notificationId: "early-1",
        notificationType: "ASSET_MANAGEMENT",
        uId: account.locationUid,
      },
    };
    expect(await handleAppleNotification(noWait, request)).toEqual({ status: 503, outcome: "early" });
    await recordCallSent(db(), {
      spaceId: space.id,
      id: call?.id ?? "",
      workerId: "w",
      eventId: "early-event",
      now,
      nextLookAt: new Date(now.getTime() + 600_000),
      leaseUntil: new Date(now.getTime() + 60_000),
    });
    expect(await handleAppleNotification(noWait, request)).toEqual({ status: 200, outcome: "accepted" });
    const states = (await listLicensesForApp(db(), space.id, adamId)).map((l) => l.state);
    expect(states).toEqual(["assigned", "assigned"]);
    // With no call in flight, an unknown event is not retried: it is ignored.
    expect(
      await handleAppleNotification(noWait, {
        ...request,
        body: {
          ...request.body,
          notificationId: "early-2",
          notification: { ...request.body.notification, eventId: "other" },
        },
      }),
    ).toEqual({ status: 200, outcome: "ignored" });
  });
});
