import { CommanderError } from "commander";
import { toCliError } from "./error-map.js";
import { oneLine } from "./errors.js";
import { tolerateClosedStdout } from "./output.js";
import { buildProgram } from "./program.js";

/**
 * After a failure, how long what is left may run before the process ends anyway: a client
 * library that keeps a socket of a refused connection open (pg, when the database asks for
 * a password DATABASE_URL lacks) must not leave the command hanging after its error.
 */
const EXIT_GRACE_MS = 2000;

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
    process.stderr.write(`orchard: ${oneLine(failure.message)}\n`);
    process.exitCode = failure.exitCode;
    // Unref'd: a process with nothing left to do ends at once, as before.
    setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
  }
}

await runCli(process.argv.slice(2));
