import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { loadConfig } from "../../src/config.js";
import { type Core, openCore } from "../../src/main/compose.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/index.js";
import { freshPostgresDatabase, TEST_DATABASE_URL, TEST_SECRET_KEY } from "../store/databases.js";
import { compiledCli } from "./compiled.js";

/**
 * The real `orchard` command as a subprocess (this run's sources, compiled once per worker:
 * compiled.ts; ORCHARD_BIN, bin/orchard.js through tsx, is what a fresh clone runs), with its
 * own data folder and Apple simulator. Runs are asynchronous: the simulator lives in this
 * process and must keep answering.
 */
export interface CliHarness {
  dataDir: string;
  sim: RunningSimulator;
  env: Record<string, string>;
  /** Runs `orchard args`, `input` on its stdin (else an empty, closed stdin). */
  run(args: readonly string[], input?: string): Promise<CliRun>;
  /**
   * Runs each of `runs` (arguments, and stdin if any), answering their results in order:
   * side by side over PostgreSQL, one after another on embedded PGlite (one process at a
   * time). For commands that do not depend on one another (reads, refusals).
   */
  runAll<const T extends readonly CliRunSpec[]>(runs: T): Promise<{ -readonly [K in keyof T]: CliRun }>;
  /** Runs, expects exit 0, and parses stdout as one JSON document. */
  json<T = Record<string, unknown>>(args: readonly string[]): Promise<T>;
  file(name: string, content: string): Promise<string>;
  /** The core in this process, between CLI runs (PGlite is one process at a time). */
  withCore<T>(work: (core: Core) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A command's arguments, or its arguments and what its stdin reads. */
export type CliRunSpec = readonly string[] | readonly [readonly string[], string];

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = join(import.meta.dirname, "..", "..", "bin", "orchard.js");

export const ORCHARD_BIN = BIN;

/**
 * `engine`: where `orchard` keeps its data. PostgreSQL (a fresh database, when
 * TEST_DATABASE_URL is set) unless a suite asks for embedded PGlite: a command opening a
 * PGlite folder spends seconds starting PGlite, over hundreds of commands. The conventions
 * suite runs on PGlite, the path `npm start` takes.
 */
export async function startCli(options: { engine?: "pglite" | "postgres" } = {}): Promise<CliHarness> {
  const dataDir = await mkdtemp(join(tmpdir(), "orchard-cli-"));
  const sim = await startSimulator({ port: 0, eventDelayMs: 0, enforceRateLimit: false });
  const postgres =
    (options.engine ?? "postgres") === "postgres" && TEST_DATABASE_URL
      ? await freshPostgresDatabase()
      : undefined;
  const env: Record<string, string> = {
    ORCHARD_DATA_DIR: dataDir,
    APPLE_BASE_URL: sim.url,
    ORCHARD_FROM_SOURCE: "1",
    ORCHARD_MDM_ID: "orchard-cli-test",
    LOG_LEVEL: "silent",
    ...(postgres ? { DATABASE_URL: postgres.url, ORCHARD_SECRET_KEY: TEST_SECRET_KEY } : {}),
  };
  const entry = await compiledCli();
  const run = (args: readonly string[], input = "") =>
    new Promise<CliRun>((resolve) => {
      const child = execFile(
        process.execPath,
        [entry, ...args],
        { env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input);
    });
  const runOne = (spec: CliRunSpec) =>
    Array.isArray(spec[0]) ? run(spec[0] as readonly string[], spec[1]) : run(spec as readonly string[]);
  return {
    dataDir,
    sim,
    env,
    run,
    async runAll<const T extends readonly CliRunSpec[]>(runs: T) {
      let results: CliRun[] = [];
      if (postgres) results = await Promise.all(runs.map(runOne));
      else for (const spec of runs) results.push(await runOne(spec));
      return results as { -readonly [K in keyof T]: CliRun };
    },
    async json<T>(args: readonly string[]) {
      const r = await run(args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as T;
    },
    async file(name, content) {
      const path = join(dataDir, name);
      await writeFile(path, content);
      return path;
    },
    async withCore(work) {
      const core = await openCore(loadConfig(env));
      try {
        return await work(core);
      } finally {
        await core.close();
      }
    },
    async close() {
      await sim.close();
      await postgres?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A failed run: the exit code, and exactly one `orchard: …` line on stderr, no stack trace. */
export function expectFailure(r: CliRun, code: number, message: RegExp): void {
  expect({ code: r.code, stderr: r.stderr }).toMatchObject({ code, stderr: expect.stringMatching(message) });
  expect(r.stderr).toMatch(/^orchard: [^\n]+\n$/);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stdout).toBe("");
}
