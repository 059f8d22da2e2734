import { type Command, Option } from "commander";
import { listAppsView } from "../../store/views.repo.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { withExamples } from "../help.js";
import { parsePositive } from "../options.js";
import { printJson, printNote, printTable } from "../output.js";
import { resolveAccount } from "../resolve.js";

type AppSort = "name" | "available" | "used" | "waiting";

interface AppsFlags extends CommonFlags {
  account?: string;
  search?: string;
  sort: AppSort;
  limit: number;
}

/** Counts that matter first come first: the fewest free seats, the most used, the longest queue. */
const ORDER: Record<AppSort, "asc" | "desc"> = {
  name: "asc",
  available: "asc",
  used: "desc",
  waiting: "desc",
};

/** `orchard apps`: VU4, licenses per app (total, used, available) and who waits (DB2, UB3). */
export function registerApps(program: Command): void {
  withExamples(
    withCommonFlags(
      program
        .command("apps")
        .description(
          "VU4: the apps bought in the space, their licenses (total, used, available) and queue (DB2)",
        )
        .option("--account <account>", "only this account's purchases (id or name)")
        .option("--search <text>", "name or adamId contains")
        .addOption(
          new Option("--sort <column>", "name, or available (fewest first), used or waiting (most first)")
            .choices(["name", "available", "used", "waiting"])
            .default("name"),
        )
        .option("--limit <n>", "at most this many (1-10000)", parsePositive(10_000), 100),
    ),
    [
      "orchard apps --sort available          # the apps running out first",
      "orchard apps --account \"Main campus\" --json | jq '.items[] | select(.available == 0)'",
    ],
  ).action(async (flags: AppsFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const accountId =
        flags.account === undefined
          ? undefined
          : (await resolveAccount(core.deps.db, spaceId, flags.account)).id;
      const page = await listAppsView(core.deps.db, spaceId, accountId ? { accountId } : {}, {
        page: 1,
        pageSize: flags.limit,
        sort: flags.sort,
        order: ORDER[flags.sort],
        ...(flags.search ? { q: flags.search } : {}),
      });
      if (json) return printJson({ items: page.items, total: page.total });
      if (page.items.length === 0) return printNote("no app matches");
      printTable(
        ["APP", "TYPE", "TOTAL", "USED", "AVAILABLE", "USAGE", "WAITING", "ACCOUNTS"],
        page.items.map((a) => [
          // CA1: delegated by the default space: this space's accounts' licenses, its catalog options.
          `${a.name ? `${a.name} (${a.adamId})` : a.adamId}${a.delegatedFrom ? " [delegated]" : ""}`,
          a.productType,
          String(a.total),
          String(a.used),
          String(a.available),
          a.total === 0 ? "-" : `${Math.round((a.used / a.total) * 100)}%`,
          String(a.waiting),
          String(a.accounts),
        ]),
      );
      if (page.total > page.items.length)
        printNote(`${page.items.length} of ${page.total} apps shown: use --limit or --search for the others`);
    });
  });
}
