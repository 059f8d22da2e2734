import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";

/**
 * Every command that does something, with its path: ["token", "add"]. A command with
 * subcommands does something too when it takes options of its own (`orchard licenses`
 * lists, `orchard licenses reclaim` reclaims).
 */
function leaves(command: Command, path: string[] = []): Array<{ path: string[]; command: Command }> {
  const subs = command.commands.filter((c) => c.name() !== "help");
  if (subs.length === 0) return [{ path, command }];
  const own = path.length > 0 && command.options.length > 0 ? [{ path, command }] : [];
  return [...own, ...subs.flatMap((c) => leaves(c, [...path, c.name()]))];
}

function helpOf(command: Command): string {
  let text = "";
  command.configureOutput({
    writeOut: (s) => {
      text += s;
    },
  });
  command.outputHelp();
  return text;
}

describe("orchard's help", () => {
  const program = buildProgram();
  const commands = leaves(program);

  it("covers every command", () => {
    expect(commands.map((c) => c.path.join(" ")).sort()).toEqual(
      [
        "activity",
        "admin create",
        "admin disable",
        "admin email",
        "admin enable",
        "admin grant",
        "admin list",
        "admin reset-password",
        "api-token create",
        "api-token list",
        "api-token revoke",
        "apps",
        "demo",
        "devices list",
        "devices show",
        "explain",
        "export activity",
        "export licenses",
        "export usage",
        "import",
        "licenses",
        "licenses reclaim",
        "licenses revoke",
        "mdm commands",
        "mdm retry",
        "mdm test-webhook",
        "migrate",
        "notifications deliveries",
        "notifications resend",
        "refusals abandon",
        "refusals list",
        "refusals retry",
        "rules set",
        "rules show",
        "serve",
        "simulator",
        "space list",
        "token add",
        "token list",
        "token order",
        "token outside",
        "token priority",
        "token release-all-outside",
        "token release-outside",
        "token resync",
        "token rm",
        "token update",
        "users invite",
        "users list",
        "users show",
        "waiting cancel",
        "waiting list",
        "what-if",
        "worker",
      ].sort(),
    );
  });

  it.each(commands.map((c) => [c.path.join(" "), c.command] as const))(
    "orchard %s --help ends with examples, each a command line",
    (_, command) => {
      const help = helpOf(command);
      const examples = help.split("\nExamples:\n")[1];
      expect(examples, help).toBeDefined();
      const lines = (examples ?? "").trimEnd().split("\n");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line).toMatch(/^ {2}\$ .*\borchard /);
    },
  );

  it("every command that reads or writes the data answers in JSON with --json (serve and simulator run, they do not answer)", () => {
    const withoutJson = commands
      .filter(({ command }) => !command.options.some((o) => o.long === "--json"))
      .map((c) => c.path.join(" "));
    expect(withoutJson.sort()).toEqual(["serve", "simulator"]);
  });

  it("the top-level help groups the commands and lists the exit codes", () => {
    const help = helpOf(program);
    expect(help).toMatch(/\nLicenses:\n {2}apps /);
    expect(help).toMatch(/\nExit codes:\n {2}0 {4}done\n/);
    for (const code of [
      "2    bad usage or input",
      "3    not found",
      "4    refused by Apple or a conflict",
      "130  interrupted",
    ])
      expect(help).toContain(`\n  ${code}`);
  });
});
