// The `orchard` command bundled with esbuild: what bin/orchard.js runs from a clone without
// dist/ (a command starts in about 0.5 s, against 2 s through tsx, which compiles some 350
// modules on each start) and what the CLI test suites spawn. Split into chunks: what only
// some commands load (the HTTP server, the simulator, nodemailer) is not parsed by the others.
import { build } from "esbuild";

/**
 * Left out of the bundle, loaded from node_modules as in production: what finds files
 * beside itself at run time (PGlite's WebAssembly, argon2's native addon, pino's transport
 * worker, the swagger UI's assets).
 */
const UNBUNDLED = [
  "@electric-sql/pglite",
  "@node-rs/argon2",
  "pino",
  "pg-native",
  "@fastify/swagger",
  "@fastify/swagger-ui",
];

/**
 * Bundles src/cli/main.ts into the folder `outdir` (its entry: `outdir/main.js`, beside its
 * chunks), which must sit two folders below the project's root (`<root>/<folder>/<build>`, as
 * src/cli/ does): the CLI finds package.json, web/dist and the console's words relative to
 * itself. Returns the entry's path.
 */
export async function bundleCli(root, outdir) {
  await build({
    entryPoints: { main: `${root}/src/cli/main.ts` },
    outdir,
    splitting: true,
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
  return `${outdir}/main.js`;
}
