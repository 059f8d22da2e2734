/**
 * The state file of a simulator (SimulatorOptions.stateFile): read once at start, then
 * written atomically (a temp file next to it, fsync, rename, so a crash leaves the old
 * or the new file, never half of one; mode 0600, as it holds sTokens) at most every
 * `delayMs` after a change, and once more on close.
 */
import { randomBytes } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { makeFolder } from "../make-folder.js";
import type { SimulatorLogger } from "./notifier.js";
import { decodeState } from "./state-decode.js";
import type { SavedState } from "./state-world.js";

export class StateFileError extends Error {}

/** Pieces of text written one after another, so a large state is never one string. */
const WRITE_BYTES = 1 << 20;

/** The saved state, or undefined when the file does not exist yet; throws StateFileError otherwise. */
export async function readStateFile(file: string): Promise<SavedState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateFileError(`cannot read simulator state file ${file}: ${(error as Error).message}`);
  }
  try {
    return decodeState(text);
  } catch (error) {
    throw unusableStateFile(file, error);
  }
}

/** The error for a state file that cannot be loaded; it is refused, never silently replaced. */
export function unusableStateFile(file: string, error: unknown): StateFileError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StateFileError(
    `simulator state file ${file} is not usable: ${reason}. Move it away to start an empty simulator.`,
  );
}

export async function writeStateFile(file: string, chunks: readonly string[]): Promise<void> {
  makeFolder(dirname(file));
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(temp, "wx", 0o600);
  try {
    let pending: string[] = [];
    let size = 0;
    for (const chunk of chunks) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= WRITE_BYTES) {
        await handle.write(pending.join(""));
        pending = [];
        size = 0;
      }
    }
    if (pending.length > 0) await handle.write(pending.join(""));
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await rename(temp, file);
  // Best effort: make the rename itself durable (not possible on every platform).
  const folder = await open(dirname(file), "r").catch(() => undefined);
  await folder?.sync().catch(() => undefined);
  await folder?.close();
}

/** Debounced saving: `changed()` after every change, `close()` for the final write. */
export class StateSaver {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;
  /** How long the last write took: saving waits at least twice that, so a big state is not saved nonstop. */
  private lastWriteMs = 0;
  /** Writes run one after another, never two at once on the same temp-and-rename. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: {
      file: string;
      /** The current state as JSON pieces; called synchronously, so it is one consistent snapshot. */
      encode: () => string[];
      delayMs: number;
      logger?: SimulatorLogger;
    },
  ) {}

  changed(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.save().catch((error: unknown) => {
          this.options.logger?.warn(
            { file: this.options.file, err: String(error) },
            "simulator state not saved",
          );
        });
      },
      Math.max(this.options.delayMs, 2 * this.lastWriteMs),
    );
    // A pending save must not keep a process alive; close() writes the last state.
    this.timer.unref();
  }

  /** Writes the state now if it changed since the last write (always when `force`). */
  save(force = false): Promise<void> {
    if (force) this.dirty = true;
    const run = async (): Promise<void> => {
      if (!this.dirty) return;
      this.dirty = false;
      const started = performance.now();
      try {
        await writeStateFile(this.options.file, this.options.encode());
        this.lastWriteMs = performance.now() - started;
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    };
    const next = this.chain.then(run);
    this.chain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.save(true);
  }
}
