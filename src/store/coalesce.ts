/**
 * Work that arrives together, done together. Items of one key wait in a lane; the lane
 * starts GATHER_MS after its first item, so the items read from other sockets meanwhile
 * join it (with PGlite, whose queries never yield to I/O, no other item could join a batch
 * already running), and while a batch runs, the items that arrive meanwhile form the next
 * one. A lone item waits GATHER_MS; a crowd shares one batch: one read, one lock, one
 * commit, as PostgreSQL's commit_delay groups commits.
 *
 * A batch that throws is run again one item at a time, so one bad item never fails
 * another's. Results are given in the order of the items.
 */
/**
 * How long a lane waits for company. A burst of MDM requests reaches the process over a
 * millisecond or so; started at the first, a lane would run it alone and make the rest wait
 * for its whole transaction (API bench, PostgreSQL: license-request p99 45–58 ms with the
 * next turn of the event loop, 29–34 ms with 1 ms).
 */
export const GATHER_MS = 1;

export class Coalescer<I, O> {
  readonly #lanes = new Map<string, Waiting<I, O>[]>();

  constructor(
    private readonly run: (batch: readonly I[]) => Promise<readonly O[]>,
    private readonly maxBatch = 500,
  ) {}

  submit(key: string, item: I): Promise<O> {
    const lane = this.#lanes.get(key) ?? [];
    this.#lanes.set(key, lane);
    const done = new Promise<O>((resolve, reject) => {
      lane.push({ item, resolve, reject });
    });
    if (lane.length === 1) setTimeout(() => void this.#drain(key, lane), GATHER_MS);
    return done;
  }

  async #drain(key: string, lane: Waiting<I, O>[]): Promise<void> {
    // The batch stays in the lane while it runs: later arrivals see a lane in use and wait.
    while (lane.length > 0) {
      const batch = lane.slice(0, this.maxBatch);
      try {
        const results = await this.run(batch.map((w) => w.item));
        for (const [i, w] of batch.entries()) settle(w, results, i);
      } catch (error) {
        if (batch.length === 1) batch[0]?.reject(error);
        else for (const w of batch) await this.run([w.item]).then((r) => settle(w, r, 0), w.reject);
      }
      lane.splice(0, batch.length);
    }
    this.#lanes.delete(key);
  }
}

interface Waiting<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

function settle<I, O>(w: Waiting<I, O>, results: readonly O[], i: number): void {
  if (i < results.length) w.resolve(results[i] as O);
  else w.reject(new Error("a batch returned fewer results than items"));
}

/** One coalescer per database handle (or any object), made on first use. */
export function coalescerPer<H extends object, I, O>(
  make: (handle: H) => Coalescer<I, O>,
): (handle: H) => Coalescer<I, O> {
  const made = new WeakMap<H, Coalescer<I, O>>();
  return (handle) => {
    const existing = made.get(handle);
    if (existing) return existing;
    const coalescer = make(handle);
    made.set(handle, coalescer);
    return coalescer;
  };
}
