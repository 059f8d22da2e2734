import { expect, it } from "vitest";
import { decodeSToken, type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { upsertAsset } from "../../src/store/index.js";
import { describeEachDatabase } from "../store/databases.js";
import { auth, buildFixture, type Fixture, NOW } from "./harness.js";

/**
 * Invariant 5 end to end: an sToken from the simulator is uploaded (multipart), then
 * the account is read, licenses requested, explained, what-if'd, revoked, the log
 * exported; every response body and every log line is searched for the sToken and its
 * inner `token`: neither appears. Also the console's session: cookie flags and CSRF.
 */
describeEachDatabase("full scenario: the sToken never leaks", (db) => {
  let f: Fixture;
  let simulator: RunningSimulator;
  const bodies: string[] = [];

  it("runs the scenario", async () => {
    f = await buildFixture(db().store);
    simulator = await startSimulator({ port: 0 });
    const { sToken } = simulator.operator.createLocation({
      orgName: "Scenario School",
      locationName: "Campus",
    });
    const inner = decodeSToken(sToken)?.token ?? "";
    expect(inner.length).toBeGreaterThan(8);
    const h = auth(f.tokens.write);
    const s = `/api/v1/spaces/${f.ids.spaceA}`;
    const send = async (
      method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
      url: string,
      payload?: unknown,
      headers: Record<string, string> = h,
    ) => {
      const r = await f.app.inject({
        method,
        url,
        headers,
        ...(payload !== undefined ? { payload: payload as object } : {}),
      });
      bodies.push(JSON.stringify(r.headers), r.body);
      return r;
    };

    // AC1: multipart upload of a .vpptoken file.
    const boundary = "----orchard";
    const multipart = [
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nScenario`,
      `--${boundary}\r\nContent-Disposition: form-data; name="autoDistribute"\r\n\r\ntrue`,
      `--${boundary}\r\nContent-Disposition: form-data; name="sToken"; filename="campus.vpptoken"\r\nContent-Type: application/octet-stream\r\n\r\n${sToken}`,
      `--${boundary}--\r\n`,
    ].join("\r\n");
    const created = await f.app.inject({
      method: "POST",
      url: `${s}/accounts`,
      headers: { ...h, "content-type": `multipart/form-data; boundary=${boundary}` },
      payload: multipart,
    });
    bodies.push(created.body);
    expect(created.statusCode, created.body).toBe(201);
    const account = created.json();
    expect(account.orgName).toBe("Scenario School"); // CA2
    expect(account.priority).toBe(2); // MA6: added last
    expect(account.firstImport).toEqual({ state: "done" });
    // A malformed token names the field.
    const bad = await send("POST", `${s}/accounts`, { name: "Bad", sToken: "not base64 !!" });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe("body.sToken");
    // CA2: another account of the space already has the name (the fixture's "Main").
    const taken = await send("POST", `${s}/accounts`, { name: " main ", sToken });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ code: "duplicate_name", errors: [{ field: "body.name" }] });

    // What sync would do: the account's assets (sync is bound in main/server.ts when it lands).
    await upsertAsset(
      db().store.db,
      {
        spaceId: f.ids.spaceA,
        accountId: account.id,
        adamId: "1000001",
        pricingParam: "STDQ",
        productType: "App",
        name: "Keynote",
        total: 2,
        deviceAssignable: true,
        // It runs on the Mac below too (PB3: a Mac gets no license for an iOS-only app).
        platforms: ["iOS", "macOS"],
      },
      NOW,
    );
    expect((await send("PUT", `${s}/catalog/1000001`, { name: "Keynote" })).statusCode).toBe(200);
    const users = [];
    for (const name of ["Uma", "Vic", "Wes"]) users.push((await send("POST", `${s}/users`, { name })).json());
    const device = (await send("POST", `${s}/devices`, { serialNumber: "SCEN0001", platform: "iOS" })).json();
    const bulk = await send("POST", `${s}/devices/bulk`, {
      devices: [
        { serialNumber: "SCEN0002", platform: "macOS" },
        { serialNumber: "SCEN0003", platform: "iOS", sharedIpad: true },
      ],
    });
    expect(bulk.json().created).toBe(2);

    // Device requests take the two seats; the third waits (DB2).
    const granted = await send("POST", `${s}/license-requests`, {
      app: "1000001",
      device: device.id,
      why: "mandatory",
    });
    expect(granted.json().decision.outcome).toBe("grant");
    expect(granted.json().rules.map((r: { id: string }) => r.id)).toContain("DB1");
    const second = await send("POST", `${s}/license-requests`, {
      app: "1000001",
      device: bulk.json().items[1].id,
      why: "mandatory",
    });
    expect(second.json().decision.outcome).toBe("grant");
    const waiting = await send("POST", `${s}/license-requests`, {
      app: "1000001",
      device: bulk.json().items[0].id,
      why: "mandatory",
    });
    expect(waiting.json().decision.outcome).toBe("wait");

    const explained = await send(
      "GET",
      `/api/v1/explain?space=${f.ids.spaceA}&app=1000001&device=${device.id}`,
    );
    expect(explained.json().decision.outcome).toBe("keep");
    expect((await send("GET", `${s}/accounts/${account.id}`)).statusCode).toBe(200);
    expect((await send("GET", `${s}/accounts`)).statusCode).toBe(200);
    expect((await send("GET", `${s}/apps?q=key`)).json().items[0].used).toBe(2);
    const wi = await send("POST", `${s}/what-if`, {
      changes: [{ kind: "remove_account", accountId: account.id }],
    });
    expect(wi.json().totals.lose).toBe(2);
    const revoke = await send("POST", `${s}/licenses/${granted.json().licenseId}/revoke`, {});
    // No worker has sent its assignment yet: released at once, nothing to ask Apple (RV2).
    expect(revoke.json().revoked[0].state).toBe("released");
    expect((await send("POST", `${s}/apps/1000001/revoke-all`, { confirm: true })).json().revoked).toBe(1);
    const csv = await send("GET", `${s}/activity.csv?app=1000001`);
    expect(csv.headers["content-type"]).toMatch(/text\/csv/);
    expect(csv.body.split("\n")[0]).toContain("seq,at,actor_kind");
    expect(csv.body).toContain("license.granted");
    expect(
      (await send("PATCH", `${s}/accounts/${account.id}`, { name: "Renamed", sToken })).json().displayName,
    ).toBe("Renamed");
    expect((await send("DELETE", `${s}/accounts/${account.id}?confirm=wrong`)).statusCode).toBe(422);
    // AC5: before confirming, what the deletion would take with it.
    expect((await send("GET", `${s}/accounts/${account.id}/deletion-preview`)).json()).toMatchObject({
      licenses: { user: expect.any(Number), device: expect.any(Number) },
      apps: expect.any(Number),
      appsWithRules: expect.any(Number),
    });
    expect((await send("GET", `${s}/accounts/no-such-account/deletion-preview`)).statusCode).toBe(404);

    for (const text of [...bodies, ...f.logs.lines]) {
      expect(text.includes(sToken)).toBe(false);
      expect(text.includes(inner)).toBe(false);
    }
    expect(f.logs.lines.length).toBeGreaterThan(20);
    await simulator.close();
  });

  it("console session over a real socket: HttpOnly SameSite=Strict cookie; changes need the CSRF header and the same origin", async () => {
    const address = await f.app.listen({ host: "127.0.0.1", port: 0 });
    const login = `writer-${f.ids.suffix}`;
    const wrong = await fetch(`${address}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login, password: "wrong password!" }),
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("content-type")).toMatch(/application\/problem\+json/);
    const ok = await fetch(`${address}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login, password: "correct horse battery" }),
    });
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(";")[0] ?? "";
    const s = `${address}/api/v1/spaces/${f.ids.spaceA}`;
    expect((await fetch(`${s}/users`, { headers: { cookie } })).status).toBe(200);
    const body = JSON.stringify({ name: "Csrf Test" });
    const json = { "content-type": "application/json", cookie };
    expect((await fetch(`${s}/users`, { method: "POST", headers: json, body })).status).toBe(403);
    expect(
      (
        await fetch(`${s}/users`, {
          method: "POST",
          headers: { ...json, "x-orchard-csrf": "1", origin: "https://evil.example" },
          body,
        })
      ).status,
    ).toBe(403);
    expect(
      (await fetch(`${s}/users`, { method: "POST", headers: { ...json, "x-orchard-csrf": "1" }, body }))
        .status,
    ).toBe(201);
    expect(
      (
        await fetch(`${address}/api/v1/auth/logout`, {
          method: "POST",
          headers: { cookie, "x-orchard-csrf": "1" },
        })
      ).status,
    ).toBe(204);
    expect((await fetch(`${s}/users`, { headers: { cookie } })).status).toBe(401);
    for (const line of f.logs.lines) {
      expect(line).not.toContain("correct horse battery");
      expect(line).not.toContain(cookie.split("=")[1] ?? "never");
    }
  });
});
