/**
 * The benchmark harness: every figure is measured in the same run as its floor, so
 * results are ratios that hold across machines. `npm run bench` prints a table and
 * writes bench/results/latest.json; `-- --quick` runs everything at a tenth of the size.
 */

export interface Figure {
  /** Stable id, e.g. "engine.decisions_per_s". */
  name: string;
  value: number;
  unit: string;
  /** The same work done the plainest way, measured in the same run. */
  floor?: number;
  /** value / floor (or floor / value for rates), where a floor exists: 1 = as fast as the floor. */
  ratio?: number;
  /** What the figure should be, in words ("<= 3x", "= 25"), for the table. */
  target?: string;
}

export interface BenchContext {
  quick: boolean;
  /** Scale a size down for --quick runs (a tenth, at least 1). */
  size(n: number): number;
  record(figure: Figure): void;
  log(message: string): void;
}

export interface Bench {
  name: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Seconds elapsed while `work` runs. */
export async function timed<T>(work: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await work();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}
