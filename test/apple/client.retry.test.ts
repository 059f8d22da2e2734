import { describe, expect, it } from "vitest";
import {
  AppleApiError,
  AppleProtocolError,
  AppleTransportError,
  STokenError,
} from "../../src/apple/index.js";
import { envelope, type FakeReply, fakeClient, makeSTokenText } from "./fake.js";

const clientConfig = { ...envelope, mdmInfo: { id: "orchard-1", name: "Orchard", metadata: "0.1.0" } };

async function caught(work: Promise<unknown>): Promise<unknown> {
  try {
    await work;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

/** Replies from a script, one per call to `path`, then a default. */
function scripted(path: string, replies: FakeReply[], fallback: FakeReply) {
  let i = 0;
  return (req: { path: string }) => (req.path === path ? (replies[i++] ?? fallback) : undefined);
}

describe("Apple client: auth, errors and retries", () => {
  it("sends Authorization: Bearer <sToken> and JSON bodies", async () => {
    const { client, http } = fakeClient();
    await client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s1"] });
    const [req] = http.calls("/assets/associate");
    expect(req?.headers.Authorization).toBe(`Bearer ${makeSTokenText()}`);
    expect(req?.headers["Content-Type"]).toBe("application/json");
    expect(req?.body).toEqual({ assets: [{ adamId: "1" }], serialNumbers: ["s1"] });
  });

  it.each([
    [9625, 401, "revoked"],
    [9621, 401, "expired"],
    [9601, 401, "login_required"],
    [9722, 401, "invalid"],
    [9625, 200, "revoked"],
  ])("never retries auth error %s (HTTP %s): tokenProblem %s", async (errorNumber, status, tokenProblem) => {
    const { client, http, time } = fakeClient((req) =>
      req.path === "/client/config" ? { status, body: { errorNumber, errorMessage: "x" } } : undefined,
    );
    const error = await caught(client.getClientConfig());
    expect(error).toBeInstanceOf(AppleApiError);
    expect(error).toMatchObject({ kind: "auth", tokenProblem, errorNumber, httpStatus: status, attempts: 1 });
    expect(http.calls("/client/config")).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it("reads an error body even on HTTP 200", async () => {
    const { client } = fakeClient((req) =>
      req.path === "/assets/associate"
        ? { status: 200, body: { errorNumber: 9702, errorMessage: "too many" } }
        : undefined,
    );
    const error = await caught(client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s"] }));
    expect(error).toMatchObject({ kind: "invalid_request", errorNumber: 9702, httpStatus: 200 });
  });

  it("honours Retry-After on 429/9646: the next call is never sooner", async () => {
    const { client, http, time } = fakeClient(
      scripted(
        "/client/config",
        [{ status: 429, body: { errorNumber: 9646 }, headers: { "retry-after": "7" } }],
        { body: clientConfig },
      ),
    );
    await client.getClientConfig();
    const calls = http.calls("/client/config");
    expect(calls).toHaveLength(2);
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(7000);
    expect((calls[1]?.atMs ?? 0) - (calls[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(7000);
  });

  it("honours an HTTP-date Retry-After on 503/9729", async () => {
    const { client, http } = fakeClient(
      scripted(
        "/client/config",
        [
          {
            status: 503,
            body: { errorNumber: 9729 },
            headers: { "retry-after": "Thu, 01 Jan 2026 00:00:45 GMT" },
          },
        ],
        { body: clientConfig },
      ),
    );
    await client.getClientConfig();
    const calls = http.calls("/client/config");
    expect((calls[1]?.atMs ?? 0) - (calls[0]?.atMs ?? 0)).toBeGreaterThanOrEqual(45_000);
  });

  it("backs off exponentially with jitter on 5xx, bounded by maxAttempts", async () => {
    const { client, http, time } = fakeClient(
      (req) => (req.path === "/client/config" ? { status: 500, body: { errorNumber: 9603 } } : undefined),
      { retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } },
    );
    const error = await caught(client.getClientConfig());
    expect(error).toMatchObject({ kind: "unavailable", errorNumber: 9603, attempts: 3 });
    expect(http.calls("/client/config")).toHaveLength(3);
    // random() = 0.5 -> 3/4 of 1000 * 2^(attempt-1)
    expect(time.sleeps).toEqual([750, 1500]);
  });

  it("retries 9644 (maintenance) and then succeeds", async () => {
    const { client, http } = fakeClient(
      scripted("/client/config", [{ status: 503, body: { errorNumber: 9644 } }], { body: clientConfig }),
    );
    await client.getClientConfig();
    expect(http.calls("/client/config")).toHaveLength(2);
  });

  it("a Retry-After longer than maxDelayMs is thrown, and the client refuses to call before it", async () => {
    const { client, http, time } = fakeClient((req) =>
      req.path === "/client/config"
        ? { status: 503, body: { errorNumber: 9729 }, headers: { "retry-after": "120" } }
        : undefined,
    );
    const first = await caught(client.getClientConfig());
    expect(first).toMatchObject({ kind: "unavailable", retryAfterMs: 120_000, attempts: 1 });
    const second = await caught(client.getClientConfig());
    expect(second).toMatchObject({ kind: "throttled", local: true });
    expect((second as AppleApiError).retryAfterMs).toBeLessThanOrEqual(120_000);
    expect(http.calls("/client/config")).toHaveLength(1);
    time.ms += 120_000;
    await caught(client.getClientConfig());
    expect(http.calls("/client/config")).toHaveLength(2);
  });

  it("does not retry a validation error", async () => {
    const { client, http } = fakeClient((req) =>
      req.path === "/assets/associate" ? { status: 400, body: { errorNumber: 9700 } } : undefined,
    );
    await caught(client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s"] }));
    expect(http.calls("/assets/associate")).toHaveLength(1);
  });

  it("retries a transport failure on GET, never on POST", async () => {
    const get = fakeClient(scripted("/client/config", [{ fail: true }], { body: clientConfig }));
    await get.client.getClientConfig();
    expect(get.http.calls("/client/config")).toHaveLength(2);

    const post = fakeClient((req) => (req.path === "/assets/associate" ? { fail: true } : undefined));
    const error = await caught(post.client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s"] }));
    expect(error).toBeInstanceOf(AppleTransportError);
    expect(post.http.calls("/assets/associate")).toHaveLength(1);
  });

  it("rejects a 2xx body of the wrong shape", async () => {
    const { client } = fakeClient((req) => (req.path === "/status" ? { body: { hello: 1 } } : undefined));
    expect(await caught(client.eventStatus("e1"))).toBeInstanceOf(AppleProtocolError);
  });

  it("reports uId and tokenExpirationDate of every response", async () => {
    const seen: unknown[] = [];
    const { client } = fakeClient(undefined, { onEnvelope: (e) => seen.push(e) });
    await client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s"] });
    expect(seen).toEqual([{ method: "POST", path: "/assets/associate", ...envelope }]);
  });

  it("refuses to call once the token has expired during the client's life", async () => {
    const { client, http, time } = fakeClient(undefined, {
      sToken: makeSTokenText({ expDate: "2026-01-02T00:00:00+0000" }),
    });
    time.ms += 2 * 86_400_000;
    const error = await caught(client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s"] }));
    expect(error).toBeInstanceOf(STokenError);
    expect(error).toMatchObject({ code: "expired" });
    expect(http.requests).toHaveLength(0);
  });

  it("GET /status?eventId= and waitForEvent polling every 30 s", async () => {
    let polls = 0;
    const { client, time, http } = fakeClient((req) =>
      req.path === "/status"
        ? {
            body: {
              ...envelope,
              eventStatus: ++polls < 3 ? "PENDING" : "COMPLETE",
              eventType: "ASSOCIATE",
              numCompleted: 1,
              numRequested: 1,
            },
          }
        : undefined,
    );
    const status = await client.waitForEvent("abc");
    expect(status.eventStatus).toBe("COMPLETE");
    expect(http.calls("/status").map((r) => r.query.get("eventId"))).toEqual(["abc", "abc", "abc"]);
    expect(time.sleeps).toEqual([30_000, 30_000]);
  });
});
