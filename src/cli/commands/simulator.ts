import type { Command } from "commander";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { parseFilePath, parseMilliseconds, parsePort } from "../options.js";

/** `orchard simulator`: Apple's Apps and Books service, offline, with demo locations. */
export function registerSimulator(program: Command): void {
  withExamples(
    program
      .command("simulator")
      .description("run the Apple Apps and Books simulator and print an sToken per demo location")
      .option("--port <port>", "port to listen on", parsePort, 8181)
      .option("--host <host>", "address to listen on", "127.0.0.1")
      .option(
        "--event-delay <ms>",
        "how long Apple's async events stay PENDING",
        parseMilliseconds(3_600_000),
        50,
      )
      .option(
        "--state <file>",
        "keep the state in this JSON file across runs (mode 0600: it holds sTokens)",
        parseFilePath,
      ),
    [
      "orchard simulator --port 8181 --state /tmp/sim.json",
      "APPLE_BASE_URL=http://127.0.0.1:8181/mdm/v2 orchard token add main.vpptoken --name Main   # in another shell",
    ],
  ).action(async (options: { port: number; host: string; eventDelay: number; state?: string }) => {
    // Loaded here: the simulator's server is no other command's start-up cost.
    const { StateFileError } = await import("../../simulator/index.js");
    const { runStandaloneSimulator } = await import("../../simulator/main.js");
    const simulator = await runStandaloneSimulator({
      port: options.port,
      host: options.host,
      eventDelayMs: options.eventDelay,
      ...(options.state !== undefined ? { stateFile: options.state } : {}),
    }).catch((error: unknown) => {
      // A damaged state file is the user's to move away: a one-line message, not a crash.
      throw error instanceof StateFileError ? new CliError(error.message) : error;
    });
    const stop = () => {
      simulator.close().then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`orchard: simulator state not saved: ${String(error)}\n`);
          process.exit(1);
        },
      );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
