import type { ServiceDeps } from "../service/deps.js";
import type { RunningSimulator } from "../simulator/index.js";

/**
 * The demo's data (issue 5, item 4): accounts from the built-in simulator in priority
 * order, users, devices, apps with FCFS / Reserved / Prohibited rules, usage near the
 * thresholds, a token close to expiry. Called by `npm start` on every start, after the
 * default space and the demo administrator exist: it must be idempotent (starting
 * twice keeps the data). Intentionally empty until the demo-data work lands.
 */
export interface DemoContext {
  deps: ServiceDeps;
  /** The default space's id. */
  spaceId: string;
  /** The in-process simulator, when Orchard runs without APPLE_BASE_URL. */
  simulator?: RunningSimulator;
  print: (line: string) => void;
}

export async function seedDemo(_ctx: DemoContext): Promise<void> {
  // Filled by the demo-data engineer.
}
