/**
 * Authorization (APPLE-API.md "Base URL, auth" and "Error codes"): 9722 bad header,
 * 9601 unknown token, 9621 expired, 9625 revoked, all HTTP 401; and the transport errors
 * 9726 (405), 9727 (415), 9602 (400).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeSToken } from "../../src/simulator/index.js";
import { type Sim, startSim } from "./helpers.js";

let s: Sim;
let clock: Date;
beforeEach(async () => {
  clock = new Date("2026-01-01T00:00:00Z");
  s = await startSim({ now: () => clock });
});
afterEach(() => s.close());

describe("auth", () => {
  it("9722: a missing Authorization header is 401", async () => {
    const reply = await s.call("/assets", { token: null });
    expect(reply.status).toBe(401);
    expect(reply.body).toMatchObject({ errorNumber: 9722 });
  });

  it("9722: a header not of the form 'Bearer {sToken}' is 401", async () => {
    for (const header of ["Basic abc", "Bearer", "bearer", `Token ${s.sToken}`]) {
      const reply = await s.call("/assets", { token: null, headers: { authorization: header } });
      expect(reply.status, header).toBe(401);
      expect(reply.body.errorNumber, header).toBe(9722);
    }
  });

  it("9601: a token that is not base64 JSON, or unknown to Apple, is 401 login required", async () => {
    const forged = encodeSToken({ token: "forged", expDate: "2030-11-08T22:33:22+0000", orgName: "ORG" });
    for (const token of ["not-a-token", forged, Buffer.from("[]").toString("base64")]) {
      const reply = await s.call("/assets", { token });
      expect(reply.status).toBe(401);
      expect(reply.body.errorNumber).toBe(9601);
    }
  });

  it("the sToken is base64 JSON {token, expDate, orgName} like Apple's .vpptoken", () => {
    const decoded = JSON.parse(Buffer.from(s.sToken, "base64").toString("utf8"));
    expect(Object.keys(decoded).sort()).toEqual(["expDate", "orgName", "token"]);
    expect(decoded.orgName).toBe("ORG12345");
    expect(decoded.expDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
  });

  it("9621: an expired token is 401, by the injected clock or by the operator", async () => {
    clock = new Date("2028-01-01T00:00:00Z");
    expect((await s.call("/assets")).body.errorNumber).toBe(9621);
    clock = new Date("2026-01-01T00:00:00Z");
    expect((await s.call("/assets")).status).toBe(200);
    s.sim.operator.expireToken(s.uId);
    const reply = await s.call("/assets");
    expect(reply.status).toBe(401);
    expect(reply.body.errorNumber).toBe(9621);
  });

  it("9625: a revoked token is 401; renewing gives a new token and revokes the old one", async () => {
    const { sToken } = s.sim.operator.renewToken(s.uId);
    expect((await s.call("/assets")).body.errorNumber).toBe(9625);
    expect((await s.call("/assets", { token: sToken })).status).toBe(200);
    s.sim.operator.revokeToken(s.uId);
    const reply = await s.call("/assets", { token: sToken });
    expect(reply.status).toBe(401);
    expect(reply.body.errorNumber).toBe(9625);
  });

  it("GET /service/config needs no token", async () => {
    expect((await s.call("/service/config", { token: null })).status).toBe(200);
  });

  it("a token sees only its own location (uId)", async () => {
    const other = s.sim.operator.createLocation({ orgName: "Other" });
    const reply = await s.call("/assets", { token: other.sToken });
    expect(reply.body.uId).toBe(other.uId);
  });
});

describe("transport errors", () => {
  it("9726: another method on an Apple path is 405", async () => {
    for (const [method, path] of [
      ["PUT", "/assets/associate"],
      ["DELETE", "/users"],
      ["POST", "/assets"],
      ["GET", "/users/create"],
    ] as const) {
      const reply = await s.call(path, { method });
      expect(reply.status, `${method} ${path}`).toBe(405);
      expect(reply.body.errorNumber).toBe(9726);
    }
  });

  it("9727: a POST body that is not application/json is 415", async () => {
    const reply = await s.call("/users/create", {
      body: "users=1",
      headers: { "content-type": "text/plain" },
    });
    expect(reply.status).toBe(415);
    expect(reply.body.errorNumber).toBe(9727);
  });

  it("9727: a POST declaring a non-JSON Content-Type is 415 even with an empty body (POST /users/create)", async () => {
    for (const path of ["/users/create", "/assets/associate", "/client/config"]) {
      const reply = await s.call(path, { method: "POST", headers: { "content-type": "text/plain" } });
      expect(reply.status, path).toBe(415);
      expect(reply.body.errorNumber, path).toBe(9727);
    }
    // No body and no Content-Type reads as {}: the endpoint's own validation answers.
    expect((await s.call("/users/create", { method: "POST" })).body.errorNumber).toBe(9720);
  });

  it("9602: malformed JSON, or a JSON body that is not an object, is 400 invalid argument", async () => {
    for (const body of ["{", "[]", "42", '"x"', "null"]) {
      const reply = await s.call("/assets/associate", { body });
      expect(reply.status, body).toBe(400);
      expect(reply.body.errorNumber, body).toBe(9602);
    }
  });
});

describe("unknown paths", () => {
  it("an unknown /mdm/v2 path is 404 with an Apple-shaped error", async () => {
    for (const path of ["/nope", "/assets/", "/status/123"]) {
      const reply = await s.call(path);
      expect(reply.status, path).toBe(404);
      expect(reply.body.errorNumber, path).toBe(9602);
    }
  });
});
