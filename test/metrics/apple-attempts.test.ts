import { describe, expect, it } from "vitest";
import { observeAppleAttempt, processMetrics } from "../../src/metrics/process-metrics.js";
import { fakeClient } from "../apple/fake.js";
import { sample } from "./samples.js";

const read = () => processMetrics().registry.metrics();
const attempts = (text: string, labels: Record<string, string>) =>
  sample(text, "orchard_apple_requests_total", labels) ?? 0;

describe("metrics: requests sent to Apple", () => {
  it("NT2: counts every attempt by endpoint and how it ended (Apple's HTTP status and errorNumber), retries included", async () => {
    let associateCalls = 0;
    const { client } = fakeClient(
      (req) => {
        if (req.path === "/assets/associate")
          return associateCalls++ === 0
            ? { status: 503, body: {} }
            : { status: 200, body: { eventId: "e-1" } };
        if (req.path === "/client/config")
          return { status: 401, body: { errorNumber: 9625, errorMessage: "revoked" } };
        return undefined;
      },
      { onAttempt: observeAppleAttempt },
    );
    const before = await read();
    await client.associate({ assets: [{ adamId: "1" }], serialNumbers: ["s1"] });
    await expect(client.getClientConfig()).rejects.toMatchObject({ errorNumber: 9625 });
    const after = await read();
    const delta = (labels: Record<string, string>) => attempts(after, labels) - attempts(before, labels);
    const associate = { method: "POST", endpoint: "/assets/associate" };
    // Apple asked to try again (503), then took it: two attempts, one request.
    expect(delta({ ...associate, outcome: "api_error", status: "503", error_number: "" })).toBe(1);
    expect(delta({ ...associate, outcome: "ok", status: "200", error_number: "" })).toBe(1);
    // A revoked token (9625) is never retried: one attempt, with Apple's number.
    expect(
      delta({
        method: "GET",
        endpoint: "/client/config",
        outcome: "api_error",
        status: "401",
        error_number: "9625",
      }),
    ).toBe(1);
    const histogram = (text: string) =>
      sample(text, "orchard_apple_request_duration_seconds_count", { ...associate }) ?? 0;
    expect(histogram(after) - histogram(before)).toBe(2);
  });
});
