import type { Command } from "commander";
import { runStandaloneSimulator } from "../../simulator/main.js";
import { parsePort } from "../options.js";

/** `orchard simulator`: Apple's Apps and Books service, offline, with demo locations. */
export function registerSimulator(program: Command): void {
  program
    .command("simulator")
    .description("run the Apple Apps and Books simulator and print an sToken per demo location")
    .option("--port <port>", "port to listen on", parsePort, 8181)
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--event-delay <ms>", "how long Apple's async events stay PENDING", (v) => parsePort(v), 50)
    .action(async (options: { port: number; host: string; eventDelay: number }) => {
      const simulator = await runStandaloneSimulator({
        port: options.port,
        host: options.host,
        eventDelayMs: options.eventDelay,
      });
      const stop = () => {
        void simulator.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
}
