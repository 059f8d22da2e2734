import type { Command } from "commander";

/** Adds an "Examples:" section after a command's help, each line as it would be typed. */
export function withExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  $ ${e}`).join("\n")}\n`);
}

/** The exit codes every command shares: after the top-level help. */
export const EXIT_CODES = `
Exit codes:
  0    done
  1    unexpected failure (Apple unreachable, the database gave way: run it again)
  2    bad usage or input (an option, a file, an sToken that cannot be used, the
       configuration: a DATABASE_URL whose user or password the database refuses)
  3    not found (space, account, app, user, device)
  4    refused by Apple or a conflict (another MDM, a name taken, a deletion under
       way, the data folder in use by another process)
  130  interrupted (Ctrl-C at a prompt)

Errors are one line on stderr ("orchard: ..."); --json output goes to stdout only.
Configuration comes from the environment: DATABASE_URL (else PGlite in ORCHARD_DATA_DIR,
default ./data), ORCHARD_SECRET_KEY, APPLE_BASE_URL (else the built-in simulator;
\`orchard worker\` needs it: the built-in simulator lives in \`orchard serve\`'s process,
which also sends Apple's work when it runs on PGlite).
`;
