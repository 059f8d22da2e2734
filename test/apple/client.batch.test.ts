import { describe, expect, it } from "vitest";
import { AppleBatchError, createRateLimiter, planManageAssets } from "../../src/apple/index.js";
import { envelope, fakeClient, fakeTime, serviceConfigBody } from "./fake.js";

const serials = (n: number) => Array.from({ length: n }, (_, i) => `SERIAL${i}`);
const users = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);

describe("batching to /service/config limits", () => {
  it.each([1, 999, 1000, 1001, 25_000])(
    "assigning one app to %i devices costs ceil(N/1000) calls",
    async (n) => {
      const { client, http } = fakeClient();
      const events = await client.associateBatched({
        assets: [{ adamId: "361309726", pricingParam: "STDQ" }],
        serialNumbers: serials(n),
      });
      const calls = http.calls("/assets/associate");
      expect(calls).toHaveLength(Math.ceil(n / 1000));
      expect(events).toHaveLength(calls.length);
      expect(events.flatMap((e) => e.serialNumbers)).toEqual(serials(n));
      for (const call of calls) {
        const body = call.body as { serialNumbers: string[]; clientUserIds?: string[] };
        expect(body.serialNumbers.length).toBeLessThanOrEqual(1000);
        expect(body.clientUserIds).toBeUndefined();
      }
      expect(events[0]?.eventId).toBe("event-1");
    },
  );

  it("uses the limits the service returns (maxSerialNumbers 300, maxAssets 2)", async () => {
    const { client, http } = fakeClient((req) =>
      req.path === "/service/config"
        ? { body: serviceConfigBody({ maxSerialNumbers: 300, maxAssets: 2 }) }
        : undefined,
    );
    await client.associateBatched({
      assets: [{ adamId: "1" }, { adamId: "2" }, { adamId: "3" }],
      serialNumbers: serials(700),
    });
    // ceil(3/2) asset chunks x ceil(700/300) serial chunks
    expect(http.calls("/assets/associate")).toHaveLength(2 * 3);
  });

  it("pairs user and serial chunks in one call, as Apple's example does", () => {
    const plan = planManageAssets(
      { assets: [{ adamId: "1" }], clientUserIds: users(2500), serialNumbers: serials(1200) },
      { maxAssets: 25, maxClientUserIds: 1000, maxSerialNumbers: 1000 },
    );
    expect(plan.map((b) => [b.clientUserIds.length, b.serialNumbers.length])).toEqual([
      [1000, 1000],
      [1000, 200],
      [500, 0],
    ]);
  });

  it("drops duplicates (Apple refuses them with 9703-9705)", () => {
    const plan = planManageAssets(
      {
        assets: [{ adamId: "1" }, { adamId: "1" }, { adamId: "1", pricingParam: "PLUS" }],
        serialNumbers: ["a", "a", "b"],
      },
      { maxAssets: 25, maxClientUserIds: 1000, maxSerialNumbers: 1000 },
    );
    expect(plan).toEqual([
      {
        assets: [{ adamId: "1" }, { adamId: "1", pricingParam: "PLUS" }],
        clientUserIds: [],
        serialNumbers: ["a", "b"],
      },
    ]);
  });

  it("revoke uses maxRevokeClientUserIds / maxRevokeSerialNumbers (100)", async () => {
    const { client, http } = fakeClient();
    const events = await client.revokeBatched({ clientUserIds: users(250), serialNumbers: serials(101) });
    expect(http.calls("/assets/revoke")).toHaveLength(3);
    expect(events.map((e) => [e.clientUserIds.length, e.serialNumbers.length])).toEqual([
      [100, 100],
      [100, 1],
      [50, 0],
    ]);
    expect(http.calls("/assets/revoke")[2]?.body).toEqual({ clientUserIds: users(250).slice(200) });
  });

  it("users/create, update and retire use maxUsers (100)", async () => {
    const { client, http } = fakeClient();
    const list = users(250).map((clientUserId) => ({ clientUserId, email: `${clientUserId}@example.com` }));
    await client.createUsersBatched(list);
    await client.updateUsersBatched(list.slice(0, 100));
    await client.retireUsersBatched(list.slice(0, 101));
    expect(http.calls("/users/create")).toHaveLength(3);
    expect(http.calls("/users/update")).toHaveLength(1);
    expect(http.calls("/users/retire")).toHaveLength(2);
    expect(http.calls("/users/retire")[1]?.body).toEqual({ users: [{ clientUserId: "user-100" }] });
  });

  it("caches the service config and reads it again after 5 minutes", async () => {
    const { client, http, time } = fakeClient();
    await client.associateBatched({ assets: [{ adamId: "1" }], serialNumbers: ["a"] });
    await client.associateBatched({ assets: [{ adamId: "1" }], serialNumbers: ["b"] });
    expect(http.calls("/service/config")).toHaveLength(1);
    time.ms += 5 * 60_000;
    await client.associateBatched({ assets: [{ adamId: "1" }], serialNumbers: ["c"] });
    expect(http.calls("/service/config")).toHaveLength(2);
  });

  it("a failure part-way reports the batches sent (with eventIds) and those not sent", async () => {
    let n = 0;
    const { client } = fakeClient((req) =>
      req.path === "/assets/associate" && ++n === 2
        ? { status: 401, body: { errorNumber: 9625 } }
        : undefined,
    );
    try {
      await client.associateBatched({ assets: [{ adamId: "1" }], serialNumbers: serials(3500) });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AppleBatchError);
      const batchError = error as AppleBatchError<{ serialNumbers: string[] }, { eventId: string }>;
      expect(batchError.completed.map((c) => c.eventId)).toEqual(["event-1"]);
      expect(batchError.failedBatch.serialNumbers[0]).toBe("SERIAL1000");
      expect(batchError.notSent.map((b) => b.serialNumbers.length)).toEqual([1000, 500]);
      expect(batchError.cause).toMatchObject({ kind: "auth", tokenProblem: "revoked" });
    }
  });
});

describe("per-token rate limit", () => {
  it("never lets more than maxRequestPerSecond requests into any one-second window", async () => {
    const time = fakeTime();
    const limiter = createRateLimiter({
      maxRequestPerSecond: 15,
      clock: time.clock,
      sleep: time.sleep,
      windowMs: 1000,
    });
    const sent: number[] = [];
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        await limiter.acquire();
        sent.push(time.ms);
      }),
    );
    expect(sent).toHaveLength(50);
    for (let i = 15; i < sent.length; i++)
      expect((sent[i] ?? 0) - (sent[i - 15] ?? 0)).toBeGreaterThanOrEqual(1000);
    // 50 requests at 15/s: 3 full windows of waiting, no more.
    expect((sent.at(-1) ?? 0) - (sent[0] ?? 0)).toBe(3000);
  });

  it("the client paces itself to the service config's maxRequestPerSecond", async () => {
    const { client, http } = fakeClient((req) =>
      req.path === "/service/config"
        ? { body: serviceConfigBody({ maxRequestPerSecond: 5, maxSerialNumbers: 1 }) }
        : undefined,
    );
    await client.associateBatched({ assets: [{ adamId: "1" }], serialNumbers: serials(20) });
    const times = http.requests.map((r) => r.atMs);
    expect(times).toHaveLength(21);
    for (let i = 5; i < times.length; i++)
      expect((times[i] ?? 0) - (times[i - 5] ?? 0)).toBeGreaterThanOrEqual(1000);
  });
});

describe("paged reads stream page by page", () => {
  const page = (i: number, total: number, since?: string) => ({
    ...envelope,
    assignments: [{ adamId: "1", pricingParam: "STDQ", serialNumber: `s${i}` }],
    currentPageIndex: i,
    ...(i + 1 < total ? { nextPageIndex: i + 1 } : {}),
    size: 1,
    totalPages: total,
    versionId: `v${i}${since ?? ""}`,
  });

  it("follows nextPageIndex until it is absent, passing filters and sinceVersionId on every page", async () => {
    const { client, http } = fakeClient((req) =>
      req.path === "/assignments"
        ? {
            body: page(
              Number(req.query.get("pageIndex") ?? 0),
              3,
              req.query.get("sinceVersionId") ?? undefined,
            ),
          }
        : undefined,
    );
    const pages = [];
    for await (const p of client.assignments({ adamId: "1", sinceVersionId: "old" })) pages.push(p);
    expect(pages.map((p) => [p.currentPageIndex, p.items[0]?.serialNumber, p.last])).toEqual([
      [0, "s0", false],
      [1, "s1", false],
      [2, "s2", true],
    ]);
    expect(pages.every((p) => p.checkpointVersionId === "v0old")).toBe(true);
    expect(pages[2]?.uId).toBe(envelope.uId);
    const queries = http.calls("/assignments").map((r) => r.query.toString());
    expect(queries).toEqual([
      "adamId=1&sinceVersionId=old",
      "adamId=1&sinceVersionId=old&pageIndex=1",
      "adamId=1&sinceVersionId=old&pageIndex=2",
    ]);
  });

  it("reads one page ahead of the consumer, never more, while the consumer works on a page", async () => {
    const { client, http } = fakeClient((req) =>
      req.path === "/assignments" ? { body: page(Number(req.query.get("pageIndex") ?? 0), 100) } : undefined,
    );
    const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
    const asked: number[] = [];
    for await (const p of client.assignments()) {
      await settle(); // the consumer's work on this page: Apple is asked for the next meanwhile
      asked.push(http.calls("/assignments").length);
      if (p.currentPageIndex === 1) break;
    }
    await settle();
    expect(asked).toEqual([2, 3]);
    expect(http.calls("/assignments")).toHaveLength(3);
  });

  it("a page read ahead that fails after the consumer stopped is dropped, not an unhandled rejection", async () => {
    const { client, http } = fakeClient((req) => {
      if (req.path !== "/assignments") return undefined;
      const index = Number(req.query.get("pageIndex") ?? 0);
      return index === 0 ? { body: page(0, 5) } : { status: 400, body: { errorNumber: 9600 } };
    });
    for await (const _ of client.assignments()) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Asked for, failed, and nothing else: vitest fails the run on an unhandled rejection.
    expect(http.calls("/assignments")).toHaveLength(2);
  });

  it("a page read ahead that Apple asks to retry after the reader stopped is not retried, logged nor reported", async () => {
    const errors: unknown[] = [];
    const warnings: string[] = [];
    const { client, http } = fakeClient(
      (req) => {
        if (req.path !== "/assignments") return undefined;
        const index = Number(req.query.get("pageIndex") ?? 0);
        return index === 0
          ? { body: page(0, 5) }
          : { status: 503, headers: { "retry-after": "2" }, body: { errorNumber: 9603 } };
      },
      {
        onError: (error) => void errors.push(error),
        logger: { warn: (_fields, message) => void warnings.push(message) },
      },
    );
    for await (const _ of client.assignments()) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
    // Page 1 asked once (ahead), never again: its reader is gone.
    expect(http.calls("/assignments")).toHaveLength(2);
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("a page read ahead that fails surfaces when the consumer asks for it", async () => {
    const { client } = fakeClient((req) => {
      if (req.path !== "/assignments") return undefined;
      const index = Number(req.query.get("pageIndex") ?? 0);
      return index === 0 ? { body: page(0, 5) } : { status: 400, body: { errorNumber: 9600 } };
    });
    const seen: number[] = [];
    await expect(async () => {
      for await (const p of client.assignments()) seen.push(p.currentPageIndex);
    }).rejects.toThrow();
    expect(seen).toEqual([0]);
  });

  it("refuses a nextPageIndex that does not move forward", async () => {
    const { client } = fakeClient((req) =>
      req.path === "/assignments" ? { body: { ...page(0, 2), nextPageIndex: 0 } } : undefined,
    );
    await expect(async () => {
      for await (const _ of client.assignments()) {
        // drain
      }
    }).rejects.toThrow(/does not follow/);
  });

  it("assets and users filters go to the query string", async () => {
    const { client, http } = fakeClient((req) => {
      const meta = { ...envelope, currentPageIndex: 0, size: 0, totalPages: 1, versionId: "v" };
      if (req.path === "/assets") return { body: { ...meta, assets: [] } };
      if (req.path === "/users") return { body: { ...meta, users: [] } };
      return undefined;
    });
    for await (const _ of client.assets({
      productType: "App",
      deviceAssignable: true,
      minAvailableCount: 1,
    })) {
      // one page
    }
    for await (const _ of client.users({ activeOnly: true, sinceVersionId: "x" })) {
      // one page
    }
    expect(http.calls("/assets")[0]?.query.toString()).toBe(
      "productType=App&deviceAssignable=true&minAvailableCount=1",
    );
    expect(http.calls("/users")[0]?.query.toString()).toBe("activeOnly=true&sinceVersionId=x");
  });
});
