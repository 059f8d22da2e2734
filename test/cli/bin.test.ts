import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync } from "node:fs";
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
  it("bundles the sources on first use, reuses the bundle, bundles again once a source is newer, and removes old bundles", async () => {
    const clone = freshClone();
    const orchard = (...args: string[]) =>
      run(process.execPath, [join(clone, "bin", "orchard.js"), ...args], { env: { PATH: process.env.PATH } });
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const home = join(clone, ".orchard-cli");
    const build = () => readFileSync(join(home, "current"), "utf8");

    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    const first = build();
    expect(existsSync(join(home, first, "main.js"))).toBe(true);
    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    expect(build()).toBe(first);

    // A source newer than the build: built again; the build before kept a while, for a
    // command that started from it a moment ago and has chunks still to load.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(clone, "src", "cli", "main.ts"), later, later);
    expect((await orchard("--version")).stdout).toBe(`${version}\n`);
    const second = build();
    expect(second).not.toBe(first);
    expect(readdirSync(home).sort()).toEqual([first, second, "current"].sort());
    // Once older than a minute and not the one before the current, a build is removed.
    const old = new Date(Date.now() - 120_000);
    utimesSync(join(home, first), old, old);
    const evenLater = new Date(Date.now() + 120_000);
    utimesSync(join(clone, "src", "cli", "main.ts"), evenLater, evenLater);
    expect((await orchard("licenses", "--help")).stdout).toMatch(/^Usage: orchard licenses/);
    expect(readdirSync(home).sort()).toEqual([second, build(), "current"].sort());
  });
});
