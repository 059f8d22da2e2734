import { afterAll, beforeAll, expect, it } from "vitest";
import type { FetchLike } from "../../src/apple/index.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { createAppleClients } from "../../src/sync/apple-clients.js";
import { describeEachDatabase } from "../store/databases.js";

/**
 * Apple's maxRequestPerSecond is per token. Two worker processes each pace themselves to
 * it; sharing one database, they must pace together (APPLE-API.md, rate limit: 429 / 9646).
 */
describeEachDatabase("Apple's rate limit across processes", (tdb) => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, limits: { maxRequestPerSecond: 6 } });
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** A worker process's clients (its own in-process limiter), counting Apple's 429s. */
  function worker(shareRateLimit: boolean, seen: { throttled: number; sent: number }) {
    const counting: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      seen.sent++;
      if (response.status === 429) seen.throttled++;
      return response;
    };
    const { store } = tdb();
    return createAppleClients({
      db: store.db,
      keys: store.keys,
      baseUrl: sim.url,
      mdmInfo: { id: "orchard-test", name: "Orchard", metadata: "tests" },
      now: () => new Date(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      fetch: counting,
      retry: { baseDelayMs: 10, maxDelayMs: 2_000, maxAttempts: 8 },
      shareRateLimit,
    });
  }

  async function burst(shareRateLimit: boolean): Promise<{ throttled: number; sent: number }> {
    const { sToken } = sim.operator.createLocation({ orgName: `Rate ${shareRateLimit}` });
    const seen = { throttled: 0, sent: 0 };
    const clients = [worker(shareRateLimit, seen), worker(shareRateLimit, seen)].map((w) =>
      w.forToken(sToken),
    );
    // Each learns the limit first (GET /service/config), then both send at once.
    await Promise.all(clients.map((c) => c.limits()));
    await Promise.all(clients.flatMap((c) => Array.from({ length: 8 }, () => c.getClientConfig())));
    return seen;
  }

  it("two workers sharing the database stay within maxRequestPerSecond together: Apple answers no 429", async () => {
    const shared = await burst(true);
    expect(shared.throttled).toBe(0);
    expect(shared.sent).toBe(2 + 16);
  }, 30_000);

  it("(control) each pacing alone, the same two workers are throttled by Apple", async () => {
    const alone = await burst(false);
    expect(alone.throttled).toBeGreaterThan(0);
  }, 30_000);
});
