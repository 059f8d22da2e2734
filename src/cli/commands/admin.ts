import type { Command } from "commander";
import { createAdministrator } from "../../auth/auth.service.js";
import { AuthError } from "../../auth/errors.js";
import { loadConfig } from "../../config.js";
import type { Grant } from "../../store/auth.repo.js";
import { findDefaultSpace, openDatabase, StoreError } from "../../store/index.js";
import { CliError } from "../errors.js";

/** `orchard admin create`: the first administrator (an owner), or another one. */
export function registerAdmin(program: Command): void {
  const admin = program.command("admin").description("manage Orchard administrators");
  admin
    .command("create")
    .description("create an administrator; the password is read from the first line of standard input")
    .requiredOption("--login <login>", "login name")
    .option("--name <name>", "display name")
    .option("--owner", "may create spaces and administrators; manages every space", false)
    .option(
      "--grant <space:role...>",
      "role per space: <spaceId>:manage or <spaceId>:read (default space: 'default')",
      [],
    )
    .option("--json", "print JSON", false)
    .action(
      async (options: { login: string; name?: string; owner: boolean; grant: string[]; json: boolean }) => {
        const password = await readPassword();
        const store = await openDatabase(storeConfig());
        try {
          const defaultSpace = await findDefaultSpace(store.db);
          const grants: Grant[] = options.grant.map((g) => {
            const [space, role] = g.split(":");
            if (!space || (role !== "manage" && role !== "read"))
              throw new CliError(`--grant ${g}: expected <spaceId>:manage or <spaceId>:read`);
            const spaceId = space === "default" ? defaultSpace?.id : space;
            if (!spaceId) throw new CliError("there is no default space yet: start Orchard once", 3);
            return { spaceId, role };
          });
          const created = await createAdministrator(store.db, {
            login: options.login,
            ...(options.name ? { displayName: options.name } : {}),
            password,
            isOwner: options.owner,
            grants,
            now: new Date(),
          });
          process.stdout.write(
            options.json
              ? `${JSON.stringify({ id: created.id, login: created.login, isOwner: created.isOwner })}\n`
              : `administrator ${created.login} created\n`,
          );
        } catch (error) {
          if (error instanceof AuthError || error instanceof StoreError)
            throw new CliError(error.message, error instanceof StoreError ? 4 : 2);
          throw error;
        } finally {
          await store.close();
        }
      },
    );
}

function storeConfig() {
  const config = loadConfig();
  return {
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.reveal() } : {}),
    dataDir: config.dataDir,
    ...(config.secretKey ? { secretKey: config.secretKey.reveal() } : {}),
  };
}

/** The password's first line on stdin: never a command-line argument (it would show in `ps`). */
async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("password: ");
  let text = "";
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes("\n")) break;
  }
  const password = text.split(/\r?\n/)[0] ?? "";
  if (password === "") throw new CliError("no password on standard input");
  return password;
}
