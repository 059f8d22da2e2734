import { SingleBar } from "cli-progress";

/** Progress of long work (a sync, an import) on stderr: stdout stays clean for --json and pipes. */
export interface Progress {
  /** Known amount of work: moves the bar to `done`. */
  update(done: number): void;
  stop(): void;
}

const SILENT: Progress = { update() {}, stop() {} };
const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A bar of `total` steps, shown only when stderr is a terminal (never in logs or CI). */
export function startProgress(label: string, total: number): Progress {
  if (!process.stderr.isTTY) return SILENT;
  const bar = new SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% {duration}s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

/** A spinner with the elapsed time, for work whose size is not known ahead (a sync with Apple). */
export async function withSpinner<T>(label: string, work: () => Promise<T>): Promise<T> {
  if (!process.stderr.isTTY) return work();
  const bar = new SingleBar({
    format: `${label} {spinner} {duration}s`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  let frame = 0;
  bar.start(1, 0, { spinner: FRAMES[0] });
  const timer = setInterval(() => {
    frame = (frame + 1) % FRAMES.length;
    bar.update({ spinner: FRAMES[frame] });
  }, 100);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    bar.stop();
  }
}
