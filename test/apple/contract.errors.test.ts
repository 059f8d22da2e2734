/**
 * Contract suite, part 3: auth errors (never retried), Retry-After honoured on 429 and 5xx,
 * maintenance (9729 at once, 9644 in events), the per-token rate limit, and the error numbers the
 * client itself never provokes (9722, 9726, 9727) — all against the simulator.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AppleApiError,
  classifyAppleError,
  createAppleClient,
  createRateLimiter,
  eventOutcomes,
  STokenError,
} from "../../src/apple/index.js";
import { errorResponse } from "../../src/apple/wire.js";
import { client, rejection, type Simulator, simulator } from "./contract-helpers.js";

let sim: Simulator;

beforeAll(async () => {
  sim = await simulator({ eventDelayMs: 150 });
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  sim.operator.clearFaults();
});

function location(name: string) {
  return sim.operator.createLocation({ orgName: name });
}

describe("auth errors are typed token problems and never retried", () => {
  it("9625 revoked", async () => {
    const { uId, sToken } = location("Revoked");
    const { client: apple, exchanges } = client(sim, sToken);
    sim.operator.revokeToken(uId);
    const error = await rejection(apple.getClientConfig());
    expect(error).toBeInstanceOf(AppleApiError);
    expect(error).toMatchObject({
      kind: "auth",
      tokenProblem: "revoked",
      errorNumber: 9625,
      httpStatus: 401,
    });
    expect(exchanges.filter((e) => e.path === "/client/config")).toHaveLength(1);
  });

  it("9621 expired (server side), a renewed token works and the old one is revoked", async () => {
    const { uId, sToken } = location("Expired");
    const { client: apple, exchanges } = client(sim, sToken);
    sim.operator.expireToken(uId);
    expect(
      await rejection(apple.associate({ assets: [{ adamId: "1" }], serialNumbers: ["S"] })),
    ).toMatchObject({
      kind: "auth",
      tokenProblem: "expired",
      errorNumber: 9621,
    });
    expect(exchanges.filter((e) => e.path === "/assets/associate")).toHaveLength(1);
    const renewed = sim.operator.renewToken(uId);
    const { client: fresh } = client(sim, renewed.sToken);
    expect((await fresh.getClientConfig()).config.uId).toBe(uId);
    expect(await rejection(apple.getClientConfig())).toMatchObject({ tokenProblem: "revoked" });
  });

  it("9601 login required for a well-formed token Apple does not know", async () => {
    const unknown = Buffer.from(
      JSON.stringify({
        token: "bm90LWEtcmVhbC10b2tlbg==",
        expDate: "2099-01-01T00:00:00+0000",
        orgName: "Nobody",
      }),
    ).toString("base64");
    const { client: apple, exchanges } = client(sim, unknown);
    expect(await rejection(apple.getClientConfig())).toMatchObject({
      kind: "auth",
      tokenProblem: "login_required",
      errorNumber: 9601,
    });
    expect(exchanges.filter((e) => e.path === "/client/config")).toHaveLength(1);
  });

  it("9722 for a malformed Authorization header", async () => {
    const { sToken } = location("BadHeader");
    const apple = createAppleClient({
      baseUrl: sim.url,
      sToken,
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init.headers as object), Authorization: "Token x" } }),
    });
    expect(await rejection(apple.getClientConfig())).toMatchObject({
      kind: "auth",
      tokenProblem: "invalid",
      errorNumber: 9722,
    });
  });

  it("an sToken whose expDate has passed is refused before any call", async () => {
    const { sToken } = sim.operator.createLocation({
      orgName: "Old",
      expiresAt: new Date(Date.now() - 60_000),
    });
    const before = JSON.stringify(sim.operator.stats());
    expect(() => createAppleClient({ baseUrl: sim.url, sToken })).toThrow(STokenError);
    expect(JSON.stringify(sim.operator.stats())).toBe(before);
  });
});

describe("retries honour Retry-After", () => {
  /** Clears the faults as soon as the first injected error has been answered. */
  function clearAfterFirstFailure(exchanges: Array<{ status: number }>): () => void {
    const timer = setInterval(() => {
      if (exchanges.some((e) => e.status >= 429)) {
        sim.operator.clearFaults();
        clearInterval(timer);
      }
    }, 1);
    return () => clearInterval(timer);
  }

  it.each([
    ["429 / 9646", { rate429: 1, retryAfterSeconds: 1 }, 429],
    ["503 / 9729", { rate5xx: 1, status5xx: 503 as const, retryAfterSeconds: 1 }, 503],
    ["500 / 9603", { rate5xx: 1, status5xx: 500 as const, retryAfterSeconds: 1 }, 500],
    ["503 / 9729 in maintenance", { maintenance: true, retryAfterSeconds: 1 }, 503],
  ])("%s: retried no sooner than Retry-After, then succeeds", async (_name, faults, status) => {
    const { sToken } = location(`Retry ${status}`);
    const { client: apple, exchanges } = client(sim, sToken);
    await apple.limits(); // keep the service config read out of the faulted window
    sim.operator.setFaults(faults, "/client/config");
    const stop = clearAfterFirstFailure(exchanges);
    try {
      await apple.getClientConfig();
    } finally {
      stop();
    }
    const calls = exchanges.filter((e) => e.path === "/client/config");
    expect(calls.map((c) => c.status)).toEqual([status, 200]);
    expect((calls[1]?.atMs ?? 0) - (calls[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it("attempts are bounded: the last error surfaces with its kind", async () => {
    const { sToken } = location("Bounded");
    const { client: apple, exchanges } = client(sim, sToken, {
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 5000 },
    });
    await apple.limits();
    sim.operator.setFaults({ maintenance: true, retryAfterSeconds: 1 }, "/client/config");
    expect(await rejection(apple.getClientConfig())).toMatchObject({
      kind: "unavailable",
      errorNumber: 9729,
      attempts: 2,
      retryAfterMs: 1000,
    });
    expect(exchanges.filter((e) => e.path === "/client/config")).toHaveLength(2);
  });

  it("a Retry-After beyond maxDelayMs is handed to the caller, and nothing is sent before it", async () => {
    const { sToken } = location("LongWait");
    const { client: apple, exchanges } = client(sim, sToken, {
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 500 },
    });
    await apple.limits();
    sim.operator.setFaults({ rate429: 1, retryAfterSeconds: 30 }, "/assets/associate");
    const error = await rejection(apple.associate({ assets: [{ adamId: "1" }], serialNumbers: ["S"] }));
    expect(error).toMatchObject({ kind: "throttled", errorNumber: 9646, retryAfterMs: 30_000, attempts: 1 });
    sim.operator.clearFaults();
    const local = await rejection(apple.getClientConfig());
    expect(local).toMatchObject({ kind: "throttled", local: true });
    expect(exchanges.filter((e) => e.path === "/client/config")).toHaveLength(0);
  });

  it("events completing during maintenance fail per subject with 9644", async () => {
    const { uId, sToken } = location("Maintenance");
    sim.operator.addAsset(uId, { adamId: "800000001", totalCount: 5 });
    const { client: apple } = client(sim, sToken);
    const event = await apple.associate({ assets: [{ adamId: "800000001" }], serialNumbers: ["M-1", "M-2"] });
    sim.operator.setFaults({ maintenance: true }, "/assets/associate");
    const status = await apple.waitForEvent(event.eventId, { pollIntervalMs: 50 });
    const outcomes = eventOutcomes(status, { serialNumbers: ["M-1", "M-2"] });
    expect(outcomes.failed.map((f) => [f.errorNumber, f.subject])).toEqual([
      [9644, { serialNumber: "M-1" }],
      [9644, { serialNumber: "M-2" }],
    ]);
    expect(classifyAppleError(9644, 200).kind).toBe("unavailable");
  });
});

describe("per-token rate limit (maxRequestPerSecond 15)", () => {
  it("the client paces itself: 40 concurrent calls, all answered, no 429 but for a stalled event loop", async () => {
    const { sToken } = location("Paced");
    const { client: apple, exchanges } = client(sim, sToken);
    await apple.limits();
    const started = performance.now();
    await Promise.all(Array.from({ length: 40 }, () => apple.getClientConfig()));
    // Unpaced, 25 of the 40 would be refused. The simulator shares this process: on a loaded
    // machine a stalled event loop can handle together requests the client sent apart, and
    // its window then sees one too many (rate-limit.ts keeps 200 ms of margin for jitter); a
    // CI run beside other suites once saw two. Unpaced is 25: a few is still pacing.
    expect(exchanges.filter((e) => e.status === 429).length).toBeLessThanOrEqual(3);
    expect(exchanges.filter((e) => e.status === 200 && e.startMs >= started)).toHaveLength(40);
    expect(performance.now() - started).toBeGreaterThanOrEqual(2000);
  });

  it("a client that over-sends meets 9646 and recovers by honouring Retry-After", async () => {
    const { sToken } = location("Greedy");
    const greedy = createRateLimiter({
      maxRequestPerSecond: 1000,
      clock: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    const { client: apple, exchanges } = client(sim, sToken, {
      rateLimiter: greedy,
      retry: { maxAttempts: 6, baseDelayMs: 10, maxDelayMs: 5000 },
    });
    await apple.getServiceConfig();
    greedy.setRate(1000); // ignore the advertised rate on purpose
    const results = await Promise.all(Array.from({ length: 30 }, () => apple.getClientConfig()));
    expect(results).toHaveLength(30);
    const throttled = exchanges.filter((e) => e.status === 429);
    expect(throttled.length).toBeGreaterThan(0);
    // Nothing is sent after a 429 arrived until its Retry-After has run out.
    for (const t of throttled) {
      const waitMs = Number(t.retryAfter) * 1000;
      expect(waitMs).toBeGreaterThanOrEqual(1000);
      // Requests already past the limiter when the 429 arrived are in flight legitimately.
      const sentAfter = exchanges.filter((e) => e.startMs > t.atMs + 20);
      for (const e of sentAfter) expect(e.startMs - t.atMs).toBeGreaterThanOrEqual(waitMs - 5);
    }
  });
});

describe("errors the client never provokes itself", () => {
  it("405 / 9726 for an unsupported method, 415 / 9727 for an unsupported Content-Type", async () => {
    const { sToken } = location("Raw");
    const auth = { Authorization: `Bearer ${sToken}` };
    const wrongMethod = await fetch(`${sim.url}/assets`, { method: "DELETE", headers: auth });
    const body405 = errorResponse.parse(await wrongMethod.json());
    expect([wrongMethod.status, body405.errorNumber]).toEqual([405, 9726]);
    expect(classifyAppleError(body405.errorNumber, 405).kind).toBe("invalid_request");
    const wrongType = await fetch(`${sim.url}/assets/associate`, {
      method: "POST",
      headers: { ...auth, "Content-Type": "text/plain" },
      body: "assets please",
    });
    const body415 = errorResponse.parse(await wrongType.json());
    expect([wrongType.status, body415.errorNumber]).toEqual([415, 9727]);
  });
});
