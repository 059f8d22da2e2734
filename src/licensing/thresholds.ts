import { LicensingError } from "./errors.js";

export type Severity = "info" | "warning" | "alert";

/** NT1: the usage levels of one (account, app) and how loud each is. */
export const USAGE_THRESHOLDS: readonly { percent: number; severity: Severity }[] = [
  { percent: 50, severity: "info" },
  { percent: 70, severity: "warning" },
  { percent: 80, severity: "warning" },
  { percent: 90, severity: "alert" },
  { percent: 100, severity: "alert" },
];

export interface UsageAlerts {
  raise: { percent: number; severity: Severity }[];
  /** Usage fell below 50 %: clear every raised level, and re-arm them. */
  clear: boolean;
}

/**
 * NT1: given an asset's usage now and the levels already raised (and not cleared),
 * which notifications to raise and whether to clear them all. Each level is raised
 * once when usage reaches it (>=) and not again until usage has fallen below 50 %.
 */
export function usageAlerts(input: {
  assigned: number;
  total: number;
  raised: readonly number[];
}): UsageAlerts {
  const { assigned, total } = input;
  if (!Number.isInteger(assigned) || !Number.isInteger(total) || assigned < 0 || total < 0) {
    throw new LicensingError("invalid_threshold_input", "assigned and total must be whole numbers >= 0", {
      assigned,
      total,
    });
  }
  const percent = usagePercent(assigned, total);
  const raised = new Set(input.raised);
  if (percent < 50) return { raise: [], clear: raised.size > 0 };
  return {
    raise: USAGE_THRESHOLDS.filter((t) => percent >= t.percent && !raised.has(t.percent)),
    clear: false,
  };
}

/** assigned / total in percent; an asset with no license and some in use counts as full. */
export function usagePercent(assigned: number, total: number): number {
  if (total === 0) return assigned > 0 ? 100 : 0;
  return (assigned / total) * 100;
}
