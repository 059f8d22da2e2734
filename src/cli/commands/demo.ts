import type { Command } from "commander";
import { seedDemo } from "../../main/demo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { printJson, printLine } from "../output.js";

/** `orchard demo`: the demo data of `npm start` without the server (idempotent: run it again safely). */
export function registerDemo(program: Command): void {
  withCommonFlags(
    program
      .command("demo")
      .description("seed the demo data (accounts, users, devices, rules) into the space"),
  ).action(async (flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const lines: string[] = [];
      await seedDemo({
        deps: core.deps,
        spaceId,
        ...(core.simulator ? { simulator: core.simulator } : {}),
        // With --json the demo's own lines are collected, so stdout stays one document.
        print: json ? (line) => lines.push(line) : printLine,
      });
      if (json) return printJson({ spaceId, messages: lines });
      printLine(`demo data ready in space ${spaceId}`);
    });
  });
}
