import { Command, CommanderError } from "commander";
import { registerAdmin } from "./commands/admin.js";
import { registerServe } from "./commands/serve.js";
import { registerSimulator } from "./commands/simulator.js";
import { registerWorker } from "./commands/worker.js";
import { CliError } from "./errors.js";

/** Builds the `orchard` program; each command lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command("orchard")
    .description("Apple Apps and Books license manager")
    .configureOutput({ outputError: (message, write) => write(`orchard: ${message.replace(/^error: /, "")}`) })
    .exitOverride();
  registerSimulator(program);
  registerServe(program);
  registerAdmin(program);
  registerWorker(program);
  return program;
}

/** Runs the CLI: one-line errors, no stack trace for anything a user can type. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    if (error instanceof CliError) {
      process.stderr.write(`orchard: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`orchard: unexpected error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}

await runCli(process.argv.slice(2));
