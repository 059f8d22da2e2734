import { readdirSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Page, Response } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The console in chunks (web/vite.config.ts, web/src/app/lazy-page.tsx): the libraries in
 * chunks of their own, each page in its own, loaded when first shown; the server caches
 * the hashed chunks for good and answers a chunk of another build with a 404, which the
 * console words as a page to reload. In headless Chromium against the real API and the
 * console's real build (isolated-console.ts).
 */
const OWNER = { login: "owner-chunks", password: "correct horse battery staple" };
/** Vite's chunk size warning (build.chunkSizeWarningLimit's default, in kB of 1000 bytes). */
const WARNING_BYTES = 500 * 1000;

describe("console: pages in chunks, loaded when shown", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let assets: string[] = [];
  const chunk = (prefix: string) =>
    assets.find((name) => name.startsWith(`${prefix}-`) && name.endsWith(".js"));

  beforeAll(async () => {
    // Its own copy of the build: a test below removes a chunk from it.
    ic = await startIsolatedConsole({ name: "chunks", owner: OWNER, ownBuild: true });
    assets = readdirSync(join(ic.dist, "assets"));
    const signedIn = await signIn(ic, OWNER);
    // A context of its own (nothing in its cache yet) with the session: heard from its first request.
    const context = await ic.browser.newContext({ viewport: ic.viewport, locale: "en-GB" });
    await context.addCookies(await signedIn.context().cookies());
    await signedIn.context().close();
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  /** The console's files the page fetches while `work` runs, by file name, with their answers. */
  async function fetched(work: () => Promise<void>): Promise<Map<string, Response>> {
    const seen = new Map<string, Response>();
    const listen = (response: Response) => {
      const path = new URL(response.url()).pathname;
      if (path.startsWith("/assets/")) seen.set(path.slice("/assets/".length), response);
    };
    page.on("response", listen);
    try {
      await work();
    } finally {
      page.off("response", listen);
    }
    return seen;
  }

  it("no chunk of the build passes Vite's 500 kB warning; React, the router and the other libraries are chunks of their own", () => {
    const scripts = assets.filter((name) => name.endsWith(".js"));
    expect(scripts.length).toBeGreaterThan(20);
    for (const name of scripts)
      expect(statSync(join(ic.dist, "assets", name)).size, name).toBeLessThan(WARNING_BYTES);
    for (const vendor of ["react", "router", "vendor", "index"]) expect(chunk(vendor), vendor).toBeDefined();
  });

  it("the dashboard loads the shell and its own page only; another page's chunk loads when it is shown; hashed chunks are cached for good, the page is not", async () => {
    const documents: Array<Response | null> = [];
    const first = await fetched(async () => {
      documents.push(await page.goto(`${ic.url}/s/${ic.spaceId}`));
      await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    });
    expect(documents[0]?.headers()["cache-control"]).toBe("no-cache");
    const loaded = [...first.keys()];
    for (const name of ["index", "react", "router", "vendor", "DashboardPage"])
      expect(loaded, name).toContain(chunk(name));
    for (const name of ["SettingsPage", "GroupsPage", "WhatIfPage", "LoginPage", "AccountDetailPage"])
      expect(loaded, name).not.toContain(chunk(name));
    for (const [name, response] of first) {
      expect(response.status(), name).toBe(200);
      expect(response.headers()["cache-control"], name).toBe("public, max-age=31536000, immutable");
    }

    const settings = await fetched(async () => {
      await page.getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { name: "Settings", level: 1 }).waitFor();
    });
    expect([...settings.keys()]).toContain(chunk("SettingsPage"));
    expect([...settings.keys()]).not.toContain(chunk("react"));
  });

  it("a page's chunk gone since the window opened (Orchard updated): a 404, and the page says to reload, which then shows it", async () => {
    const name = chunk("WhatIfPage") ?? "";
    const file = join(ic.dist, "assets", name);
    renameSync(file, `${file}.gone`);
    let missing: Response | undefined;
    try {
      const tried = await fetched(async () => {
        await page.getByRole("link", { name: "What-if" }).click();
        await page.getByRole("alert").filter({ hasText: "This page could not be loaded" }).waitFor();
      });
      missing = tried.get(name);
      await shot(page, "chunks-page-not-loaded");
    } finally {
      renameSync(`${file}.gone`, file);
    }
    expect(missing?.status()).toBe(404);
    expect(missing?.headers()["content-type"]).toMatch(/^text\/plain/);
    // The sidebar and the top bar stay: only the page is missing.
    await page.getByRole("link", { name: "Settings" }).waitFor();
    await page.getByRole("button", { name: "Reload" }).click();
    await page.getByRole("heading", { name: "What-if", level: 1 }).waitFor();
  });

  it("while a page's chunk loads, the shell shows the loading state, in French too", async () => {
    const fr = await ic.browser.newContext({ locale: "fr-FR", viewport: ic.viewport });
    try {
      await fr.addCookies(await page.context().cookies());
      const frPage = await fr.newPage();
      // Held until seen: the page's chunk answers only once "Chargement…" shows.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      await frPage.route(`**/assets/${chunk("GroupsPage")}`, async (route) => {
        await held;
        await route.continue();
      });
      await frPage.goto(`${ic.url}/s/${ic.spaceId}/groups`);
      // In the shell's main area: the Suspense of Layout.tsx, not the shell's own loading.
      await frPage.getByRole("navigation").first().waitFor();
      await frPage.locator("#main").getByRole("status").filter({ hasText: "Chargement…" }).waitFor();
      release();
      await frPage.getByRole("heading", { name: "Groupes", level: 1 }).waitFor();
    } finally {
      await fr.close();
    }
  });
});
