import { describe, expect, it } from "vitest";
import { Coalescer, coalescerPer, GATHER_MS } from "../../src/store/coalesce.js";

/** Past a lane's gathering time: its batch has started. */
const pastGathering = () => new Promise((resolve) => setTimeout(resolve, GATHER_MS * 10));

/** A coalescer that records its batches; an item "bad" fails any batch it is in. */
function recording(options: { maxBatch?: number; hold?: Promise<void> } = {}) {
  const batches: string[][] = [];
  const coalescer = new Coalescer<string, string>(async (items) => {
    batches.push([...items]);
    await options.hold;
    if (items.includes("bad")) throw new Error("bad item");
    return items.map((x) => x.toUpperCase());
  }, options.maxBatch);
  return { coalescer, batches };
}

describe("Coalescer: work that arrives together, done together", () => {
  it("items of one key submitted in the same turn are one batch, in order, each with its own result", async () => {
    const { coalescer, batches } = recording();
    const results = await Promise.all(["a", "b", "c"].map((x) => coalescer.submit("k", x)));
    expect(results).toEqual(["A", "B", "C"]);
    expect(batches).toEqual([["a", "b", "c"]]);
  });

  it("an item that comes a turn of the event loop later, within the gathering time, joins the batch", async () => {
    const { coalescer, batches } = recording();
    const first = coalescer.submit("k", "a");
    await new Promise((resolve) => setImmediate(resolve)); // another socket read, say
    const second = coalescer.submit("k", "b");
    expect(await Promise.all([first, second])).toEqual(["A", "B"]);
    expect(batches).toEqual([["a", "b"]]);
  });

  it("items that arrive while a batch runs form the next batch; other keys have their own", async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { coalescer, batches } = recording({ hold });
    const first = coalescer.submit("k", "a");
    await pastGathering(); // the first batch has started
    const later = [coalescer.submit("k", "b"), coalescer.submit("k", "c"), coalescer.submit("other", "x")];
    await pastGathering();
    expect(batches).toEqual([["a"], ["x"]]);
    release();
    expect(await Promise.all([first, ...later])).toEqual(["A", "B", "C", "X"]);
    expect(batches).toEqual([["a"], ["x"], ["b", "c"]]);
  });

  it("a batch that fails is tried again item by item: only the bad item fails", async () => {
    const { coalescer, batches } = recording();
    const settled = await Promise.allSettled(["a", "bad", "c"].map((x) => coalescer.submit("k", x)));
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message))).toEqual([
      "A",
      "bad item",
      "C",
    ]);
    expect(batches).toEqual([["a", "bad", "c"], ["a"], ["bad"], ["c"]]);
  });

  it("no batch is larger than maxBatch", async () => {
    const { coalescer, batches } = recording({ maxBatch: 2 });
    await Promise.all(["a", "b", "c", "d", "e"].map((x) => coalescer.submit("k", x)));
    expect(batches).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  it("a batch that answers fewer results than items fails the items left without one", async () => {
    const coalescer = new Coalescer<string, string>(async (items) => items.slice(1));
    const settled = await Promise.allSettled(["a", "b"].map((x) => coalescer.submit("k", x)));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected"]);
  });

  it("coalescerPer makes one coalescer per handle, once", () => {
    const per = coalescerPer((_: object) => recording().coalescer);
    const one = {};
    expect(per(one)).toBe(per(one));
    expect(per(one)).not.toBe(per({}));
  });
});
