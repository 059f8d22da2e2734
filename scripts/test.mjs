// Runs the whole suite with Vitest and ends with the plain line CI reads:
// "N passed, N failed". Exits non-zero on any failure (or when no test ran).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "orchard-test-"));
// ORCHARD_TEST_REPORT keeps Vitest's JSON report (per-file durations, to see where CI time goes).
const report = process.env.ORCHARD_TEST_REPORT || join(dir, "report.json");
const run = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit" },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, "utf8"));
  passed = result.numPassedTests;
  // A file that fails to load, or an error outside any test, fails its suite without failing
  // a test: count such suites so the closing line never says "0 failed" for a failed run.
  const brokenSuites = (result.testResults ?? []).filter(
    (suite) =>
      suite.status === "failed" && (suite.assertionResults ?? []).every((t) => t.status !== "failed"),
  ).length;
  failed = result.numFailedTests + brokenSuites;
  if (result.success === false && failed === 0) failed = 1;
  skipped = result.numPendingTests + (result.numTodoTests ?? 0);
} catch {
  failed = Math.max(failed, 1); // no report: the run itself broke
}
rmSync(dir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(run.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
