import { readFile } from "node:fs/promises";
import { CliError } from "./errors.js";

const WHY: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "it is a folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
};

/** A file the user named, as text; a missing or unreadable one is bad input (exit 2), in one line. */
export async function readUserFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why = typeof code === "string" ? (WHY[code] ?? code) : "unreadable";
    throw new CliError(`cannot read the ${what} ${path}: ${why}`, 2);
  }
}
