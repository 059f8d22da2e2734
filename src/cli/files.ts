import { readFile } from "node:fs/promises";
import { CliError } from "./errors.js";

const WHY: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a folder",
  ENOTDIR: "a part of the path is not a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "the file system is read-only",
  ENOSPC: "no space left on the disk",
  EEXIST: "a file is there already",
};

/** Why the file system refused a path, in words (its code when it has none for it). */
export function fileProblem(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? (WHY[code] ?? code) : "unreadable";
}

/**
 * A file the user named, as text; a missing or unreadable one is bad input (exit 2), in one
 * line. Decoded strictly: a file in another encoding (Latin-1 from a spreadsheet, a binary)
 * is refused rather than read with U+FFFD where its accents were; a BOM is dropped.
 */
export async function readUserFile(path: string, what: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CliError(`cannot read the ${what} ${path}: ${fileProblem(error)}`, 2);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new CliError(
      `the ${what} ${path} is not UTF-8 text: save it as UTF-8 (a spreadsheet's "CSV UTF-8")`,
      2,
    );
  }
}
