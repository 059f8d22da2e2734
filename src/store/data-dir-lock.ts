import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

/**
 * Embedded PGlite is one process's database: a second process opening the same folder
 * (`orchard token …` while `orchard serve` runs) reads a copy, and its writes are lost
 * when the first one checkpoints. The folder's lock file holds the pid of the process
 * using it; another process is refused while that pid lives (a stale file, left by a
 * killed process, is taken over). Opening it again in the same process is counted.
 */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly lockFile: string,
  ) {
    super(
      `the data folder ${dataDir} is in use by process ${pid}: embedded PGlite serves one process at a time; ` +
        `stop it first, or use PostgreSQL (DATABASE_URL) to run serve, worker and the CLI side by side ` +
        `(if no Orchard runs, delete ${lockFile})`,
    );
  }
}

const held = new Map<string, number>();

/** Takes the folder's lock (or counts one more use in this process); returns its release. */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, "pglite.lock");
  const uses = held.get(file) ?? 0;
  if (uses === 0) acquire(dataDir, file);
  held.set(file, uses + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const left = (held.get(file) ?? 1) - 1;
    if (left > 0) return void held.set(file, left);
    held.delete(file);
    if (ownerOf(file) === process.pid) unlinkQuietly(file);
  };
}

function acquire(dataDir: string, file: string): void {
  mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const pid = ownerOf(file);
    if (pid !== undefined && pid !== process.pid && alive(pid))
      throw new DataDirInUseError(dataDir, pid, file);
    // Left by a process that is gone (or by this one, before a crash of its own): stale.
    unlinkQuietly(file);
  }
  throw new DataDirInUseError(dataDir, ownerOf(file) ?? 0, file);
}

function ownerOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
