import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Bench, BenchContext, Figure } from "./harness.js";

/** Every bench module, in the order they run. Add new ones here. */
const benches: Array<() => Promise<{ default: Bench | Bench[] }>> = [
  // First, while the process is fresh: it reports the client's peak RSS.
  () => import("./apple.bench.js"),
  () => import("./engine.bench.js"),
  () => import("./store.bench.js"),
  () => import("./api.bench.js"),
  () => import("./sync.bench.js"),
];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const only = args.filter((a) => !a.startsWith("--"));
  const figures: Figure[] = [];
  const ctx: BenchContext = {
    quick,
    size: (n) => (quick ? Math.max(1, Math.round(n / 10)) : n),
    record: (figure) => {
      figures.push(figure);
      console.log(
        `  ${figure.name}: ${format(figure.value)} ${figure.unit}${figure.ratio !== undefined ? ` (ratio ${figure.ratio.toFixed(2)})` : ""}`,
      );
    },
    log: (message) => console.log(`  ${message}`),
  };
  for (const load of benches) {
    // Modules load one at a time, when their turn comes (the first reports peak RSS).
    for (const bench of [(await load()).default].flat()) {
      if (only.length > 0 && !only.some((o) => bench.name.includes(o))) continue;
      console.log(`# ${bench.name}${quick ? " (quick)" : ""}`);
      await bench.run(ctx);
    }
  }
  console.table(
    figures.map((f) => ({
      name: f.name,
      value: format(f.value),
      unit: f.unit,
      floor: f.floor === undefined ? "" : format(f.floor),
      ratio: f.ratio === undefined ? "" : f.ratio.toFixed(2),
      target: f.target ?? "",
    })),
  );
  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "latest.json");
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ quick, at: new Date().toISOString(), figures }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toPrecision(4);
}

await main();
