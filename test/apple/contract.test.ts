/**
 * Contract suite, part 1: the client against the simulator over HTTP on 127.0.0.1 —
 * service and client config, ownership (AC6), notifications, assets, associate /
 * disassociate / revoke, events with partial failures, paging and sinceVersionId.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AppleApiError,
  eventOutcomes,
  isAuthenticNotification,
  TokenOwnedByOtherMdmError,
} from "../../src/apple/index.js";
import {
  client,
  drain,
  ORCHARD,
  receiver,
  rejection,
  type Simulator,
  simulator,
} from "./contract-helpers.js";

let sim: Simulator;
let inbox: Awaited<ReturnType<typeof receiver>>;

beforeAll(async () => {
  sim = await simulator({ pageSize: 10, assetPageSize: 10 });
  inbox = await receiver();
});
afterAll(async () => {
  await sim.close();
  await inbox.close();
});

describe("service config", () => {
  it("GET /service/config: limits, every error number, notification types", async () => {
    const { sToken } = sim.operator.createLocation({ orgName: "Config" });
    const { client: apple } = client(sim, sToken);
    const config = await apple.getServiceConfig();
    expect(config.limits).toMatchObject({
      maxAssets: 25,
      maxSerialNumbers: 1000,
      maxClientUserIds: 1000,
      maxRevokeSerialNumbers: 100,
      maxRevokeClientUserIds: 100,
      maxUsers: 100,
      maxRequestPerSecond: 15,
    });
    const numbers = (config.errorCodes ?? []).map((e) => e.errorNumber);
    for (const n of [9601, 9609, 9621, 9625, 9646, 9650, 9700, 9709, 9721, 9722, 9728])
      expect(numbers).toContain(n);
    expect(config.notificationTypes).toEqual(
      expect.arrayContaining(["ASSET_MANAGEMENT", "USER_MANAGEMENT", "USER_ASSOCIATED", "ASSET_COUNT"]),
    );
    expect(await apple.limits()).toMatchObject({ maxSerialNumbers: 1000, maxRequestPerSecond: 15 });
  });

  it("limits changed by the service are picked up after the 5-minute cache", async () => {
    const { sToken } = sim.operator.createLocation({ orgName: "Limits" });
    let nowMs = Date.now();
    const { client: apple } = client(sim, sToken, { now: () => new Date(nowMs) });
    expect((await apple.limits()).maxSerialNumbers).toBe(1000);
    sim.operator.setLimits({ maxSerialNumbers: 400 });
    try {
      expect((await apple.limits()).maxSerialNumbers).toBe(1000);
      nowMs += 5 * 60_000;
      expect((await apple.limits()).maxSerialNumbers).toBe(400);
    } finally {
      sim.operator.setLimits({ maxSerialNumbers: 1000 });
    }
  });
});

describe("client config, notifications and ownership (AC6)", () => {
  it("POST /client/config sets mdmInfo and notifications; TEST_NOTIFICATION arrives authenticated", async () => {
    const { uId, sToken } = sim.operator.createLocation({ orgName: "Notify", locationName: "PS01" });
    const { client: apple } = client(sim, sToken);
    const result = await apple.setClientConfig({
      notificationUrl: inbox.url,
      notificationAuthToken: "notify-secret-1",
      notificationTypes: ["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED"],
    });
    expect(result.ownership).toEqual({ state: "ours", owner: ORCHARD });
    expect(result.config).toMatchObject({ uId, locationName: "PS01", notificationUrl: inbox.url });
    const test = await inbox.next((n) => n.notificationType === "TEST_NOTIFICATION" && n.uId === uId);
    expect(test.headers.authorization).toBe("Bearer notify-secret-1");
    expect(isAuthenticNotification(test.headers.authorization, "notify-secret-1")).toBe(true);
    expect(isAuthenticNotification(test.headers.authorization, "notify-secret-2")).toBe(false);
    expect(test.body.notification).toEqual({});
    const read = await apple.getClientConfig();
    expect(read.config.subscribedNotificationTypes).toEqual(
      expect.arrayContaining(["ASSET_MANAGEMENT", "ASSET_COUNT", "USER_MANAGEMENT", "USER_ASSOCIATED"]),
    );
  });

  it("9728 when the notification URL is unreachable; 9710, 9711, 9712 for bad settings", async () => {
    const { sToken } = sim.operator.createLocation({ orgName: "BadNotify" });
    const { client: apple } = client(sim, sToken);
    const cases: Array<[number, Parameters<typeof apple.setClientConfig>[0]]> = [
      [9728, { notificationUrl: "http://127.0.0.1:9/unreachable", notificationAuthToken: "t" }],
      [9710, { notificationUrl: inbox.url }],
      [9711, { notificationUrl: `${inbox.url}?${"x".repeat(600)}`, notificationAuthToken: "t" }],
      [9712, { notificationUrl: "not a url", notificationAuthToken: "t" }],
      [
        9602,
        {
          notificationUrl: inbox.url,
          notificationAuthToken: "t",
          notificationTypes: ["NOPE" as "ASSET_COUNT"],
        },
      ],
    ];
    for (const [errorNumber, settings] of cases) {
      const error = await rejection(apple.setClientConfig(settings));
      expect(error, String(errorNumber)).toMatchObject({ errorNumber, kind: "invalid_request" });
    }
  });

  it("9723, 9724, 9725, 9713 for a bad mdmInfo", async () => {
    const { sToken } = sim.operator.createLocation({ orgName: "BadMdm" });
    const cases: Array<[number, { id: string; name: string; metadata: string }]> = [
      [9723, { id: "", name: "x", metadata: "" }],
      [9724, { id: "i".repeat(101), name: "x", metadata: "" }],
      [9725, { id: "i", name: "n".repeat(101), metadata: "" }],
      [9713, { id: "i", name: "n", metadata: "m".repeat(256) }],
    ];
    for (const [errorNumber, mdmInfo] of cases) {
      const { client: apple } = client(sim, sToken, { mdmInfo });
      expect(await rejection(apple.setClientConfig()), String(errorNumber)).toMatchObject({ errorNumber });
    }
  });

  it("a token claimed by another MDM is reported, not overwritten; takeOverToken claims it back", async () => {
    const { uId, sToken } = sim.operator.createLocation({ orgName: "Claimed" });
    const { client: apple, exchanges } = client(sim, sToken);
    await apple.setClientConfig();
    const other = { id: "other-mdm", name: "Other MDM", metadata: "7.1" };
    sim.operator.claimByOtherMdm(uId, other);
    expect((await apple.getClientConfig()).ownership).toEqual({ state: "other", owner: other });
    const error = await rejection(apple.setClientConfig());
    expect(error).toBeInstanceOf(TokenOwnedByOtherMdmError);
    expect(error).toMatchObject({ owner: { name: "Other MDM" }, uId });
    const posts = exchanges.filter((e) => e.method === "POST").length;
    const taken = await apple.takeOverToken();
    expect(taken.ownership.state).toBe("ours");
    expect(exchanges.filter((e) => e.method === "POST").length).toBe(posts + 1);
  });
});

describe("assets, associate and events", () => {
  let uId: string;
  let apple: ReturnType<typeof client>["client"];
  let exchanges: ReturnType<typeof client>["exchanges"];
  const envelopes: Array<{ uId: string | undefined; tokenExpirationDate: string | undefined }> = [];

  beforeAll(async () => {
    const location = sim.operator.createLocation({ orgName: "Assets" });
    uId = location.uId;
    ({ client: apple, exchanges } = client(sim, location.sToken, { onEnvelope: (e) => envelopes.push(e) }));
    await apple.setClientConfig({
      notificationUrl: inbox.url,
      notificationAuthToken: "assets-secret",
      notificationTypes: ["ASSET_MANAGEMENT", "ASSET_COUNT"],
    });
    sim.operator.addAsset(uId, { adamId: "408709785", totalCount: 20 });
    sim.operator.addAsset(uId, { adamId: "377298193", totalCount: 3 });
    sim.operator.addAsset(uId, { adamId: "100000001", productType: "Book", totalCount: 5 });
    sim.operator.addAsset(uId, { adamId: "100000002", totalCount: 5, revocable: false });
    for (let i = 0; i < 12; i++) sim.operator.addAsset(uId, { adamId: String(200000000 + i), totalCount: 1 });
  });

  it("GET /assets pages through every asset and applies filters", async () => {
    const pages = [];
    for await (const page of apple.assets()) pages.push(page);
    expect(pages.length).toBe(2);
    expect(pages.flatMap((p) => p.items)).toHaveLength(16);
    const books = await drain(apple.assets({ productType: "Book" }));
    expect(books.map((a) => a.adamId)).toEqual(["100000001"]);
    const pages1 = await drain(apple.assets({ adamId: "408709785" }));
    expect(pages1[0]).toMatchObject({
      totalCount: 20,
      assignedCount: 0,
      availableCount: 20,
      pricingParam: "STDQ",
    });
    const notAssignable = await drain(apple.assets({ deviceAssignable: false }));
    expect(notAssignable.map((a) => a.adamId)).toEqual(["100000001"]);
  });

  it("associate -> PENDING then COMPLETE, counts move, ASSET_MANAGEMENT arrives with the bearer token", async () => {
    const event = await apple.associate({
      assets: [{ adamId: "408709785", pricingParam: "STDQ" }],
      serialNumbers: ["SER-1", "SER-2"],
    });
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    expect(status).toMatchObject({
      eventStatus: "COMPLETE",
      eventType: "ASSOCIATE",
      numCompleted: 2,
      numRequested: 2,
    });
    const asset = (await drain(apple.assets({ adamId: "408709785" })))[0];
    expect(asset).toMatchObject({ assignedCount: 2, availableCount: 18 });
    const note = await inbox.next(
      (n) => n.notificationType === "ASSET_MANAGEMENT" && n.notification.eventId === event.eventId,
    );
    expect(note.headers.authorization).toBe("Bearer assets-secret");
    expect(note.body.uId).toBe(uId);
    expect(envelopes.at(-1)).toMatchObject({ uId });
    expect(envelopes.every((e) => e.uId === uId && e.tokenExpirationDate !== undefined)).toBe(true);
  });

  it("partial failure: FAILED with 9709 for the subjects beyond the licenses, the rest completed", async () => {
    const serialNumbers = ["P-1", "P-2", "P-3", "P-4", "P-5"];
    const event = await apple.associate({ assets: [{ adamId: "377298193" }], serialNumbers });
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    expect(status).toMatchObject({ eventStatus: "FAILED", numCompleted: 3, numRequested: 5 });
    const outcomes = eventOutcomes(status, { serialNumbers });
    expect(outcomes.completed).toHaveLength(3);
    expect(outcomes.failed).toHaveLength(2);
    expect(outcomes.failed.every((f) => f.errorNumber === 9709)).toBe(true);
    const failure = await inbox.next(
      (n) =>
        n.notificationType === "ASSET_MANAGEMENT" &&
        n.notification.eventId === event.eventId &&
        n.notification.result === "FAILURE",
    );
    expect(
      failure.body.notificationType === "ASSET_MANAGEMENT" && failure.body.notification.error?.errorNumber,
    ).toBe(9709);
  });

  it("9609 per subject for an unknown clientUserId", async () => {
    const event = await apple.associate({ assets: [{ adamId: "408709785" }], clientUserIds: ["nobody"] });
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    expect(eventOutcomes(status, { clientUserIds: ["nobody"] }).failed).toEqual([
      expect.objectContaining({ errorNumber: 9609, subject: { clientUserId: "nobody" } }),
    ]);
  });

  it("disassociate and revoke return licenses", async () => {
    const dis = await apple.disassociate({ assets: [{ adamId: "408709785" }], serialNumbers: ["SER-1"] });
    expect((await apple.waitForEvent(dis.eventId, { pollIntervalMs: 10 })).eventStatus).toBe("COMPLETE");
    const rev = await apple.revoke({ serialNumbers: ["SER-2"] });
    expect((await apple.waitForEvent(rev.eventId, { pollIntervalMs: 10 })).eventType).toBe("REVOKE");
    const asset = (await drain(apple.assets({ adamId: "408709785" })))[0];
    expect(asset).toMatchObject({ assignedCount: 0, availableCount: 20 });
  });

  it("synchronous limit and validation errors: 9700-9707, 9718, 9719 (no event created)", async () => {
    const app = [{ adamId: "408709785" }];
    const many = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);
    const cases: Array<[number, () => Promise<unknown>]> = [
      [
        9700,
        () => apple.associate({ assets: many(26, "9").map((adamId) => ({ adamId })), serialNumbers: ["A"] }),
      ],
      [9701, () => apple.associate({ assets: app, clientUserIds: many(1001, "u") })],
      [9702, () => apple.associate({ assets: app, serialNumbers: many(1001, "s") })],
      [9703, () => apple.associate({ assets: [...app, ...app], serialNumbers: ["A"] })],
      [9704, () => apple.associate({ assets: app, clientUserIds: ["u", "u"] })],
      [9705, () => apple.associate({ assets: app, serialNumbers: ["s", "s"] })],
      [9706, () => apple.disassociate({ assets: [{ adamId: "100000002" }], serialNumbers: ["A"] })],
      [9707, () => apple.associate({ assets: [{ adamId: "100000001" }], serialNumbers: ["A"] })],
      [9718, () => apple.associate({ assets: [], serialNumbers: ["A"] })],
      [9719, () => apple.associate({ assets: app })],
      [9719, () => apple.revoke({})],
      [9701, () => apple.revoke({ clientUserIds: many(101, "u") })],
      [9702, () => apple.revoke({ serialNumbers: many(101, "s") })],
    ];
    for (const [errorNumber, call] of cases) {
      const error = await rejection(call());
      expect(error, String(errorNumber)).toBeInstanceOf(AppleApiError);
      expect(error, String(errorNumber)).toMatchObject({
        errorNumber,
        httpStatus: 400,
        kind: "invalid_request",
      });
    }
  });

  it("9708 for an unknown eventId", async () => {
    expect(await rejection(apple.eventStatus("00000000-0000-0000-0000-000000000000"))).toMatchObject({
      errorNumber: 9708,
      kind: "not_found",
    });
  });

  it("ASSET_COUNT on purchase and refund", async () => {
    sim.operator.buy(uId, "408709785", 7);
    const bought = await inbox.next(
      (n) => n.notificationType === "ASSET_COUNT" && n.uId === uId && n.notification.countDelta === 7,
    );
    expect(bought.headers.authorization).toBe("Bearer assets-secret");
    sim.operator.refund(uId, "408709785", 2);
    await inbox.next(
      (n) => n.notificationType === "ASSET_COUNT" && n.uId === uId && n.notification.countDelta === -2,
    );
  });

  it("associateBatched costs ceil(N / maxSerialNumbers) calls against the simulator", async () => {
    sim.operator.addAsset(uId, { adamId: "555000111", totalCount: 2500 });
    const before = exchanges.filter((e) => e.path === "/assets/associate").length;
    const serialNumbers = Array.from({ length: 2001 }, (_, i) => `B-${i}`);
    const events = await apple.associateBatched({ assets: [{ adamId: "555000111" }], serialNumbers });
    expect(events).toHaveLength(3);
    expect(exchanges.filter((e) => e.path === "/assets/associate").length - before).toBe(3);
    for (const e of events) {
      expect((await apple.waitForEvent(e.eventId, { pollIntervalMs: 10 })).eventStatus).toBe("COMPLETE");
    }
    const asset = (await drain(apple.assets({ adamId: "555000111" })))[0];
    expect(asset?.assignedCount).toBe(2001);
  });

  it("splits notifications at 100 elements", async () => {
    sim.operator.addAsset(uId, { adamId: "555000222", totalCount: 150 });
    const serialNumbers = Array.from({ length: 150 }, (_, i) => `N-${i}`);
    const event = await apple.associate({ assets: [{ adamId: "555000222" }], serialNumbers });
    await apple.waitForEvent(event.eventId, { pollIntervalMs: 10 });
    await sim.operator.idle();
    const parts = inbox.received.filter(
      (r) => r.body.notificationType === "ASSET_MANAGEMENT" && r.body.notification.eventId === event.eventId,
    );
    expect(parts.length).toBeGreaterThanOrEqual(2);
    let total = 0;
    for (const part of parts) {
      if (part.body.notificationType !== "ASSET_MANAGEMENT") continue;
      expect(part.body.notification.assignments.length).toBeLessThanOrEqual(100);
      total += part.body.notification.assignments.length;
    }
    expect(total).toBe(150);
  });
});

describe("paging and sinceVersionId", () => {
  it("streams assignments across pages and reads only changes since a versionId", async () => {
    const { uId, sToken } = sim.operator.createLocation({ orgName: "Paging" });
    const { client: apple } = client(sim, sToken);
    sim.operator.addAsset(uId, { adamId: "300000001", totalCount: 100 });
    const first = await apple.associate({
      assets: [{ adamId: "300000001" }],
      serialNumbers: Array.from({ length: 35 }, (_, i) => `PG-${i}`),
    });
    await apple.waitForEvent(first.eventId, { pollIntervalMs: 10 });

    const pages = [];
    for await (const page of apple.assignments()) pages.push(page);
    expect(pages.map((p) => [p.currentPageIndex, p.items.length, p.last])).toEqual([
      [0, 10, false],
      [1, 10, false],
      [2, 10, false],
      [3, 5, true],
    ]);
    expect(pages.every((p) => p.totalPages === 4)).toBe(true);
    const checkpoint = pages.at(-1)?.checkpointVersionId ?? "";
    expect(checkpoint).not.toBe("");

    const second = await apple.associate({
      assets: [{ adamId: "300000001" }],
      serialNumbers: ["PG-NEW-1", "PG-NEW-2"],
    });
    await apple.waitForEvent(second.eventId, { pollIntervalMs: 10 });
    const delta = await drain(apple.assignments({ sinceVersionId: checkpoint }));
    expect(delta.map((a) => a.serialNumber).sort()).toEqual(["PG-NEW-1", "PG-NEW-2"]);

    const filtered = await drain(apple.assignments({ serialNumber: "PG-3" }));
    expect(filtered).toEqual([expect.objectContaining({ adamId: "300000001", serialNumber: "PG-3" })]);
  });

  it("9650 for a page index out of range, 9721 for an unknown versionId", async () => {
    const { sToken } = sim.operator.createLocation({ orgName: "BadPages" });
    const { client: apple } = client(sim, sToken);
    expect(await rejection(drain(apple.assignments({ startPageIndex: 99 })))).toMatchObject({
      errorNumber: 9650,
    });
    expect(await rejection(drain(apple.assignments({ sinceVersionId: "not-a-version" })))).toMatchObject({
      errorNumber: 9721,
    });
    expect(await rejection(drain(apple.users({ sinceVersionId: "not-a-version" })))).toMatchObject({
      errorNumber: 9721,
    });
  });
});

describe("notifications received", () => {
  it("every notification the simulator sent matches Apple's notification schemas", async () => {
    await sim.operator.idle();
    expect(inbox.malformed).toEqual([]);
    expect(inbox.received.length).toBeGreaterThan(0);
  });
});
