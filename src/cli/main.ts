import { CommanderError } from "commander";
import { toCliError } from "./error-map.js";
import { tolerateClosedStdout } from "./output.js";
import { buildProgram } from "./program.js";

/** Runs the CLI: one-line errors, no stack trace for anything a user can type. */
export async function runCli(argv: readonly string[]): Promise<void> {
  tolerateClosedStdout();
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
