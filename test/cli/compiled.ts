import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

/**
 * The CLI built once per test worker into one file, `.test-cli-<pid>/cli/main.js`: at the
 * depth of src/cli/main.ts, so the paths the CLI resolves from itself (package.json,
 * web/dist) hold. Built from this run's sources, so never a stale dist/; removed when the
 * worker ends.
 *
 * Why one file: the CLI suites spawn hundreds of commands. Through tsx each compiled the
 * sources again (2.5 s of CPU); compiled file by file, loading some 350 modules of ours and
 * the packages' own files still took 1.5 s. Bundled, a command starts in about 0.6 s.
 * Left out of the bundle, loaded from node_modules as in production: what finds files
 * beside itself at run time (PGlite's WebAssembly, argon2's native addon, pino's transport
 * worker, the swagger UI's assets).
 */
const ROOT = join(import.meta.dirname, "..", "..");
const UNBUNDLED = [
  "@electric-sql/pglite",
  "@node-rs/argon2",
  "pino",
  "pg-native",
  "@fastify/swagger",
  "@fastify/swagger-ui",
];
let built: Promise<string> | undefined;

export function compiledCli(): Promise<string> {
  built ??= bundle();
  return built;
}

async function bundle(): Promise<string> {
  const out = join(ROOT, `.test-cli-${process.pid}`);
  process.once("exit", () => rmSync(out, { recursive: true, force: true }));
  const entry = join(out, "cli", "main.js");
  await build({
    entryPoints: [join(ROOT, "src", "cli", "main.ts")],
    outfile: entry,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    external: UNBUNDLED,
    // The bundled CommonJS packages call require(): give the ES module one.
    banner: {
      js: "import { createRequire as __orchardRequire } from 'node:module'; const require = __orchardRequire(import.meta.url);",
    },
    logLevel: "error",
  });
  if (!existsSync(entry)) throw new Error(`esbuild wrote no ${entry}`);
  return entry;
}
