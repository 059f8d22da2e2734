import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import type {} from "../../src/api/authz.js";
import { createAdministrator } from "../../src/auth/auth.service.js";
import { loadConfig } from "../../src/config.js";
import { buildServer, ensureDefaultSpace, type Orchard } from "../../src/main/server.js";

const WEB = resolve(import.meta.dirname, "../../web");
const _DIST = join(WEB, "dist");
export const SCREENSHOTS = resolve(import.meta.dirname, "screenshots");
export const OWNER = { login: "owner", password: "correct horse battery staple" };
export const READER = { login: "reader", password: "another long passphrase" };

export interface Harness {
  orchard: Orchard;
  spaceId: string;
  url: string;
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The console against the real server: the console built once into web/dist, the
 * server's composition root (in-memory PGlite, the in-process Apple simulator), two
 * administrators (an owner; a read-only one, PM1), and headless Chromium.
 * The server serves web/dist itself (src/api/console.ts), as `npm start` does.
 */
export async function startHarness(): Promise<Harness> {
  await build({ configFile: join(WEB, "vite.config.ts"), logLevel: "warn" });
  mkdirSync(SCREENSHOTS, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "orchard-web-"));
  const config = loadConfig({
    ORCHARD_DATA_DIR: dataDir,
    ORCHARD_SECRET_KEY: randomBytes(32).toString("hex"),
    LOG_LEVEL: "warn",
  });
  const orchard = await buildServer(config, { memory: true, loginRateLimit: 1000 });
  const spaceId = await ensureDefaultSpace(orchard);
  const now = new Date();
  await createAdministrator(orchard.store.db, { ...OWNER, displayName: "Olivia Owner", isOwner: true, now });
  await createAdministrator(orchard.store.db, {
    ...READER,
    displayName: "Rémi Reader",
    isOwner: false,
    grants: [{ spaceId, role: "read" }],
    now,
  });
  await orchard.app.listen({ host: "127.0.0.1", port: 0 });
  const address = orchard.app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const browser = await chromium.launch({
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
  return {
    orchard,
    spaceId,
    url: `http://127.0.0.1:${port}`,
    browser,
    async close() {
      await browser.close();
      await orchard.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function signIn(h: Harness, who: { login: string; password: string }): Promise<Page> {
  const context = await h.browser.newContext({ viewport: { width: 1360, height: 860 }, locale: "en-GB" });
  const page = await context.newPage();
  await page.goto(`${h.url}/login`);
  await page.getByLabel("Login").fill(who.login);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  return page;
}

export function shot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
