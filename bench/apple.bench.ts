/**
 * Apple client benches:
 * (a) Apple calls to assign N licenses of one app to N devices: must be ceil(N / maxSerialNumbers),
 *     counted by the simulator, for N = 1, 999, 1,000, 1,001, 25,000.
 * (b) Streaming 1,000,000 assignments (100,000 with --quick) through the client's page iterator:
 *     seconds and peak RSS of this (client) process, against the floor of a plain fetch loop
 *     over the same pages. The simulator runs in a child process so its memory is not counted.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createAppleClient } from "../src/apple/index.js";
import { startSimulator } from "../src/simulator/index.js";
import { type Bench, type BenchContext, timed } from "./harness.js";

const CHILD_FLAG = "--orchard-apple-bench-simulator";
const ADAM_ID = "361309726";

async function callsPerAssignment(ctx: BenchContext): Promise<void> {
  const sim = await startSimulator({ seed: 1, eventDelayMs: 0 });
  try {
    const { uId, sToken } = sim.operator.createLocation({ orgName: "Bench" });
    sim.operator.addAsset(uId, { adamId: ADAM_ID, totalCount: 30_000, deviceAssignable: true });
    const client = createAppleClient({ baseUrl: sim.url, sToken });
    const limits = await client.limits();
    for (const n of [1, 999, 1000, 1001, 25_000]) {
      const before = associateCalls(sim.operator.stats().requests);
      const serialNumbers = Array.from({ length: n }, (_, i) => `N${n}-SERIAL-${i}`);
      await client.associateBatched({ assets: [{ adamId: ADAM_ID, pricingParam: "STDQ" }], serialNumbers });
      const calls = associateCalls(sim.operator.stats().requests) - before;
      const expected = Math.ceil(n / limits.maxSerialNumbers);
      ctx.record({
        name: `apple.associate_calls.n${n}`,
        value: calls,
        unit: "calls",
        target: `= ${expected}`,
      });
    }
  } finally {
    await sim.close();
  }
}

function associateCalls(requests: Record<string, number>): number {
  let total = 0;
  for (const [path, count] of Object.entries(requests)) if (path.endsWith("assets/associate")) total += count;
  return total;
}

/** Starts the simulator in a child process seeded with `count` assignments. */
async function startChild(count: number): Promise<{ child: ChildProcess; url: string; sToken: string }> {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG, String(count)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) {
    if (line.startsWith("{")) return { child, ...(JSON.parse(line) as { url: string; sToken: string }) };
  }
  throw new Error("the simulator child exited before it was ready");
}

async function streaming(ctx: BenchContext): Promise<void> {
  const count = ctx.size(1_000_000);
  const { child, url, sToken } = await startChild(count);
  try {
    const floor = async (): Promise<number> => {
      let items = 0;
      let pageIndex: number | undefined;
      for (;;) {
        const q = pageIndex === undefined ? "" : `?pageIndex=${pageIndex}`;
        const response = await fetch(`${url}/assignments${q}`, {
          headers: { Authorization: `Bearer ${sToken}` },
        });
        const body = (await response.json()) as { assignments: unknown[]; nextPageIndex?: number };
        items += body.assignments.length;
        if (body.nextPageIndex === undefined) return items;
        pageIndex = body.nextPageIndex;
      }
    };
    await floor(); // warm both sides
    const floorRun = await timed(floor);

    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 5);
    const client = createAppleClient({ baseUrl: url, sToken });
    const clientRun = await timed(async () => {
      let items = 0;
      for await (const page of client.assignments()) items += page.items.length;
      return items;
    });
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage.rss());
    if (clientRun.result !== count || floorRun.result !== count) {
      throw new Error(
        `streamed ${clientRun.result} (client) / ${floorRun.result} (floor) of ${count} assignments`,
      );
    }
    ctx.record({
      name: "apple.stream_assignments.seconds",
      value: clientRun.seconds,
      unit: "s",
      floor: floorRun.seconds,
      ratio: clientRun.seconds / floorRun.seconds,
      target: "ratio <= 1.5",
    });
    ctx.record({
      name: "apple.stream_assignments.items_per_s",
      value: count / clientRun.seconds,
      unit: "items/s",
    });
    ctx.record({
      name: "apple.stream_assignments.peak_rss_mb",
      value: peak / 2 ** 20,
      unit: "MB",
      target: "< 300",
    });
    ctx.record({
      name: "apple.stream_assignments.rss_growth_mb",
      value: (peak - baseline) / 2 ** 20,
      unit: "MB",
    });
  } finally {
    child.stdin?.end();
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

/** Child mode: a simulator seeded with N assignments, its address on stdout, until stdin closes. */
async function runChild(count: number): Promise<void> {
  const sim = await startSimulator({ seed: 7, pageSize: 1000 });
  const { uId, sToken } = sim.operator.createLocation({ orgName: "Bench" });
  sim.operator.setLimits({ maxRequestPerSecond: 100_000 });
  sim.operator.seed(uId, { apps: 10, licensesPerApp: Math.ceil(count / 10), assignments: count });
  process.stdout.write(`${JSON.stringify({ url: sim.url, sToken })}\n`);
  process.stdin.resume();
  await new Promise((resolve) => process.stdin.once("end", resolve));
  await sim.close();
}

if (process.argv[2] === CHILD_FLAG) await runChild(Number(process.argv[3]));

const bench: Bench = {
  name: "apple",
  async run(ctx) {
    await callsPerAssignment(ctx);
    await streaming(ctx);
  },
};
export default bench;
