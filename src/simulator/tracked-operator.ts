/**
 * The operator with a callback after every call that changes saved state, so that a
 * simulator with a state file saves after in-process and HTTP operator calls alike.
 * Faults are run-time controls, not state: setting them saves nothing.
 */
import type { SimulatorOperator } from "./operator.js";

const CHANGING = [
  "createLocation",
  "addAsset",
  "buy",
  "refund",
  "revokeToken",
  "expireToken",
  "renewToken",
  "acceptInvitation",
  "acceptInvitationCode",
  "claimByOtherMdm",
  "seed",
  "setLimits",
  "publishVersion",
] as const satisfies ReadonlyArray<keyof SimulatorOperator>;

export function trackChanges(operator: SimulatorOperator, changed: () => void): SimulatorOperator {
  const tracked: SimulatorOperator = { ...operator };
  const slots = tracked as unknown as Record<string, unknown>;
  for (const name of CHANGING) {
    const original = operator[name] as (...args: unknown[]) => unknown;
    slots[name] = (...args: unknown[]): unknown => {
      try {
        return original.apply(operator, args);
      } finally {
        changed(); // also after a throw: a call may fail after changing something
      }
    };
  }
  return tracked;
}
