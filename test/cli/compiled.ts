import { execFile } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * The CLI compiled once per test worker, as `npm run build` compiles it, into a folder of its
 * own beside src/ (the paths the CLI resolves from itself, package.json and web/dist, hold at
 * that depth). A spawned command then starts in about a second: through tsx, every command
 * compiled the sources again, some 2.5 s of CPU each, and the CLI suites spawn hundreds.
 * Built from this run's sources, so never a stale dist/; removed when the worker ends.
 */
const ROOT = join(import.meta.dirname, "..", "..");
let built: Promise<string> | undefined;

export function compiledCli(): Promise<string> {
  built ??= compile();
  return built;
}

async function compile(): Promise<string> {
  const out = join(ROOT, `.test-cli-${process.pid}`);
  process.once("exit", () => rmSync(out, { recursive: true, force: true }));
  const entry = join(out, "cli", "main.js");
  await promisify(execFile)(process.execPath, [
    join(ROOT, "node_modules", "typescript", "bin", "tsc"),
    "-p",
    join(ROOT, "tsconfig.build.json"),
    "--outDir",
    out,
    "--sourceMap",
    "false",
  ]).catch((error: unknown) => {
    // A type error still emits JavaScript; `npm run typecheck` is where it is reported.
    if (!existsSync(entry)) throw error;
  });
  return entry;
}
