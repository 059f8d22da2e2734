import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { bundleCli } from "../../scripts/cli-bundle.mjs";

/**
 * The CLI built once per test worker into `.test-cli-<pid>/cli/` (entry `main.js`)
 * (scripts/cli-bundle.mjs), from this run's sources, so never a stale dist/; removed when
 * the worker ends. The CLI suites spawn hundreds of commands: through tsx each compiled the
 * sources again (2.5 s of CPU); compiled file by file, loading some 350 modules of ours and
 * the packages' own files still took 1.5 s. Bundled, a command starts in about 0.45 s.
 */
const ROOT = join(import.meta.dirname, "..", "..");
let built: Promise<string> | undefined;

export function compiledCli(): Promise<string> {
  built ??= bundle();
  return built;
}

async function bundle(): Promise<string> {
  const out = join(ROOT, `.test-cli-${process.pid}`);
  process.once("exit", () => rmSync(out, { recursive: true, force: true }));
  const entry = await bundleCli(ROOT, join(out, "cli"));
  if (!existsSync(entry)) throw new Error(`esbuild wrote no ${entry}`);
  return entry;
}
