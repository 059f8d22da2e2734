import { describe, expect, it } from "vitest";
import { ReleasePlan } from "../../src/sync/account-release.js";
import { fakeClient } from "../apple/fake.js";

describe("AC1 clear all previous license data: the release plan", () => {
  it("AC1: groups the token's assignments by app and pricing, as Apple's release calls take them; an assignment that names no one is not counted", async () => {
    const plan = new ReleasePlan();
    plan.add({ adamId: "1", pricingParam: "STDQ", serialNumber: "S1" });
    plan.add({ adamId: "1", pricingParam: "STDQ", clientUserId: "u1" });
    plan.add({ adamId: "1", pricingParam: "PLUS", serialNumber: "S2" });
    plan.add({ adamId: "2", pricingParam: "STDQ", serialNumber: "S3" });
    plan.add({ adamId: "2", pricingParam: "STDQ" });
    expect(plan.size).toBe(4);
    const { client, http } = fakeClient();
    expect(await plan.release(client)).toBe(3);
    expect(http.calls("/assets/disassociate").map((r) => r.body)).toEqual([
      { assets: [{ adamId: "1", pricingParam: "STDQ" }], serialNumbers: ["S1"], clientUserIds: ["u1"] },
      { assets: [{ adamId: "1", pricingParam: "PLUS" }], serialNumbers: ["S2"] },
      { assets: [{ adamId: "2", pricingParam: "STDQ" }], serialNumbers: ["S3"] },
    ]);
  });
});
