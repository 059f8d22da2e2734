import { describe, expect, it } from "vitest";
import { usageAlerts } from "../../src/licensing/index.js";

const levels = (r: { raise: { percent: number }[] }) => r.raise.map((t) => t.percent);

describe("license usage notifications (NT1)", () => {
  it("NT1: raises 50 % Info, 70 and 80 % Warning, 90 and 100 % Alert as usage reaches each", () => {
    expect(levels(usageAlerts({ assigned: 49, total: 100, raised: [] }))).toEqual([]);
    expect(usageAlerts({ assigned: 50, total: 100, raised: [] }).raise).toEqual([
      { percent: 50, severity: "info" },
    ]);
    expect(usageAlerts({ assigned: 70, total: 100, raised: [50] }).raise).toEqual([
      { percent: 70, severity: "warning" },
    ]);
    expect(usageAlerts({ assigned: 80, total: 100, raised: [50, 70] }).raise).toEqual([
      { percent: 80, severity: "warning" },
    ]);
    expect(usageAlerts({ assigned: 90, total: 100, raised: [50, 70, 80] }).raise).toEqual([
      { percent: 90, severity: "alert" },
    ]);
    expect(usageAlerts({ assigned: 100, total: 100, raised: [50, 70, 80, 90] }).raise).toEqual([
      { percent: 100, severity: "alert" },
    ]);
  });

  it("NT1: a jump raises every level crossed at once", () => {
    expect(levels(usageAlerts({ assigned: 9, total: 10, raised: [] }))).toEqual([50, 70, 80, 90]);
  });

  it("NT1: each level is raised once: going down and up again above 50 % raises nothing new", () => {
    expect(levels(usageAlerts({ assigned: 95, total: 100, raised: [50, 70, 80, 90] }))).toEqual([]);
    expect(levels(usageAlerts({ assigned: 60, total: 100, raised: [50, 70, 80, 90] }))).toEqual([]);
    expect(levels(usageAlerts({ assigned: 91, total: 100, raised: [50, 70, 80, 90] }))).toEqual([]);
  });

  it("NT1: below 50 % every raised level is cleared, and only then re-armed", () => {
    expect(usageAlerts({ assigned: 49, total: 100, raised: [50, 70] })).toEqual({ raise: [], clear: true });
    expect(usageAlerts({ assigned: 49, total: 100, raised: [] })).toEqual({ raise: [], clear: false });
    expect(levels(usageAlerts({ assigned: 50, total: 100, raised: [] }))).toEqual([50]);
  });

  it("NT1: usage is assigned / total; licenses in use with none bought counts as full", () => {
    expect(levels(usageAlerts({ assigned: 1, total: 0, raised: [] }))).toEqual([50, 70, 80, 90, 100]);
    expect(levels(usageAlerts({ assigned: 0, total: 0, raised: [] }))).toEqual([]);
  });

  it("refuses negative counts with a typed error", () => {
    expect(() => usageAlerts({ assigned: -1, total: 10, raised: [] })).toThrowError(
      expect.objectContaining({ code: "invalid_threshold_input" }),
    );
  });
});
