/**
 * The operator side over HTTP (/operator/...), as curl or the CLI drive a standalone
 * simulator, and the standalone entry point.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { runStandaloneSimulator } from "../../src/simulator/main.js";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startSimulator({ eventDelayMs: 0 });
});
afterAll(() => sim.close());

async function op(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${sim.origin}/operator${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("operator over HTTP", () => {
  it("creates a location, adds and buys licenses, seeds, and reports a snapshot", async () => {
    const created = await op("POST", "/locations", { orgName: "ORG", locationName: "HQ" });
    expect(created.status).toBe(200);
    const uId = created.body.uId as string;
    expect(created.body.sToken).toEqual(expect.any(String));
    expect((await op("POST", `/locations/${uId}/assets`, { adamId: "1", totalCount: 5 })).status).toBe(200);
    expect((await op("POST", `/locations/${uId}/buy`, { adamId: "1", count: 3 })).status).toBe(200);
    expect((await op("POST", `/locations/${uId}/refund`, { adamId: "1", count: 2 })).status).toBe(200);
    expect(
      (await op("POST", `/locations/${uId}/seed`, { apps: 2, licensesPerApp: 4, users: 3, assignments: 5 }))
        .status,
    ).toBe(200);
    const snapshot = await op("GET", `/locations/${uId}/snapshot`);
    expect(snapshot.body).toMatchObject({ assignmentCount: 5, users: 3 });
    expect((snapshot.body.assets as unknown[])[0]).toMatchObject({
      adamId: "1",
      totalCount: 6,
      retiredCount: 2,
    });
    const apple = await fetch(`${sim.url}/assets`, {
      headers: { authorization: `Bearer ${created.body.sToken}` },
    });
    expect(((await apple.json()) as { assets: unknown[] }).assets).toHaveLength(3);
  });

  it("renews, expires and revokes tokens; claims for another MDM; sets and clears faults", async () => {
    const { body } = await op("POST", "/locations", { orgName: "ORG" });
    const uId = body.uId as string;
    const renewed = await op("POST", `/locations/${uId}/token/renew`, {});
    const sToken = renewed.body.sToken as string;
    const call = async () =>
      (
        await fetch(`${sim.url}/client/config`, { headers: { authorization: `Bearer ${sToken}` } })
      ).json() as Promise<Record<string, unknown>>;
    await op("POST", `/locations/${uId}/claim`, { id: "other", name: "Other MDM", metadata: "1" });
    expect((await call()).mdmInfo).toEqual({ id: "other", name: "Other MDM", metadata: "1" });
    await op("PUT", "/faults", { endpoint: "/client/config", faults: { rate5xx: 1, status5xx: 500 } });
    expect((await call()).errorNumber).toBe(9603);
    await op("DELETE", "/faults");
    await op("POST", `/locations/${uId}/token/expire`);
    expect((await call()).errorNumber).toBe(9621);
    await op("POST", `/locations/${uId}/token/revoke`);
    expect((await call()).errorNumber).toBe(9625);
    expect((await op("GET", "/stats")).body.requests).toEqual(expect.any(Object));
  });

  it("sets every fault of FaultConfig over HTTP, eventDelayMs and notification faults included", async () => {
    const faults = {
      eventDelayMs: 60_000,
      duplicateNotifications: 0.5,
      notificationJitterMs: 10,
      tokenErrorsAsHttp200: true,
    };
    expect((await op("PUT", "/faults", { endpoint: "/assets/associate", faults })).status).toBe(200);
    const { body } = await op("POST", "/locations", { orgName: "ORG" });
    await op("POST", `/locations/${body.uId}/assets`, { adamId: "1", totalCount: 5 });
    const reply = await fetch(`${sim.url}/assets/associate`, {
      method: "POST",
      headers: { authorization: `Bearer ${body.sToken}`, "content-type": "application/json" },
      body: JSON.stringify({ assets: [{ adamId: "1" }], serialNumbers: ["a"] }),
    });
    const { eventId } = (await reply.json()) as { eventId: string };
    await new Promise((resolve) => setTimeout(resolve, 30));
    const status = await fetch(`${sim.url}/status?eventId=${eventId}`, {
      headers: { authorization: `Bearer ${body.sToken}` },
    });
    expect(((await status.json()) as { eventStatus: string }).eventStatus).toBe("PENDING");
    const refused = await fetch(`${sim.url}/assets/associate`, {
      method: "POST",
      headers: { authorization: "Bearer not-a-token", "content-type": "application/json" },
      body: JSON.stringify({ assets: [{ adamId: "1" }], serialNumbers: ["a"] }),
    });
    expect(refused.status).toBe(200);
    expect(((await refused.json()) as { errorNumber: number }).errorNumber).toBe(9601);
    await op("DELETE", "/faults");
  });

  it("answers 400 for a bad body and 404 for an unknown location", async () => {
    expect((await op("POST", "/locations", { nope: 1 })).status).toBe(400);
    expect((await op("POST", "/locations/0000/buy", { adamId: "1", count: 1 })).status).toBe(404);
    const created = await op("POST", "/locations", { orgName: "ORG" });
    expect(
      (await op("POST", `/locations/${created.body.uId}/refund`, { adamId: "nope", count: 1 })).status,
    ).toBe(400);
  });
});

describe("standalone simulator", () => {
  it("starts, seeds two demo locations and prints a working sToken for each", async () => {
    const lines: string[] = [];
    const standalone = await runStandaloneSimulator({ port: 0, print: (line) => lines.push(line) });
    try {
      expect(standalone.locations).toHaveLength(2);
      for (const location of standalone.locations) {
        expect(lines).toContain(location.sToken);
        const response = await fetch(`${standalone.url}/assets`, {
          headers: { authorization: `Bearer ${location.sToken}` },
        });
        expect(response.status).toBe(200);
      }
    } finally {
      await standalone.close();
    }
  });
});
