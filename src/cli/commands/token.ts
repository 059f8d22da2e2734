import type { Command } from "commander";
import { parseSToken } from "../../apple/index.js";
import { getAccount, listAccounts, listAssetsOfAccount } from "../../store/index.js";
import { ACCOUNT_HEADERS, accountJson, accountRows } from "../account-view.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { readUserFile } from "../files.js";
import { withExamples } from "../help.js";
import { parseLabel, parsePositive } from "../options.js";
import { printJson, printLine, printNote, printTable } from "../output.js";
import { withSpinner } from "../progress.js";
import { resolveAccount, resolveAccounts } from "../resolve.js";
import { registerOutside } from "./outside.js";

interface AddFlags extends CommonFlags {
  name: string;
  autoDistribute: boolean;
  clearPrevious: boolean;
  takeOver: boolean;
}

interface UpdateFlags extends CommonFlags {
  file?: string;
  name?: string;
  autoDistribute?: boolean;
  clearPrevious: boolean;
  takeOver: boolean;
}

/** `orchard token …`: Apps and Books accounts from their sToken files (AC1-AC6), through the sync engine. */
export function registerToken(program: Command): void {
  const token = program
    .command("token")
    .description("manage Apps and Books accounts (sToken files); <account> is an account's id or name");

  examples(
    token
      .command("add")
      .argument("<file>", "the account's .vpptoken file, downloaded from Apple Business or School Manager")
      .description("AC1: add an account from its .vpptoken file, then sync it from Apple")
      .requiredOption("--name <name>", "the account's display name (1-200 characters)", parseLabel)
      .option("--no-auto-distribute", "AC1: do not give every app FCFS to All Users")
      .option("--clear-previous", "AC1: release every assignment of this token at Apple first", false)
      .option("--take-over", "AC6: take the location over from another MDM", false),
    [
      'orchard token add ~/Downloads/school.vpptoken --name "Main campus"',
      'orchard token add north.vpptoken --name "North campus" --no-auto-distribute --json',
    ],
  ).action(async (file: string, flags: AddFlags) => {
    const sTokenFile = await readTokenFile(file);
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const { account, importFailed } = await withSpinner(
        "adding the account and syncing it from Apple",
        () =>
          core.deps.accounts.add({
            spaceId,
            name: flags.name,
            sTokenFile,
            autoDistribute: flags.autoDistribute,
            clearPrevious: flags.clearPrevious,
            takeOver: flags.takeOver,
            actor,
          }),
      );
      const apps = (await listAssetsOfAccount(core.deps.db, spaceId, account.id)).length;
      if (json)
        return printJson({ account: accountJson(account), apps, ...(importFailed ? { importFailed } : {}) });
      if (importFailed) {
        // Added all the same: adding it again would meet its own claimed location.
        printLine(
          `account "${account.displayName}" added at priority ${account.priority} (MA6): ${account.id}; its first import from Apple failed (${importFailed.message}): the next scheduled sync imports it, or run: orchard token resync ${account.id}`,
        );
        return;
      }
      printLine(
        `account "${account.displayName}" added at priority ${account.priority} (MA6): ${account.id}, ${apps} app(s) synced`,
      );
    });
  });

  examples(token.command("list").description("MA1: the space's accounts in priority order"), [
    "orchard token list",
    "orchard token list --space Sciences --json | jq -r '.items[] | select(.usable | not) | .name'",
  ]).action(async (flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, json }) => {
      const accounts = await listAccounts(core.deps.db, spaceId);
      if (json) return printJson({ items: accounts.map(accountJson) });
      if (accounts.length === 0) return printNote("no account yet: orchard token add <file> --name <name>");
      printTable(ACCOUNT_HEADERS, accountRows(accounts, core.deps.now()));
    });
  });

  examples(
    token
      .command("update")
      .argument("<account>", "the account, by id or name (orchard token list)")
      .description("AC2: rename the account (id or name), replace its token file, change its options")
      .option("--file <file>", "the new .vpptoken file")
      .option("--name <name>", "a new display name (1-200 characters)", parseLabel)
      .option("--auto-distribute", "AC1: FCFS to All Users on every app")
      .option("--no-auto-distribute", "AC1: no automatic FCFS")
      .option("--clear-previous", "AC2: a token of another location: clear the previous data", false)
      .option("--take-over", "AC6: take the location over from another MDM", false),
    [
      'orchard token update "Main campus" --file renewed.vpptoken     # a renewed token (NT2)',
      'orchard token update "Main campus" --name "Main campus (2027)"',
    ],
  ).action(async (given: string, flags: UpdateFlags) => {
    const sTokenFile = flags.file === undefined ? undefined : await readTokenFile(flags.file);
    if (sTokenFile === undefined && flags.name === undefined && flags.autoDistribute === undefined)
      throw new CliError("nothing to change: give --file, --name or --[no-]auto-distribute");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const before = await resolveAccount(core.deps.db, spaceId, given);
      const accountId = before.id;
      const changes =
        sTokenFile !== undefined ||
        (flags.name !== undefined && flags.name.trim() !== before.displayName) ||
        (flags.autoDistribute !== undefined && flags.autoDistribute !== before.autoDistribute);
      const account = await withSpinner("updating the account", () =>
        core.deps.accounts.update({
          spaceId,
          accountId,
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(sTokenFile !== undefined ? { sTokenFile } : {}),
          ...(flags.autoDistribute !== undefined ? { autoDistribute: flags.autoDistribute } : {}),
          clearPrevious: flags.clearPrevious,
          takeOver: flags.takeOver,
          actor,
        }),
      );
      if (json) return printJson({ account: accountJson(account) });
      printLine(
        changes
          ? `account "${account.displayName}" updated (AC2)`
          : `account "${account.displayName}" unchanged: it already has this name and these options`,
      );
    });
  });

  examples(
    token
      .command("rm")
      .argument("<account>", "the account, by id or name (orchard token list)")
      .description("AC5: delete an account (id or name) and release every license it gave (irreversible)")
      .requiredOption("--confirm <name>", "the account's exact name: deleting cannot be undone"),
    ['orchard token rm "North campus" --confirm "North campus"'],
  ).action(async (given: string, flags: CommonFlags & { confirm: string }) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const account = await resolveAccount(core.deps.db, spaceId, given);
      const accountId = account.id;
      if (flags.confirm !== account.displayName) {
        throw new CliError(
          `--confirm must repeat the account's name exactly ("${account.displayName}"): nothing was deleted (AC5)`,
        );
      }
      const { released, releasedAtApple, stillAtApple } = await withSpinner(
        "releasing the account's licenses at Apple",
        () => core.deps.accounts.remove({ spaceId, accountId, actor }),
      );
      if (json) {
        return printJson({ deleted: accountJson(account), released, releasedAtApple, stillAtApple });
      }
      const deleted = `account "${account.displayName}" deleted`;
      printLine(
        stillAtApple === 0
          ? `${deleted}; ${released} license(s) released at Apple (AC5)`
          : `${deleted}; its token could not be used, so ${stillAtApple} of its ${released} license(s) are still assigned at Apple: release them in Apple Business Manager (AC5)`,
      );
    });
  });

  examples(
    token
      .command("resync")
      .argument("<account>", "the account, by id or name (orchard token list)")
      .description("AC3: read every app and license of the account (id or name) from Apple again"),
    ['orchard token resync "Main campus"'],
  ).action(async (given: string, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const accountId = (await resolveAccount(core.deps.db, spaceId, given)).id;
      await withSpinner("resyncing from Apple", () =>
        core.deps.accounts.resync({ spaceId, accountId, actor }),
      );
      const account = await getAccount(core.deps.db, spaceId, accountId);
      const apps = (await listAssetsOfAccount(core.deps.db, spaceId, account.id)).length;
      if (json) return printJson({ account: accountJson(account), apps });
      printLine(`account "${account.displayName}" resynced (AC3): ${apps} app(s), token ${account.health}`);
    });
  });

  examples(
    token
      .command("priority")
      .argument("<account>", "the account's id or name")
      .argument("<position>", "1 = first", parsePositive(10_000))
      .description(
        "AC4, MA6: move the account (id or name) to a position (1 = first); MA3: no license moves",
      ),
    ['orchard token priority "North campus" 1'],
  ).action(async (given: string, to: number, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const accountId = (await resolveAccount(core.deps.db, spaceId, given)).id;
      const accounts = await core.deps.accounts.setPriority({ spaceId, accountId, position: to, actor });
      if (json) return printJson({ items: accounts.map(accountJson) });
      printTable(ACCOUNT_HEADERS, accountRows(accounts, core.deps.now()));
    });
  });

  examples(
    token
      .command("order")
      .argument("<account...>", "every account of the space (id or name), first to last")
      .description(
        "AC4, MA6: put the accounts in this order at once (each account once); MA3: no license moves",
      ),
    ['orchard token order "North campus" "Main campus" "Annex"'],
  ).action(async (given: string[], flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const order = (await resolveAccounts(core.deps.db, spaceId, given)).map((a) => a.id);
      const accounts = await core.deps.accounts.setOrder({ spaceId, order, actor });
      if (json) return printJson({ items: accounts.map(accountJson) });
      printTable(ACCOUNT_HEADERS, accountRows(accounts, core.deps.now()));
    });
  });

  registerOutside(token);
}

/** `--space`, `--json` and the examples of a `token` subcommand. */
function examples(command: Command, lines: readonly string[]): Command {
  return withExamples(withCommonFlags(command), lines);
}

/** The token file, checked before the database opens: a malformed or expired one fails fast (exit 2). */
async function readTokenFile(path: string): Promise<string> {
  const text = await readUserFile(path, "sToken file");
  parseSToken(text, { now: new Date() });
  return text;
}
