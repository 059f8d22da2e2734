import { describe, expect, it } from "vitest";
import { documentedLimits, planManageAssets } from "../../src/apple/index.js";
import type { OutboxRecord } from "../../src/store/index.js";
import { planGroups, rowsCovered } from "../../src/sync/plan.js";

let seq = 0;
function row(
  kind: OutboxRecord["kind"],
  adamId: string,
  subject: { serialNumber?: string; clientUserId?: string },
): OutboxRecord {
  seq += 1;
  const now = new Date();
  return {
    seq,
    spaceId: "s",
    accountId: "a",
    kind,
    adamId,
    pricingParam: "STDQ",
    ...subject,
    state: "pending",
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

describe("grouping the outbox into Apple calls", () => {
  it("apps wanted by exactly the same subjects share calls: 30 apps for 2 users are 2 calls of at most 25 apps", () => {
    const rows = Array.from({ length: 30 }, (_, i) => String(1000 + i)).flatMap((adamId) => [
      row("associate", adamId, { clientUserId: "u1" }),
      row("associate", adamId, { clientUserId: "u2" }),
    ]);
    const groups = planGroups(rows);
    expect(groups).toHaveLength(1);
    const calls = planManageAssets(groups[0] ?? { assets: [] }, documentedLimits);
    expect(calls.map((c) => c.assets.length)).toEqual([25, 5]);
    // Every row is covered by exactly one call.
    const covered = calls.flatMap((c) =>
      rowsCovered(
        groups[0] ?? { kind: "associate", assets: [], serialNumbers: [], clientUserIds: [], rows: [] },
        c,
      ),
    );
    expect(covered.map((r) => r.seq).sort((a, b) => a - b)).toEqual(rows.map((r) => r.seq));
  });

  it("one app for 2,500 devices is one group, 3 calls of at most 1,000 serials; different subjects, different groups", () => {
    const many = Array.from({ length: 2500 }, (_, i) => row("associate", "42", { serialNumber: `S${i}` }));
    const other = row("associate", "43", { serialNumber: "S0" });
    const release = row("disassociate", "42", { serialNumber: "S9" });
    const groups = planGroups([...many, other, release]);
    expect(groups.map((g) => [g.kind, g.assets.map((a) => a.adamId), g.rows.length])).toEqual([
      ["associate", ["42"], 2500],
      ["associate", ["43"], 1],
      ["disassociate", ["42"], 1],
    ]);
    expect(
      planManageAssets(groups[0] ?? { assets: [] }, documentedLimits).map((c) => c.serialNumbers.length),
    ).toEqual([1000, 1000, 500]);
  });

  it("revokes go by subject alone", () => {
    const groups = planGroups([
      row("revoke", "", { serialNumber: "A" }),
      row("revoke", "", { clientUserId: "u" }),
    ]);
    expect(groups).toMatchObject([{ kind: "revoke", serialNumbers: ["A"], clientUserIds: ["u"] }]);
  });
});
