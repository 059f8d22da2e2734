import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { buildApi } from "../../src/api/app.js";
import { registerConsole } from "../../src/api/console.js";
import type { ApiContext } from "../../src/api/context.js";
import { type Core, openCore } from "../../src/main/compose.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { type AssetInput, createAccount, upsertAsset } from "../../src/store/index.js";
import { pgliteTemplate } from "../store/databases.js";
import {
  type ConsoleSite,
  closeContexts,
  createAdministrators,
  listenLocally,
  SCREENSHOTS,
  testConfig,
  WEB,
  type Who,
  workerChromium,
} from "./harness.js";

export interface IsolatedConsoleOptions {
  /** Names the data folder: `orchard-web-<name>-…` in the system's temporary folder. */
  name: string;
  /** The owner; a read-only administrator of the default space too when `reader` is given (PM1). */
  owner: Who;
  reader?: Who;
  /** Environment variables on top of the data folder, a fresh secret key and LOG_LEVEL=warn. */
  env?: Record<string, string>;
  /** What the API is bound to beyond the core's use cases (as `orchard serve` binds it, src/main/server.ts). */
  context?: (core: Core) => Partial<ApiContext>;
  /**
   * Serve a copy of web/dist of the suite's own, removed at close: for a suite that changes
   * its build's files, which the suites running beside it serve too.
   */
  ownBuild?: boolean;
}

export interface IsolatedConsole extends ConsoleSite {
  core: Core;
  app: FastifyInstance;
  /** The default space. */
  spaceId: string;
  /** The console's build the API serves. */
  dist: string;
  dataDir: string;
  /**
   * Closes the suite's browser contexts (the worker's Chromium stays for its next suite), the
   * API and the core, then removes the data folder (and the own build).
   */
  close(): Promise<void>;
}

/**
 * A console suite that runs on its own: the console in web/dist (built once per run,
 * test/global-setup.ts), the API on the core alone
 * (in-memory PGlite, the in-process Apple simulator; no worker runs, so the store holds
 * exactly what the suite writes) serving that build, the default space, its administrators,
 * and the worker's headless Chromium (harness.ts `workerChromium`). The suite adds its own
 * fixtures, then signs in (harness.ts `signIn`).
 * Whatever was opened before a failure is closed again before the error is thrown.
 */
export async function startIsolatedConsole(options: IsolatedConsoleOptions): Promise<IsolatedConsole> {
  const undo: Array<() => Promise<void> | void> = [];
  const close = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    let dist = join(WEB, "dist");
    if (options.ownBuild) {
      const copy = mkdtempSync(join(tmpdir(), "orchard-web-dist-"));
      undo.push(() => rmSync(copy, { recursive: true, force: true }));
      cpSync(dist, copy, { recursive: true });
      dist = copy;
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    const dataDir = mkdtempSync(join(tmpdir(), `orchard-web-${options.name}-`));
    undo.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const core = await openCore(testConfig(dataDir, options.env), {
      memory: true,
      pgliteTemplate: await pgliteTemplate(),
    });
    undo.push(() => core.close());
    const app = await buildApi(
      {
        deps: core.deps,
        ...options.context?.(core),
        ping: async () => void (await sql`select 1`.execute(core.store.db)),
        secureCookies: false,
      },
      { logLevel: "warn", loginRateLimit: 1000, console: false },
    );
    undo.push(() => app.close());
    await registerConsole(app, dist);
    const spaceId = await ensureDefaultSpace(core);
    await createAdministrators(core.store.db, spaceId, options);
    const url = await listenLocally(app);
    const browser = await workerChromium();
    undo.push(() => closeContexts(browser));
    return { core, app, spaceId, url, browser, viewport: { width: 1360, height: 900 }, dist, dataDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The fixture most console suites start from: an account of the default space (its sToken
 * never reaches Apple: no worker runs) that bought an app, STDQ and device-assignable. Returns
 * the account's id; the suite adds the catalog entry, rules and licenses it needs.
 */
export async function accountWithApp(
  ic: IsolatedConsole,
  app: Pick<AssetInput, "adamId" | "name" | "total"> & Partial<Pick<AssetInput, "used" | "platforms">>,
  options: { displayName?: string; now?: Date } = {},
): Promise<string> {
  const { db, keys } = ic.core.store;
  const account = await createAccount(db, keys, {
    spaceId: ic.spaceId,
    displayName: options.displayName ?? "Lyon campus",
    sToken: "not-a-real-token",
  });
  await upsertAsset(
    db,
    {
      spaceId: ic.spaceId,
      accountId: account.id,
      pricingParam: "STDQ",
      productType: "App",
      deviceAssignable: true,
      platforms: ["iOS"],
      ...app,
    },
    options.now ?? new Date(),
  );
  return account.id;
}
