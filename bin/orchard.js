#!/usr/bin/env node
// The `orchard` command. Runs the compiled CLI (npm run build) when present. Else, in a
// clone after `npm ci` alone, the sources bundled (.orchard-cli/, rebuilt when a source is
// newer): a command starts in about 0.5 s, against 2 s through tsx. Without esbuild, or if
// the bundle cannot be written, the sources through tsx.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const built = join(root, "dist", "cli", "main.js");
if (existsSync(built) && process.env.ORCHARD_FROM_SOURCE !== "1") {
  await import(pathToFileURL(built).href);
} else {
  const bundle = await bundledSources().catch(() => undefined);
  if (bundle) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { register } = await import("tsx/esm/api");
    register();
    await import(pathToFileURL(join(root, "src", "cli", "main.ts")).href);
  }
}

/**
 * The sources' bundle, built now when it is missing or older than a source. Each build has
 * its own folder (its chunks load as commands need them) and `.orchard-cli/current` names the
 * one to run, replaced in one step: a command starting meanwhile runs the old build or the
 * new one, whole.
 */
async function bundledSources() {
  const home = join(root, ".orchard-cli");
  const pointer = join(home, "current");
  const current = existsSync(pointer) ? readFileSync(pointer, "utf8").trim() : "";
  const entry = join(home, current, "main.js");
  const builtAt = current && existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const inputs = [join(root, "package-lock.json"), join(root, "src")];
  if (builtAt > 0 && inputs.every((path) => newestIn(path) < builtAt)) return entry;
  const { bundleCli } = await import("../scripts/cli-bundle.mjs");
  const name = `build-${Date.now()}-${process.pid}`;
  try {
    const fresh = await bundleCli(root, join(home, name));
    const next = join(home, `current-${process.pid}`);
    writeFileSync(next, name);
    renameSync(next, pointer);
    removeOldBuilds(home, [name, current]);
    return fresh;
  } catch (error) {
    rmSync(join(home, name), { recursive: true, force: true });
    throw error;
  }
}

/**
 * Every build but the new one and the one before it (a command started a moment ago may
 * still load its chunks), once a minute old: another command may be building one now.
 */
function removeOldBuilds(home, keep) {
  for (const entry of readdirSync(home)) {
    if (entry === "current" || keep.includes(entry)) continue;
    const path = join(home, entry);
    const age = Date.now() - (statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > 60_000) rmSync(path, { recursive: true, force: true });
  }
}

function newestIn(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a source removed changes its folder
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestIn(join(path, entry)));
  return newest;
}
