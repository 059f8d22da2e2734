import { userInfo } from "node:os";
import type { Command } from "commander";
import { type Config, loadConfig } from "../config.js";
import { type Core, openCore } from "../main/compose.js";
import { ensureDefaultSpace } from "../main/default-space.js";
import { openDatabase, type Store, type StoreConfig } from "../store/index.js";
import type { Actor } from "../store/sql-helpers.js";
import { nonEmpty } from "./options.js";
import { spaceIdOf } from "./resolve.js";

/** Flags every data command takes. */
export interface CommonFlags {
  space?: string;
  json?: boolean;
}

export interface CliContext {
  core: Core;
  spaceId: string;
  actor: Actor;
  json: boolean;
}

/** Adds `--space` and `--json` to a command. */
export function withCommonFlags(command: Command): Command {
  return command
    .option(
      "--space <space>",
      "the space to work in, by id or name (default: the default space)",
      nonEmpty("a space's id or name (orchard space list shows every space)"),
    )
    .option("--json", "print one JSON document on stdout (stable shape, for scripts)", false);
}

/**
 * Opens the core (the one composition root), resolves the space, runs `work`, and
 * always closes: a command never leaves PGlite or the simulator open behind it.
 */
export async function withCore<T>(flags: CommonFlags, work: (ctx: CliContext) => Promise<T>): Promise<T> {
  const core = await openCore(loadConfig());
  try {
    const spaceId =
      flags.space !== undefined
        ? await spaceIdOf(core.store, flags.space)
        : await ensureDefaultSpace({ store: core.store });
    return await work({ core, spaceId, actor: cliActor(), json: flags.json ?? false });
  } finally {
    await core.close();
  }
}

/** The store's options from the configuration, for commands that need the database alone. */
export function storeConfig(config: Config = loadConfig()): StoreConfig {
  return {
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl.reveal() } : {}),
    dataDir: config.dataDir,
    ...(config.secretKey ? { secretKey: config.secretKey.reveal() } : {}),
  };
}

/** The store alone (no Apple, no sync engine), closed after `work`: admin, api-token, space. */
export async function withStore<T>(work: (store: Store) => Promise<T>): Promise<T> {
  const store = await openDatabase(storeConfig());
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** The activity log's actor for CLI work: `cli`, with the OS user when known. */
export function cliActor(): Actor {
  try {
    return { kind: "system", id: `cli:${userInfo().username}` };
  } catch {
    // No passwd entry (some containers): the log still says the CLI did it.
    return { kind: "system", id: "cli" };
  }
}
