import { randomBytes } from "node:crypto";
import { chmod, type FileHandle, open, realpath, rename, stat, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";

/**
 * A file an export writes. A regular file (or a new one) is written beside it under a
 * hidden temporary name and renamed over it only once complete, so an export that fails
 * half-way (the database gone, the disk full) leaves the previous file as it was, never a
 * truncated one. The new file keeps the old one's permissions, and a symbolic link is
 * followed (its target is replaced, not the link). What is not a regular file (a named pipe,
 * /dev/stdout) is written in place, as is a file in a folder this user cannot create files in.
 */
export interface OutputFile {
  /** Writes the whole of `source`, then puts the file in place; on an error, the previous file stays. */
  write(source: NodeJS.ReadableStream): Promise<void>;
}

export async function openOutputFile(path: string): Promise<OutputFile> {
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (existing && !existing.isFile()) return inPlace(await open(path, "w"));
  const target = existing ? await realpath(path) : path;
  const temporary = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(temporary, "wx", existing ? existing.mode & 0o7777 : 0o666);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // The folder refuses a new name (no rights, read-only, or no files made there: /proc), but the
    // file itself may take writes; if it does not either, its own refusal is the one to say.
    if (existing && ["EACCES", "EPERM", "EROFS", "ENOENT"].includes(code ?? ""))
      return inPlace(await open(path, "w"));
    throw error;
  }
  return {
    write: async (source) => {
      try {
        await pipeline(source, handle.createWriteStream());
        // open's mode passed through the umask: the old file's bits exactly.
        if (existing) await chmod(temporary, existing.mode & 0o7777);
        await rename(temporary, target);
      } catch (error) {
        await handle.close().catch(() => {});
        await unlink(temporary).catch(() => {});
        throw error;
      }
    },
  };
}

function inPlace(handle: FileHandle): OutputFile {
  return {
    write: async (source) => {
      try {
        await pipeline(source, handle.createWriteStream());
      } finally {
        await handle.close().catch(() => {});
      }
    },
  };
}
