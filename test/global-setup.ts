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
 * (test/cli/compiled.ts removes its own when it can). Only those of processes that ended: a
 * bundle of a worker still running is another run's in this checkout, in use.
 */
export function teardown(): void {
  for (const entry of readdirSync(ROOT)) {
    const pid = /^\.test-cli-(\d+)$/.exec(entry)?.[1];
    if (pid !== undefined && !running(Number(pid)))
      rmSync(join(ROOT, entry), { recursive: true, force: true });
  }
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
