import { createHash } from "node:crypto";
import { closeSync, openSync, realpathSync, statSync, unlinkSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeFolder } from "../make-folder.js";

/**
 * Embedded PGlite is one process's database: a second process opening the same folder
 * (`orchard token …` while `orchard serve` runs) reads a copy, and its writes are lost
 * when the first one checkpoints.
 *
 * The lock is a listening socket named after the folder's real path: the kernel gives
 * the name to one process and takes it back when that process ends, however it ends,
 * so there is no stale lock to judge, no pid to reuse, and no window between taking the
 * lock and saying who holds it (a pid file had all three). On Linux the name is in the
 * abstract namespace (no file); elsewhere it is a socket file in the temporary folder,
 * removed when no one answers on it. The holder answers its pid, for the refusal.
 * Its reach is one machine's network namespace: two containers sharing a volume do not
 * see each other's lock (nor did they each other's pids); PostgreSQL is for that.
 * Opening the folder again in the same process is counted.
 */
export class DataDirInUseError extends Error {
  override readonly name = "DataDirInUseError";
  constructor(
    readonly dataDir: string,
    readonly pid: number | undefined,
  ) {
    super(
      `the data folder ${dataDir} is in use by ${pid ? `process ${pid}` : "another process"}: ` +
        `embedded PGlite serves one process at a time; stop it first, or use PostgreSQL ` +
        `(DATABASE_URL) to run serve, worker and the CLI side by side`,
    );
  }
}

interface Hold {
  uses: number;
  server: Promise<Server>;
}

const holds = new Map<string, Hold>();

/** Takes the folder's lock (or counts one more use in this process); resolves to its release. */
export async function lockDataDir(
  dataDir: string,
  address: (dir: string) => string = socketAddress,
): Promise<() => Promise<void>> {
  makeFolder(dataDir);
  const dir = realpathSync(dataDir);
  let hold = holds.get(dir);
  if (!hold) {
    const server = listen(dir, address(dir));
    const created: Hold = { uses: 0, server };
    server.catch(() => holds.get(dir) === created && holds.delete(dir));
    holds.set(dir, created);
    hold = created;
  }
  hold.uses++;
  const held = hold;
  try {
    await held.server;
  } catch (error) {
    held.uses--;
    throw error;
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (--held.uses > 0) return;
    if (holds.get(dir) === held) holds.delete(dir);
    const server = await held.server;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}

/** Linux: an abstract socket; elsewhere a short socket file (paths are limited to ~100 bytes). */
function socketAddress(dir: string): string {
  const name = `orchard-pglite-${createHash("sha256").update(dir).digest("hex").slice(0, 32)}`;
  return process.platform === "linux" ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}

async function listen(dir: string, address: string): Promise<Server> {
  try {
    return await bind(address);
  } catch (error) {
    if (!inUse(error)) throw error;
    const holder = await askHolder(address);
    if (holder === "gone") {
      // An abstract socket (Linux) goes with its process: the holder ended meanwhile, bind
      // again. A socket file may be one a killed process left: taken over, under a guard.
      const server = address.startsWith("\0")
        ? await bind(address).catch((again: unknown) => {
            if (inUse(again)) return undefined;
            throw again;
          })
        : await takeOver(address);
      if (server) return server;
    }
    throw new DataDirInUseError(dir, typeof holder === "number" ? holder : undefined);
  }
}

async function bind(address: string): Promise<Server> {
  const server = createServer((socket) => {
    socket.unref();
    socket.on("error", () => {});
    socket.end(`${process.pid}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address, () => resolve());
  });
  server.unref();
  return server;
}

const inUse = (error: unknown) => (error as NodeJS.ErrnoException).code === "EADDRINUSE";

/**
 * A socket file no one answers on was left by a process that is gone. One process at a
 * time, under a guard file only one can create, asks again, removes it and binds: two
 * removing it would each remove the other's new one. Undefined when another process is
 * taking over or has taken over. A guard older than GUARD_STALE_MS was left by a
 * process killed within these few lines: removed, for the next start.
 */
async function takeOver(address: string): Promise<Server | undefined> {
  const guard = `${address}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    if (Date.now() - mtimeOf(guard) > GUARD_STALE_MS) unlinkQuietly(guard);
    return undefined;
  }
  try {
    if ((await askHolder(address)) !== "gone") return undefined;
    unlinkQuietly(address);
    return await bind(address).catch((error: unknown) => {
      if (inUse(error)) return undefined; // a process that found no file bound first
      throw error;
    });
  } finally {
    closeSync(fd);
    unlinkQuietly(guard);
  }
}

const GUARD_STALE_MS = 10_000;

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * The holder's pid; "gone" when nothing listens; undefined when it does not answer in
 * time. Anything but a pid is asked again, a few times, about a second in all: a loaded
 * machine can refuse a connection for a moment (EAGAIN: the holder has not yet accepted
 * the ones before), answer late, or preempt the holder between binding its address and
 * listening on it (then a connection is refused: ECONNREFUSED, as if no one were there).
 */
async function askHolder(address: string): Promise<number | "gone" | undefined> {
  for (let attempt = 1; ; attempt++) {
    const answer = await askHolderOnce(address);
    if (typeof answer === "number" || attempt === ASK_ATTEMPTS) return answer;
    await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (attempt - 1)));
  }
}

const ASK_ATTEMPTS = 5;

function askHolderOnce(address: string): Promise<number | "gone" | undefined> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = connect(address);
    const done = (value: number | "gone" | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    // A holder busy in a long synchronous step still holds: it is just not named.
    const timer = setTimeout(() => done(undefined), 2000);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.on("end", () => {
      const pid = Number.parseInt(answer, 10);
      done(Number.isInteger(pid) && pid > 0 ? pid : undefined);
    });
    socket.on("error", (error: NodeJS.ErrnoException) =>
      done(error.code === "ECONNREFUSED" || error.code === "ENOENT" ? "gone" : undefined),
    );
  });
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone.
  }
}
