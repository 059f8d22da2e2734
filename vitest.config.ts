import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000, // a hang is caught all the same; CLI tests spawn processes, slow on a loaded 2-core machine
    hookTimeout: 120_000,
    // Store suites start PGlite (seconds each) and PostgreSQL suites share one server:
    // two workers match the 2-core machines this runs on.
    maxWorkers: 2,
  },
});
