import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, statSync, symlinkSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const run = promisify(execFile);

/** A clone without dist/: its own bin, scripts and sources; the packages and the console shared. */
function freshClone(): string {
  const clone = mkdtempSync(join(tmpdir(), "orchard-clone-"));
  for (const path of ["bin", "scripts", "src", "package.json", "package-lock.json"])
    cpSync(join(ROOT, path), join(clone, path), { recursive: true });
  for (const path of ["node_modules", "web"]) symlinkSync(join(ROOT, path), join(clone, path));
  return clone;
}

describe("bin/orchard.js in a clone without dist/", () => {
  it("bundles the sources on first use, reuses the bundle, and bundles again once a source is newer", async () => {
    const clone = freshClone();
    const orchard = (...args: string[]) =>
      run(process.execPath, [join(clone, "bin", "orchard.js"), ...args], { env: { PATH: process.env.PATH } });
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const bundle = join(clone, ".orchard-cli", "cli", "main.js");

    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    const first = statSync(bundle).mtimeMs;
    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    expect(statSync(bundle).mtimeMs).toBe(first);

    const later = new Date(Date.now() + 60_000);
    utimesSync(join(clone, "src", "cli", "main.ts"), later, later);
    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    expect(statSync(bundle).mtimeMs).toBeGreaterThan(first);
  });
});
