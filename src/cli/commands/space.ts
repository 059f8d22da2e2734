import type { Command } from "commander";
import { listSpaces } from "../../store/index.js";
import { withStore } from "../context.js";
import { withExamples } from "../help.js";
import { printJson, printNote, printTable, shortDate } from "../output.js";

/** `orchard space list`: every space, so that `--space` can be given by id or name. */
export function registerSpace(program: Command): void {
  const space = program.command("space").description("the spaces of this Orchard (tenants of the MDM)");
  withExamples(
    space
      .command("list")
      .description("every space: id, name, whether it is the default one and Apps and Books is on (CA3)")
      .option("--json", "print one JSON document on stdout (stable shape, for scripts)", false),
    ["orchard space list", 'orchard licenses --space "Secondary school" --app 361309726'],
  ).action(async (flags: { json: boolean }) => {
    await withStore(async (store) => {
      const spaces = await listSpaces(store.db);
      const items = spaces.map((s) => ({
        id: s.id,
        name: s.name,
        isDefault: s.isDefault,
        appsAndBooksEnabled: s.appsAndBooksEnabled,
        createdAt: s.createdAt.toISOString(),
      }));
      if (flags.json) return printJson({ items });
      if (spaces.length === 0) return printNote("no space yet: the default space is made on first use");
      printTable(
        ["ID", "NAME", "DEFAULT", "APPS AND BOOKS", "CREATED"],
        spaces.map((s) => [
          s.id,
          s.name,
          s.isDefault ? "yes" : "-",
          s.appsAndBooksEnabled ? "on" : "off (CA3)",
          shortDate(s.createdAt),
        ]),
      );
    });
  });
}
