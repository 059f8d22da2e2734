import { readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "vite";

const ROOT = resolve(import.meta.dirname, "..");

/**
 * Once per run, before any test file: the console built into web/dist, which every console
 * suite's server serves (test/web/harness.ts, isolated-console.ts). Built by each suite, it
 * cost some 40 files × 2 s, and two workers emptying web/dist at once raced each other.
 */
export async function setup(): Promise<void> {
  // Vitest sets NODE_ENV=test, which Vite would follow into React's development build (twice
  // the code to load and slower to run): the suites test the console `npm start` serves.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ configFile: join(ROOT, "web", "vite.config.ts"), logLevel: "warn", mode: "production" });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

/**
 * After the run: the CLI bundles of workers Vitest ended before their exit handler ran
 * (test/cli/compiled.ts removes its own when it can).
 */
export function teardown(): void {
  for (const entry of readdirSync(ROOT))
    if (entry.startsWith(".test-cli-")) rmSync(join(ROOT, entry), { recursive: true, force: true });
}
