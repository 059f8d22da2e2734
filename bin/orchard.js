#!/usr/bin/env node
// The `orchard` command. Runs the compiled CLI (npm run build) when present, else the
// TypeScript sources through tsx, so a fresh clone works after `npm ci` alone.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "cli", "main.js");
if (existsSync(built) && process.env.ORCHARD_FROM_SOURCE !== "1") {
  await import(pathToFileURL(built).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
}
