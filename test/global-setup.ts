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
  await build({ configFile: join(ROOT, "web", "vite.config.ts"), logLevel: "warn" });
}

/**
 * After the run: the CLI bundles of workers Vitest ended before their exit handler ran
 * (test/cli/compiled.ts removes its own when it can).
 */
export function teardown(): void {
  for (const entry of readdirSync(ROOT))
    if (entry.startsWith(".test-cli-")) rmSync(join(ROOT, entry), { recursive: true, force: true });
}
