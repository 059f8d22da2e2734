import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Builds the console once for every console suite; removes CLI bundles left behind.
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 120_000, // a hang is caught all the same; CLI tests spawn processes, slow on a loaded 2-core machine
    hookTimeout: 120_000,
    // Store suites start PGlite (seconds each) and PostgreSQL suites share one server:
    // two workers match the 2-core machines this runs on.
    maxWorkers: 2,
    // A worker runs its files one after another in one process and loads the sources once:
    // loading them again for each of 180 files cost a fifth of the run. Each file still
    // opens its own database, simulator and servers and closes them (nothing here is kept
    // in module state between files but caches keyed by ids no other file has).
    isolate: false,
  },
});
