import type { Command } from "commander";
import { parseSToken } from "../../apple/index.js";
import { getAccount, listAccounts, listAssetsOfAccount } from "../../store/index.js";
import { ACCOUNT_HEADERS, accountCells, accountJson } from "../account-view.js";
import { type CommonFlags, withCommonFlags, withCore } from "../context.js";
import { CliError } from "../errors.js";
import { readUserFile } from "../files.js";
import { parsePositive } from "../options.js";
import { printJson, printLine, printTable } from "../output.js";
import { withSpinner } from "../progress.js";

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
  const token = program.command("token").description("manage Apps and Books accounts (sToken files)");

  withCommonFlags(
    token
      .command("add <file>")
      .description("AC1: add an account from its .vpptoken file, then sync it from Apple")
      .requiredOption("--name <name>", "the account's display name")
      .option("--no-auto-distribute", "AC1: do not give every app FCFS to All Users")
      .option("--clear-previous", "AC1: release every assignment of this token at Apple first", false)
      .option("--take-over", "AC6: take the location over from another MDM", false),
  ).action(async (file: string, flags: AddFlags) => {
    const sTokenFile = await readTokenFile(file);
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const account = await withSpinner("adding the account and syncing it from Apple", () =>
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
      if (json) return printJson({ account: accountJson(account), apps });
      printLine(
        `account "${account.displayName}" added at priority ${account.priority} (MA6): ${account.id}, ${apps} app(s) synced`,
      );
    });
  });

  withCommonFlags(token.command("list").description("MA1: the space's accounts in priority order")).action(
    async (flags: CommonFlags) => {
      await withCore(flags, async ({ core, spaceId, json }) => {
        const accounts = await listAccounts(core.deps.db, spaceId);
        if (json) return printJson({ items: accounts.map(accountJson) });
        if (accounts.length === 0) return printLine("no account yet: orchard token add <file> --name <name>");
        printTable(ACCOUNT_HEADERS, accounts.map(accountCells));
      });
    },
  );

  withCommonFlags(
    token
      .command("update <accountId>")
      .description("AC2: rename, replace the token file, change the options")
      .option("--file <file>", "the new .vpptoken file")
      .option("--name <name>", "a new display name")
      .option("--auto-distribute", "AC1: FCFS to All Users on every app")
      .option("--no-auto-distribute", "AC1: no automatic FCFS")
      .option("--clear-previous", "AC2: a token of another location: clear the previous data", false)
      .option("--take-over", "AC6: take the location over from another MDM", false),
  ).action(async (accountId: string, flags: UpdateFlags) => {
    const sTokenFile = flags.file === undefined ? undefined : await readTokenFile(flags.file);
    if (sTokenFile === undefined && flags.name === undefined && flags.autoDistribute === undefined)
      throw new CliError("nothing to change: give --file, --name or --[no-]auto-distribute");
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
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
      printLine(`account "${account.displayName}" updated (AC2)`);
    });
  });

  withCommonFlags(
    token
      .command("rm <accountId>")
      .description("AC5: delete an account and release every license it gave (irreversible)")
      .requiredOption("--confirm <name>", "the account's exact name: deleting cannot be undone"),
  ).action(async (accountId: string, flags: CommonFlags & { confirm: string }) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const account = await getAccount(core.deps.db, spaceId, accountId);
      if (flags.confirm !== account.displayName) {
        throw new CliError(
          `--confirm must repeat the account's name exactly ("${account.displayName}"): nothing was deleted (AC5)`,
        );
      }
      await withSpinner("releasing the account's licenses at Apple", () =>
        core.deps.accounts.remove({ spaceId, accountId, actor }),
      );
      if (json) return printJson({ deleted: accountJson(account) });
      printLine(`account "${account.displayName}" deleted; its licenses were released (AC5)`);
    });
  });

  withCommonFlags(
    token
      .command("resync <accountId>")
      .description("AC3: read every app and license of the account from Apple again"),
  ).action(async (accountId: string, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      await withSpinner("resyncing from Apple", () =>
        core.deps.accounts.resync({ spaceId, accountId, actor }),
      );
      const account = await getAccount(core.deps.db, spaceId, accountId);
      const apps = (await listAssetsOfAccount(core.deps.db, spaceId, account.id)).length;
      if (json) return printJson({ account: accountJson(account), apps });
      printLine(`account "${account.displayName}" resynced (AC3): ${apps} app(s), token ${account.health}`);
    });
  });

  withCommonFlags(
    token
      .command("priority")
      .argument("<accountId>")
      .argument("<position>", "1 = first", parsePositive(10_000))
      .description("AC4, MA6: move the account to a position (1 = first); MA3: no license moves"),
  ).action(async (accountId: string, to: number, flags: CommonFlags) => {
    await withCore(flags, async ({ core, spaceId, actor, json }) => {
      const accounts = await core.deps.accounts.setPriority({ spaceId, accountId, position: to, actor });
      if (json) return printJson({ items: accounts.map(accountJson) });
      printTable(ACCOUNT_HEADERS, accounts.map(accountCells));
    });
  });
}

/** The token file, checked before the database opens: a malformed or expired one fails fast (exit 2). */
async function readTokenFile(path: string): Promise<string> {
  const text = await readUserFile(path, "sToken file");
  parseSToken(text, { now: new Date() });
  return text;
}
