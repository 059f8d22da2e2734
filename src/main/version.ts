import { readFileSync } from "node:fs";

/**
 * Orchard's version, from its package.json (the CLI's --version, the webhooks' User-Agent).
 * Two folders below the project's root, as src/main/ is, dist/main/ and the CLI's bundle
 * (scripts/cli-bundle.mjs): the same relative path finds it from each.
 */
export const ORCHARD_VERSION = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;
