import { describe, expect, it } from "vitest";
import { isLow, lowAccounts } from "../../web/src/dashboard/low-apps.js";

/** The dashboard's "Apps running low": what counts as low, and at which account. */
describe("apps running low (dashboard)", () => {
  it("NT1, DI6: seats held for reservations count as taken: 1 free of 20 is low though only 17 are used", () => {
    expect(isLow({ total: 20, available: 1 })).toBe(true);
    expect(isLow({ total: 20, available: 2 })).toBe(true);
    expect(isLow({ total: 20, available: 3 })).toBe(false);
    expect(isLow({ total: 5, available: 0 })).toBe(true);
    expect(isLow({ total: 0, available: 0 })).toBe(false);
  });

  it("NT1: an app low at one account is named with that account's own count", () => {
    const low = lowAccounts([
      {
        name: "Main Campus",
        assets: [
          { adamId: "1", total: 60, available: 5 },
          { adamId: "2", total: 10, available: 9 },
        ],
      },
      { name: "North Campus", assets: [{ adamId: "1", total: 10, available: 10 }] },
    ]);
    expect([...low.entries()]).toEqual([["1", [{ account: "Main Campus", available: 5, total: 60 }]]]);
  });
});
