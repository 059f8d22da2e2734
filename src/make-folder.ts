import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p`, one level at a time. Node 20's own recursive mkdir never returns for a folder
 * a pseudo file system refuses with ENOENT under a parent that exists (/proc/x): this one
 * throws that error, for the caller to word.
 */
export function makeFolder(path: string): void {
  try {
    mkdirSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && isFolder(path)) return;
    const parent = dirname(path);
    // ENOENT under a parent that is there is a refusal, not a missing parent.
    if (code !== "ENOENT" || parent === path || isFolder(parent)) throw error;
    makeFolder(parent);
    makeFolder(path); // another process may have made it meanwhile
  }
}

const isFolder = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
