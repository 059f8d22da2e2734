import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyAppleError, eventOutcomes, parseRetryAfter } from "../../src/apple/index.js";
import { statusResponse } from "../../src/apple/wire.js";

const fixture = (name: string) =>
  statusResponse.parse(
    JSON.parse(readFileSync(new URL(`../fixtures/apple/${name}`, import.meta.url), "utf8")),
  );

describe("classifyAppleError", () => {
  it.each([
    [9601, 401, "auth", "login_required"],
    [9621, 401, "auth", "expired"],
    [9625, 401, "auth", "revoked"],
    [9722, 401, "auth", "invalid"],
    [9625, 200, "auth", "revoked"],
    [undefined, 401, "auth", "invalid"],
    [9646, 429, "throttled", undefined],
    [undefined, 429, "throttled", undefined],
    [9729, 503, "unavailable", undefined],
    [9644, 503, "unavailable", undefined],
    [9603, 500, "unavailable", undefined],
    [undefined, 502, "unavailable", undefined],
    [9708, 400, "not_found", undefined],
    [9609, 400, "not_found", undefined],
    [9709, 400, "insufficient_licenses", undefined],
    [9716, 400, "conflict", undefined],
    [9641, 400, "conflict", undefined],
    [9635, 400, "conflict", undefined],
    [9637, 403, "forbidden", undefined],
    [9647, 403, "forbidden", undefined],
    [9634, 410, "gone", undefined],
    [9602, 400, "invalid_request", undefined],
    [9650, 400, "invalid_request", undefined],
    [9700, 400, "invalid_request", undefined],
    [9702, 400, "invalid_request", undefined],
    [9721, 400, "invalid_request", undefined],
    [9726, 405, "invalid_request", undefined],
    [9728, 400, "invalid_request", undefined],
  ])("%s (HTTP %s) is %s/%s", (errorNumber, status, kind, tokenProblem) => {
    expect(classifyAppleError(errorNumber, status)).toEqual(
      tokenProblem === undefined ? { kind } : { kind, tokenProblem },
    );
  });
});

describe("parseRetryAfter", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120_000);
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("eventOutcomes", () => {
  it("maps Apple's partial FAILED example to completed and failed subjects", () => {
    const outcomes = eventOutcomes(fixture("status.response.failed.json"), {
      clientUserIds: ["client-1", "client-2", "client-3", "client-4"],
    });
    expect(outcomes.done).toBe(true);
    expect(outcomes.eventStatus).toBe("FAILED");
    expect(outcomes.completed).toEqual([
      { clientUserId: "client-1" },
      { clientUserId: "client-2" },
      { clientUserId: "client-3" },
    ]);
    expect(outcomes.failed).toEqual([
      {
        errorNumber: 9609,
        errorMessage: "Registered user not found",
        subject: { clientUserId: "client-4" },
        assets: undefined,
      },
    ]);
  });

  it("names every failed subject of a failure", () => {
    const outcomes = eventOutcomes(fixture("status.response.failed.handling-errors.json"), {
      clientUserIds: ["user101", "user102"],
    });
    expect(outcomes.completed).toEqual([]);
    expect(outcomes.failed.map((f) => [f.errorNumber, f.subject])).toEqual([
      [9609, { clientUserId: "user102" }],
      [9609, { clientUserId: "user101" }],
    ]);
  });

  it("claims nothing completed while PENDING", () => {
    const outcomes = eventOutcomes(fixture("status.response.pending.json"), { serialNumbers: ["s1"] });
    expect(outcomes).toMatchObject({
      done: false,
      completed: [],
      failed: [],
      numCompleted: 8,
      numRequested: 16,
    });
  });

  it("serial-number failures and COMPLETE events", () => {
    const outcomes = eventOutcomes(
      {
        eventStatus: "FAILED",
        eventType: "ASSOCIATE",
        failures: [{ errorNumber: 9709, errorInfo: { serialNumbers: ["s2"] } }],
      },
      { serialNumbers: ["s1", "s2"] },
    );
    expect(outcomes.completed).toEqual([{ serialNumber: "s1" }]);
    expect(outcomes.failed[0]).toMatchObject({ errorNumber: 9709, subject: { serialNumber: "s2" } });
    expect(
      eventOutcomes(fixture("status.response.complete.json"), { serialNumbers: ["a"] }).completed,
    ).toEqual([{ serialNumber: "a" }]);
  });
});
