import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { makeFolder } from "../src/make-folder.js";

describe("makeFolder (mkdir -p)", () => {
  it("makes every missing level, and takes a folder that is there already", () => {
    const root = mkdtempSync(join(tmpdir(), "orchard-folder-"));
    const deep = join(root, "a", "b", "c");
    makeFolder(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    makeFolder(deep);
    makeFolder(root);
  });

  it("refuses a file in the way, and a folder the file system refuses (/proc), instead of hanging", () => {
    const root = mkdtempSync(join(tmpdir(), "orchard-folder-"));
    writeFileSync(join(root, "file"), "");
    expect(() => makeFolder(join(root, "file"))).toThrow(expect.objectContaining({ code: "EEXIST" }));
    expect(() => makeFolder(join(root, "file", "sub"))).toThrow(expect.objectContaining({ code: "ENOTDIR" }));
    expect(() => makeFolder("/proc/orchard-x/y")).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });
});
