import { Command } from "commander";
import { ORCHARD_VERSION } from "../main/version.js";
import { registerActivity } from "./commands/activity.js";
import { registerAdmin } from "./commands/admin.js";
import { registerApiToken } from "./commands/api-token.js";
import { registerApps } from "./commands/apps.js";
import { registerDemo } from "./commands/demo.js";
import { registerDevices } from "./commands/devices.js";
import { registerExplain } from "./commands/explain.js";
import { registerExport } from "./commands/export.js";
import { registerImport } from "./commands/import.js";
import { registerLicenses } from "./commands/licenses.js";
import { registerMdm } from "./commands/mdm.js";
import { registerMigrate } from "./commands/migrate.js";
import { registerNotifications } from "./commands/notifications.js";
import { registerRefusals } from "./commands/refusals.js";
import { registerRules } from "./commands/rules.js";
import { registerServe } from "./commands/serve.js";
import { registerSimulator } from "./commands/simulator.js";
import { registerSpace } from "./commands/space.js";
import { registerToken } from "./commands/token.js";
import { registerUsers } from "./commands/users.js";
import { registerWaiting } from "./commands/waiting.js";
import { registerWhatIf } from "./commands/what-if.js";
import { registerWorker } from "./commands/worker.js";
import { CliError, oneLine } from "./errors.js";
import { EXIT_CODES } from "./help.js";

/** Builds the `orchard` program; each command lives in commands/<name>.ts. */
export function buildProgram(): Command {
  const program = new Command("orchard")
    .description("Apple Apps and Books license manager")
    .version(ORCHARD_VERSION, "-V, --version", "print Orchard's version")
    .addHelpText("after", EXIT_CODES)
    .exitOverride();
  // In the help, by what an administrator comes for: licenses first, running Orchard last.
  program.commandsGroup("Licenses:");
  registerApps(program);
  registerLicenses(program);
  registerRules(program);
  registerExplain(program);
  registerWhatIf(program);
  registerNotifications(program);
  registerMdm(program);
  registerRefusals(program);
  registerWaiting(program);
  registerActivity(program);
  program.commandsGroup("Accounts, spaces and directory:");
  registerToken(program);
  registerSpace(program);
  registerUsers(program);
  registerDevices(program);
  registerImport(program);
  registerExport(program);
  registerAdmin(program);
  registerApiToken(program);
  program.commandsGroup("Running Orchard:");
  registerMigrate(program);
  registerServe(program);
  registerWorker(program);
  registerSimulator(program);
  registerDemo(program);
  registerHelp(program);
  oneLineUsageErrors(program);
  return program;
}

/**
 * `orchard help [command...]`: a command's help, as `--help` prints it; an unknown one is
 * a usage error saying so, where Commander's own printed the whole help and exited 2.
 */
function registerHelp(program: Command): void {
  program.helpCommand(false);
  program
    .command("help [command...]")
    .description("display help for a command")
    .action((words: string[]) => {
      let command = program;
      for (const word of words) {
        const next = command.commands.find((c) => c.name() === word || c.aliases().includes(word));
        if (!next)
          throw new CliError(
            `unknown command '${[commandPath(command), word].join(" ").replace(/^orchard /, "")}' (see 'orchard --help')`,
            2,
          );
        command = next;
      }
      command.outputHelp();
    });
}

/**
 * Commander's usage errors (unknown option or command, missing argument) as one line on
 * stderr, like every other error: its "Did you mean …?" joined to it, else where to read
 * the command's usage.
 */
function oneLineUsageErrors(command: Command): void {
  const path = commandPath(command);
  command.configureOutput({
    outputError: (message, write) => {
      const line = oneLine(message.replace(/^error: /, ""));
      write(`orchard: ${line}${/Did you mean/.test(line) ? "" : ` (see '${path} --help')`}\n`);
    },
  });
  for (const sub of command.commands) oneLineUsageErrors(sub);
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}
