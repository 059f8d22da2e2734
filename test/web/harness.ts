import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import {
  type Browser,
  type BrowserContextOptions,
  chromium,
  type Page,
  type ViewportSize,
} from "playwright-core";
import type {} from "../../src/api/authz.js";
import { createAdministrator } from "../../src/auth/auth.service.js";
import { type Config, loadConfig } from "../../src/config.js";
import { ensureDefaultSpace } from "../../src/main/default-space.js";
import { buildServer, type Orchard } from "../../src/main/server.js";
import type { Db } from "../../src/store/database.js";
import { pgliteTemplate } from "../store/databases.js";

export const WEB = resolve(import.meta.dirname, "../../web");
export const SCREENSHOTS = resolve(import.meta.dirname, "screenshots");
export const OWNER = { login: "owner", password: "correct horse battery staple" };
export const READER = { login: "reader", password: "another long passphrase" };

/** An administrator's login and password, as the login page asks for them. */
export interface Who {
  login: string;
  password: string;
}

/** Where a console suite signs in: its browser, the server's address, the window's size. */
export interface ConsoleSite {
  browser: Browser;
  url: string;
  viewport: ViewportSize;
}

export interface Harness extends ConsoleSite {
  orchard: Orchard;
  spaceId: string;
  close(): Promise<void>;
}

/**
 * The console against the real server: the console in web/dist (built once per run,
 * test/global-setup.ts), the server's composition root (in-memory PGlite, the in-process
 * Apple simulator), two administrators (an owner; a read-only one, PM1), and the worker's
 * headless Chromium (`workerChromium`).
 * The server serves web/dist itself (src/api/console.ts), as `npm start` does.
 */
export async function startHarness(): Promise<Harness> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "orchard-web-"));
  const orchard = await buildServer(testConfig(dataDir), {
    memory: true,
    pgliteTemplate: await pgliteTemplate(),
    loginRateLimit: 1000,
  });
  const spaceId = await ensureDefaultSpace(orchard);
  await createAdministrators(orchard.store.db, spaceId, { owner: OWNER, reader: READER });
  const url = await listenLocally(orchard.app);
  const browser = await workerChromium();
  return {
    orchard,
    spaceId,
    url,
    browser,
    viewport: { width: 1360, height: 860 },
    async close() {
      await closeContexts(browser);
      await orchard.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The configuration of a test server: its data in `dataDir`, a fresh secret key, warnings
 * only, and no sync started by the wall clock: a suite that crossed a quarter hour saw the
 * in-process worker's sync rewrite its fixtures (an app the store has and the simulator's
 * lookup does not reads as custom, DB5). Suites start the syncs they test themselves.
 */
export function testConfig(dataDir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_SECRET_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
    SYNC_CRON: "0 0 1 1 *",
    FULL_SYNC_CRON: "0 0 1 1 *",
    ...env,
  });
}

/** The owner "Olivia Owner" and, when given, "Rémi Reader", read-only on the space (PM1). */
export async function createAdministrators(
  db: Db,
  spaceId: string,
  admins: { owner: Who; reader?: Who },
): Promise<void> {
  const now = new Date();
  await createAdministrator(db, { ...admins.owner, displayName: "Olivia Owner", isOwner: true, now });
  if (!admins.reader) return;
  await createAdministrator(db, {
    ...admins.reader,
    displayName: "Rémi Reader",
    isOwner: false,
    grants: [{ spaceId, role: "read" }],
    now,
  });
}

/** Listens on a free port of 127.0.0.1 and answers the server's address. */
export async function listenLocally(app: FastifyInstance): Promise<string> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
}

let chromiumOfWorker: Promise<Browser> | undefined;

/**
 * The worker's headless Chromium, launched by its first console suite and kept for the next:
 * a worker runs its files one after another (vitest.config.ts, isolate: false), and each
 * suite works in browser contexts of its own (cookies, storage and cache are a context's),
 * all closed when it closes (`closeContexts`). A launch per suite cost ~2 s (the browser, its
 * first renderer, its close). Playwright kills it when the worker's process exits.
 */
export function workerChromium(): Promise<Browser> {
  if (!chromiumOfWorker) {
    const launching = launchChromium();
    const forget = () => {
      if (chromiumOfWorker === launching) chromiumOfWorker = undefined;
    };
    chromiumOfWorker = launching;
    // A browser that crashed or failed to start is launched again by the next suite.
    launching.then((browser) => browser.on("disconnected", forget), forget);
  }
  return chromiumOfWorker;
}

/** A suite's end in the worker's Chromium: every context it opened (and left open) closed. */
export async function closeContexts(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((context) => context.close()));
}

/** Headless Chromium (CHROMIUM_PATH, else /usr/bin/chromium), quiet: no sync, updates or QUIC. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/**
 * A new browser context, in English, signed in as `who`, on the dashboard; `options` add to
 * the context's (`bypassCSP` lets a test inject a script of its own, e.g. axe-core).
 */
export async function signIn(
  site: ConsoleSite,
  who: Who,
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await site.browser.newContext({ viewport: site.viewport, locale: "en-GB", ...options });
  const page = await context.newPage();
  await page.goto(`${site.url}/login`);
  await page.getByLabel("Login").fill(who.login);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  return page;
}

/**
 * The page, whole, in test/web/screenshots/<name>.png: for people to look at (no test reads
 * them). Not taken when ORCHARD_TEST_SCREENSHOTS=0 (.ci/run: nobody sees a clean clone's, and
 * each cost ~0.7 s of the browser's time, some 80 a run).
 */
export async function shot(page: Page, name: string): Promise<void> {
  if (process.env.ORCHARD_TEST_SCREENSHOTS === "0") return;
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
