import { Command, CommanderError } from "commander";
import { registerAdmin } from "./commands/admin.js";
import { registerDemo } from "./commands/demo.js";
import { registerExplain } from "./commands/explain.js";
import { registerExport } from "./commands/export.js";
import { registerImport } from "./commands/import.js";
import { registerLicenses } from "./commands/licenses.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerServe } from "./commands/serve.js";
import { registerSimulator } from "./commands/simulator.js";
import { registerToken } from "./commands/token.js";
import { registerWhatIf } from "./commands/what-if.js";
import { registerWorker } from "./commands/worker.js";
import { toCliError } from "./error-map.js";

/** Builds the `orchard` program; each command lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command("orchard")
    .description("Apple Apps and Books license manager")
    .configureOutput({
      outputError: (message, write) => write(`orchard: ${message.replace(/^error: /, "")}`),
    })
    .exitOverride();
  registerSimulator(program);
  registerServe(program);
  registerAdmin(program);
  registerWorker(program);
  registerMigrate(program);
  registerDemo(program);
  registerToken(program);
  registerImport(program);
  registerExplain(program);
  registerWhatIf(program);
  registerExport(program);
  registerLicenses(program);
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
    // Every typed error of every module becomes one line and its exit code (error-map.ts).
    const failure = toCliError(error);
    process.stderr.write(`orchard: ${failure.message.replace(/\s*\n\s*/g, " ")}\n`);
    process.exitCode = failure.exitCode;
  }
}

await runCli(process.argv.slice(2));
