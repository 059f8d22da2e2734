import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { sql } from "kysely";
import { type Browser, chromium, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../src/api/app.js";
import { registerConsole } from "../../src/api/console.js";
import { createAdministrator } from "../../src/auth/auth.service.js";
import { loadConfig } from "../../src/config.js";
import { type Core, openCore } from "../../src/main/compose.js";
import { ensureDefaultSpace } from "../../src/main/server.js";
import {
  createAccount,
  createGroup,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { shot } from "./harness.js";

/**
 * The built-in All Users group in the console: the API keeps its English name, the console
 * words it in its own language wherever a group is shown (the app's rules panel, the rules
 * editor's chips and list). Built into a folder of its own, as the other console suites run
 * at the same time.
 */
const WEB = resolve(import.meta.dirname, "../../web");
const OWNER = { login: "owner-groups", password: "correct horse battery staple" };

describe("console: the All Users group in the console's language", () => {
  let core: Core;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let url = "";
  let spaceId = "";
  let dist = "";
  let dataDir = "";
  const adamId = "361309726";

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), "orchard-web-dist-"));
    await build({
      configFile: join(WEB, "vite.config.ts"),
      logLevel: "warn",
      build: { outDir: dist, emptyOutDir: true, sourcemap: false },
    });
    dataDir = mkdtempSync(join(tmpdir(), "orchard-web-groups-"));
    const config = loadConfig({
      ORCHARD_DATA_DIR: dataDir,
      ORCHARD_SECRET_KEY: randomBytes(32).toString("hex"),
      LOG_LEVEL: "warn",
    });
    core = await openCore(config, { memory: true });
    app = await buildApi(
      {
        deps: core.deps,
        ping: async () => void (await sql`select 1`.execute(core.store.db)),
        secureCookies: false,
      },
      { logLevel: "warn", loginRateLimit: 1000, console: false },
    );
    await registerConsole(app, dist);
    spaceId = await ensureDefaultSpace(core);
    const now = new Date();
    const db = core.store.db;
    await createAdministrator(db, { ...OWNER, displayName: "Olivia Owner", isOwner: true, now });
    // AC1: the account distributes to All Users; the app's FCFS groups are All Users and Teachers.
    const account = await createAccount(db, core.store.keys, {
      spaceId,
      displayName: "Lyon campus",
      sToken: "not-a-real-token",
    });
    await upsertAsset(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId,
        name: "Pages",
        pricingParam: "STDQ",
        productType: "App",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      now,
    );
    await setCatalogApp(db, { spaceId, adamId, name: "Pages" }, now);
    const teachers = await createGroup(db, { spaceId, name: "Teachers" });
    await setAppRules(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId,
        fcfs: { groupIds: ["all-users", teachers.id], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "system" },
      now,
    );
    await app.listen({ host: "127.0.0.1", port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: "en-GB" });
    page = await context.newPage();
    await page.goto(`${url}/login`);
    await page.getByLabel("Login").fill(OWNER.login);
    await page.getByLabel("Password").fill(OWNER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await core?.close();
    if (dist) rmSync(dist, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** The FCFS tab's group names and, in the rules editor, its chips and the checked groups of its list. */
  async function groupsShown(edit: string, cancel: string) {
    const panel = page.getByRole("tabpanel");
    await panel.locator(".name-list li").first().waitFor();
    const listed = await panel.locator(".name-list li").allTextContents();
    await page.getByRole("button", { name: edit }).click();
    const dialog = page.getByRole("dialog");
    const fcfs = dialog.locator('[data-field="fcfs"]');
    await fcfs.locator(".picklist-options input").first().waitFor();
    const chips = (await fcfs.locator(".chip").allTextContents()).map((c) => c.replace(/×$/, "").trim());
    const checked = await fcfs
      .locator(".picklist-options label")
      .filter({ has: page.locator("input:checked") })
      .allTextContents();
    await dialog.getByRole("button", { name: cancel }).click();
    await dialog.waitFor({ state: "hidden" });
    return { listed, chips: chips.sort(), checked: checked.map((c) => c.trim()).sort() };
  }

  it("AC1, DI7, VU2: the rules panel and the rules editor name All Users in English, and in French 'Tous les utilisateurs'; another group keeps its name", async () => {
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await page.getByRole("tab", { name: /First come, first served/ }).waitFor();
    const en = await groupsShown("Distribute licenses", "Cancel");
    expect(en.listed).toEqual(["All Users", "Teachers"]);
    expect(en.chips).toEqual(["All Users", "Teachers"]);
    expect(en.checked).toEqual(["All Users", "Teachers"]);

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("tab", { name: /Premier arrivé, premier servi/ }).waitFor();
    const fr = await groupsShown("Distribuer les licences", "Annuler");
    expect(fr.listed).toEqual(["Tous les utilisateurs", "Teachers"]);
    expect(fr.chips).toEqual(["Teachers", "Tous les utilisateurs"]);
    expect(fr.checked).toEqual(["Teachers", "Tous les utilisateurs"]);
    expect(JSON.stringify(fr)).not.toContain("All Users");
    await shot(page, "30-rules-all-users-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });
});
