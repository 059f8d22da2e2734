/**
 * Fuzzed bodies and query strings against every endpoint: always an Apple-shaped error
 * `{errorNumber, errorMessage}` or a success, never a 500, never a hang; and the license
 * counts stay consistent whatever is thrown at them.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Json, type Sim, startSim } from "./helpers.js";

let s: Sim;
beforeAll(async () => {
  s = await startSim({ eventDelayMs: 0, pageSize: 3 });
  s.sim.operator.seed(s.uId, { apps: 3, licensesPerApp: 5, users: 4, assignments: 7 });
  s.sim.operator.addAsset(s.uId, { adamId: "book", productType: "Book", totalCount: 3 });
});
afterAll(() => s.close());

const POSTS = [
  "/client/config",
  "/assets/associate",
  "/assets/disassociate",
  "/assets/revoke",
  "/users/create",
  "/users/update",
  "/users/retire",
];
const GETS = ["/service/config", "/client/config", "/assets", "/assignments", "/users", "/status"];
const QUERY_KEYS = [
  "adamId",
  "pageIndex",
  "sinceVersionId",
  "serialNumber",
  "clientUserId",
  "pricingParam",
  "productType",
  "deviceAssignable",
  "revocable",
  "minAssignedCount",
  "activeOnly",
  "retiredOnly",
  "includeUserState",
  "excludeInactiveUsers",
  "eventId",
];

const adamIds = fc.constantFrom("900000000", "900000001", "900000002", "book", "nope", "");
const names = fc.oneof(
  fc.constantFrom("sim-user-0", "sim-user-1", "SIMSN00000001", "a", ""),
  fc.string({ maxLength: 12 }),
);
const plausible = fc.record(
  {
    assets: fc.array(
      fc.record(
        { adamId: adamIds, pricingParam: fc.constantFrom("STDQ", "PLUS", "X", undefined) },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
    serialNumbers: fc.array(names, { maxLength: 5 }),
    clientUserIds: fc.array(names, { maxLength: 5 }),
    users: fc.array(
      fc.record(
        { clientUserId: names, email: fc.oneof(fc.emailAddress(), fc.string()), managedAppleId: fc.string() },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
    mdmInfo: fc.record({ id: fc.string(), name: fc.string(), metadata: fc.string() }, { requiredKeys: [] }),
    notificationTypes: fc.array(fc.constantFrom("ASSET_COUNT", "USER_MANAGEMENT", "BOGUS")),
  },
  { requiredKeys: [] },
);
const bodies = fc.oneof(
  plausible.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.constantFrom("", "{", "null", "[]", '{"assets":null}', '{"users":{}}', '{"assets":[null]}'),
);

function expectAppleShaped(reply: { status: number; body: Json }, what: string): void {
  expect(reply.status, what).not.toBe(500);
  if (reply.status !== 200) {
    expect(reply.body.errorNumber, what).toEqual(expect.any(Number));
    expect(reply.body.errorMessage, what).toEqual(expect.any(String));
    expect(
      Object.keys(reply.body).every((k) => ["errorNumber", "errorMessage", "errorInfo"].includes(k)),
      what,
    ).toBe(true);
  }
}

describe("fuzz", () => {
  it("POST bodies of any shape get an Apple-shaped answer", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...POSTS),
        bodies,
        fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8"),
        async (path, body, contentType) => {
          const reply = await s.call(path, { body, headers: { "content-type": contentType } });
          expectAppleShaped(reply, `${path} ${contentType} ${body}`);
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });

  it("query strings of any shape get an Apple-shaped answer", async () => {
    const query = fc.array(
      fc.tuple(
        fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.string({ maxLength: 5 })),
        fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.constantFrom("0", "1", "-1", "true", "false", "99999999999", "%zz"),
        ),
      ),
      { maxLength: 5 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...GETS), query, async (path, pairs) => {
        const qs = pairs
          .map(([k, v]) => `${encodeURIComponent(k)}=${v === "%zz" ? v : encodeURIComponent(v)}`)
          .join("&");
        const reply = await s.call(`${path}?${qs}`);
        expectAppleShaped(reply, `${path}?${qs}`);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("concurrent associate/disassociate batches keep assigned + available = total", async () => {
    const batch = fc.array(
      fc.record({
        associate: fc.boolean(),
        adamId: fc.constantFrom("900000000", "900000001"),
        serials: fc.uniqueArray(fc.constantFrom("c1", "c2", "c3", "c4", "c5", "c6", "c7"), { maxLength: 7 }),
      }),
      { minLength: 1, maxLength: 12 },
    );
    await fc.assert(
      fc.asyncProperty(batch, async (calls) => {
        const replies = await Promise.all(
          calls.map((c) =>
            s.call(c.associate ? "/assets/associate" : "/assets/disassociate", {
              body: { assets: [{ adamId: c.adamId }], serialNumbers: c.serials },
            }),
          ),
        );
        for (const reply of replies) expectAppleShaped(reply, "concurrent");
        await s.sim.operator.idle();
        for (const asset of s.sim.operator.snapshot(s.uId).assets) {
          expect(asset.assignedCount + asset.availableCount).toBe(asset.totalCount);
          expect(asset.availableCount).toBeGreaterThanOrEqual(0);
          expect(asset.assignedCount).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 40, seed: 13 },
    );
  });

  it("after any sequence of calls, assigned + available = total and nothing is negative", async () => {
    await s.sim.operator.idle();
    const snapshot = s.sim.operator.snapshot(s.uId);
    const rows = [...s.sim.operator.assignments(s.uId)];
    for (const asset of snapshot.assets) {
      expect(asset.assignedCount + asset.availableCount).toBe(asset.totalCount);
      expect(asset.assignedCount).toBeGreaterThanOrEqual(0);
      expect(asset.availableCount).toBeGreaterThanOrEqual(0);
      expect(
        rows.filter((r) => r.adamId === asset.adamId && r.pricingParam === asset.pricingParam),
      ).toHaveLength(asset.assignedCount);
    }
    expect(new Set(rows.map((r) => `${r.adamId}|${r.serialNumber ?? ""}|${r.clientUserId ?? ""}`)).size).toBe(
      rows.length,
    );
  });
});
