import type { Command } from "commander";
import { seedDemo } from "../../main/demo.js";
import { listAccounts } from "../../store/index.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { withExamples } from "../help.js";
import { printJson, printLine } from "../output.js";

/**
 * `orchard demo`: the demo data of `npm start` without the server, into an empty space
 * only (run it again safely: a space with accounts is left as it is, and it says so).
 */
export function registerDemo(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("demo")
        .description(
          "seed the demo data (accounts, users, devices, rules) into an empty space, with the built-in simulator",
        ),
    ),
    ["ORCHARD_DATA_DIR=/tmp/orchard-try orchard demo && ORCHARD_DATA_DIR=/tmp/orchard-try orchard apps"],
  ).action(async (flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      // The demo's accounts are the simulator's locations: never Apple's real service.
      if (!core.simulator)
        throw new CliError("the demo runs on the built-in Apple simulator: unset APPLE_BASE_URL to seed it");
      if ((await listAccounts(core.deps.db, spaceId)).length > 0) {
        const note = "the space already has accounts: the demo seeds an empty space only, nothing changed";
        return json ? printJson({ spaceId, seeded: false, messages: [note] }) : printLine(note);
      }
      const lines: string[] = [];
      await seedDemo({
        deps: core.deps,
        spaceId,
        simulator: core.simulator,
        // With --json the demo's own lines are collected, so stdout stays one document.
        print: json ? (line) => lines.push(line) : printLine,
      });
      if (json) return printJson({ spaceId, seeded: true, messages: lines });
      printLine(`demo data ready in space ${spaceId}`);
    });
  });
}
