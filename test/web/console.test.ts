import { sql } from "kysely";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { setAssetMetadata } from "../../src/store/asset-metadata.repo.js";
import {
  createDevices,
  createGroup,
  createUser,
  listAccounts,
  requestLicenses,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { type Harness, OWNER, READER, shot, signIn, startHarness } from "./harness.js";

/**
 * The administrator console in headless Chromium against the real server (in-memory
 * PGlite, in-process Apple simulator). The journeys run in order on one owner session.
 */
describe("administrator console", () => {
  let h: Harness;
  let page: Page;
  const app = { adamId: "408709785", name: "Keynote Pro" };

  beforeAll(async () => {
    h = await startHarness();
    page = await signIn(h, OWNER);
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it("signs in and renders the dashboard", async () => {
    await expect(page.getByRole("navigation", { name: "Main navigation" }).isVisible()).resolves.toBe(true);
    await page.getByText("No account yet").first().waitFor();
    await shot(page, "01-dashboard-empty");
  });

  it("AC1: adds an account by uploading an sToken made by the simulator's operator", async () => {
    const { sToken } = h.orchard.simulator?.operator.createLocation({
      orgName: "Acme Schools",
      locationName: "Paris campus",
    }) ?? { sToken: "" };
    expect(sToken).not.toBe("");
    await page.getByRole("link", { name: "Accounts" }).click();
    await page.getByRole("button", { name: "Add account" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add an Apps and Books account" });
    await dialog.getByLabel("Display name").fill("Paris campus");
    await dialog
      .getByLabel("Token file")
      .setInputFiles({ name: "paris.vpptoken", mimeType: "text/plain", buffer: Buffer.from(sToken) });
    await expect(
      dialog.getByLabel("Automatically distribute Apps and Books apps to all users").isChecked(),
    ).resolves.toBe(true);
    await expect(
      dialog.getByLabel("Clear all previous Apps and Books license data").isChecked(),
    ).resolves.toBe(false);
    await shot(page, "02-add-account");
    await dialog.getByRole("button", { name: "Add account" }).click();
    await page.getByRole("link", { name: "Paris campus" }).waitFor();
    await shot(page, "03-accounts");
    await page.getByRole("link", { name: "Paris campus" }).click();
    await page.getByText("Acme Schools").waitFor();
    await page.getByText("CA2").waitFor();
  });

  it("VU4: lists the account's apps with price, total, available and used", async () => {
    // Apple's side of a sync: what the sync engine writes when it reads the account's assets.
    const [account] = await listAccounts(h.orchard.store.db, h.spaceId);
    if (!account) throw new Error("no account");
    await upsertAsset(
      h.orchard.store.db,
      {
        spaceId: h.spaceId,
        accountId: account.id,
        adamId: app.adamId,
        name: app.name,
        pricingParam: "STDQ",
        productType: "App",
        total: 40,
        deviceAssignable: true,
        platforms: ["iOS"],
        price: 9.99,
        used: 0,
      },
      new Date(),
    );
    await page.getByRole("link", { name: "Apps and Books" }).click();
    const row = page.getByRole("row", { name: /Keynote Pro/ });
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/9\.99[\s\S]*40[\s\S]*40[\s\S]*0/);
    await shot(page, "04-apps");
  });

  it("DI1: edits an app's rules and shows the validation error on the field (DI7)", async () => {
    const user = await createUser(h.orchard.store.db, { spaceId: h.spaceId, name: "Ada Lovelace" });
    await createGroup(h.orchard.store.db, { spaceId: h.spaceId, name: "Teachers" });
    expect(user.id).toBeTruthy();
    await page.getByRole("link", { name: app.name }).click();
    await page.getByRole("tab", { name: /First come, first served/ }).waitFor();
    await page.getByRole("button", { name: "Distribute licenses" }).click();
    const dialog = page.getByRole("dialog");
    const reserved = dialog.locator('[data-field="reservedUserIds"]');
    const prohibited = dialog.locator('[data-field="prohibitedUserIds"]');
    await reserved.getByLabel("Ada Lovelace").check();
    await prohibited.getByLabel("Ada Lovelace").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    const error = reserved.getByRole("alert");
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/prohibited/i);
    await shot(page, "05-rules-validation");
    await prohibited.getByRole("button", { name: "Remove Ada Lovelace" }).click();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("tab", { name: /Reserved/ }).click();
    await page.getByRole("tabpanel").getByText("Ada Lovelace").waitFor();
  });

  it("VU2: an app bought through an account shows one tab per rule and the log; an app only in the catalog shows no account's rules", async () => {
    // Keynote Pro is bought through the account added above.
    await page.goto(`${h.url}/s/${h.spaceId}/apps/${app.adamId}`);
    const tabs = page.getByRole("tablist", { name: "License rules" }).getByRole("tab");
    await tabs.first().waitFor();
    await expect(tabs.allTextContents()).resolves.toEqual([
      expect.stringMatching(/^First come, first served/),
      expect.stringMatching(/^Reserved/),
      expect.stringMatching(/^Prohibited/),
      expect.stringMatching(/^Log/),
    ]);
    await tabs.filter({ hasText: /^Log/ }).click();
    await page.getByRole("tabpanel").waitFor();
    const catalogOnly = "1111111111";
    await setCatalogApp(h.orchard.store.db, { spaceId: h.spaceId, adamId: catalogOnly }, new Date());
    await page.goto(`${h.url}/s/${h.spaceId}/apps/${catalogOnly}`);
    await page.getByText("No account of this space bought this app.").waitFor();
    await expect(page.getByRole("tablist", { name: "License rules" }).count()).resolves.toBe(0);
    // Back where the next journey starts.
    await page.goto(`${h.url}/s/${h.spaceId}/apps/${app.adamId}`);
    await tabs.first().waitFor();
  });

  it("DB5, VU4: the device-license reminder shows only when the API says so; apps show a name badge, never cross-origin artwork", async () => {
    // Device-based is chosen (All Users FCFS, mandatory: device) but nothing says custom or Productivity.
    await page.getByRole("button", { name: "Distribute licenses" }).click();
    let dialog = page.getByRole("dialog");
    await dialog.getByText("Mandatory app").first().waitFor();
    expect(await dialog.getByText("Check device licensing with the developer").count()).toBe(0);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    // The sync's store lookup finds a Productivity app.
    const [account] = await listAccounts(h.orchard.store.db, h.spaceId);
    if (!account) throw new Error("no account");
    await setAssetMetadata(h.orchard.store.db, {
      spaceId: h.spaceId,
      accountId: account.id,
      adamId: app.adamId,
      now: new Date(),
      metadata: {
        custom: false,
        name: app.name,
        price: 9.99,
        genre: "Productivity",
        bundleId: "com.example.keynotepro",
        artworkUrl: "https://is1-ssl.mzstatic.com/image/thumb/keynote/512x512bb.jpg",
        latestVersion: "3.2",
      },
    });
    await page.getByRole("link", { name: "Apps and Books", exact: true }).click();
    await page.reload(); // drop the console's cached rows
    const row = page.getByRole("row", { name: /Keynote Pro/ });
    await row.getByText(/Productivity · Version 3\.2/).waitFor();
    expect(await row.locator("img").count()).toBe(0); // img-src is 'self' data: only
    await expect(row.locator(".app-icon-initial").textContent()).resolves.toBe("K");
    await page.getByRole("link", { name: app.name }).click();
    await page.getByRole("button", { name: "Distribute licenses" }).click();
    dialog = page.getByRole("dialog");
    await dialog.getByText("Check device licensing with the developer").waitFor();
    await shot(page, "09-db5-reminder");
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("DB2, UB3: the app page lists who waits for a license, in the order they are served; the apps list counts them", async () => {
    const { db } = h.orchard.store;
    const [account] = await listAccounts(db, h.spaceId);
    if (!account) throw new Error("no account");
    const waitingApp = { adamId: "409201541", name: "Pages Pro" };
    await upsertAsset(
      db,
      {
        spaceId: h.spaceId,
        accountId: account.id,
        adamId: waitingApp.adamId,
        name: waitingApp.name,
        pricingParam: "STDQ",
        productType: "App",
        total: 1,
        deviceAssignable: true,
        platforms: ["iOS"],
        used: 0,
      },
      new Date(),
    );
    await setCatalogApp(
      db,
      { spaceId: h.spaceId, adamId: waitingApp.adamId, installOnDevice: true },
      new Date(),
    );
    const key = { spaceId: h.spaceId, accountId: account.id, adamId: waitingApp.adamId };
    await setAppRules(
      db,
      {
        ...key,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      new Date(),
    );
    const [first, second, third] = await createDevices(
      db,
      ["WAIT-FIRST", "WAIT-SECOND", "WAIT-THIRD"].map((serialNumber) => ({
        spaceId: h.spaceId,
        serialNumber,
        platform: "iOS" as const,
        supervised: true,
      })),
    );
    for (const [i, d] of [first, second, third].entries()) {
      await requestLicenses(db, {
        spaceId: h.spaceId,
        adamId: waitingApp.adamId,
        requests: [
          {
            spaceId: h.spaceId,
            adamId: waitingApp.adamId,
            subject: { kind: "device", deviceId: d?.id ?? "" },
            why: "mandatory",
          },
        ],
        actor: { kind: "mdm" },
        now: new Date(Date.now() - (3 - i) * 60_000),
      });
    }
    await page.getByRole("link", { name: "Apps and Books", exact: true }).click();
    await page.reload();
    const row = page.getByRole("row", { name: /Pages Pro/ });
    await row.waitFor();
    await expect(row.locator("td").nth(5).textContent()).resolves.toBe("2");
    await row.getByRole("link", { name: waitingApp.name }).click();
    const queue = page.getByRole("table", { name: "Waiting for a license" });
    await queue.waitFor();
    await page.getByText("Waiting for a license: 2").waitFor();
    const rows = queue.getByRole("row");
    await expect(rows.nth(1).textContent()).resolves.toMatch(
      /^1WAIT-SECOND.*The app is mandatory on the device.*A free license/,
    );
    await expect(rows.nth(2).textContent()).resolves.toMatch(/^2WAIT-THIRD/);
    await shot(page, "09b-waiting-queue");
    // A search keeps each one's place in the whole queue.
    await page.getByLabel("Search by user name or serial number").fill("third");
    await expect.poll(() => rows.count()).toBe(2);
    await expect(rows.nth(1).textContent()).resolves.toMatch(/^2WAIT-THIRD/);
  });

  it("explains a decision with its rule ids and their sentences", async () => {
    await page.getByRole("link", { name: "Explain a decision" }).click();
    await page.getByLabel("App", { exact: true }).selectOption(app.adamId);
    await page.locator('[data-field="user"]').getByLabel("Ada Lovelace").check();
    await page.getByRole("button", { name: "Explain" }).click();
    await page.getByRole("heading", { name: "Rules applied" }).waitFor();
    const rules = await page.locator(".rule-list").textContent();
    expect(rules).toMatch(/[A-Z]{2}\d — \S/);
    await shot(page, "06-explain");
  });

  it("switches to French and shows French labels and rule sentences", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Expliquer une décision" }).waitFor();
    await expect(
      page.getByRole("navigation", { name: "Navigation principale" }).textContent(),
    ).resolves.toContain("Tableau de bord");
    await page.getByRole("link", { name: "Comptes" }).click();
    await page.getByRole("heading", { name: "Comptes" }).waitFor();
    await page.getByRole("button", { name: "Ajouter un compte" }).waitFor();
    await shot(page, "07-accounts-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("invariant 4, AC1, DI1: the activity log words each line in French from its message key and params; a line written before keys shows as stored", async () => {
    await sql`insert into activity_log (space_id, at, actor_kind, action, rule_ids, message)
      values (${h.spaceId}, now(), 'system', 'account.synced', '{}', 'written by an older Orchard')`.execute(
      h.orchard.store.db,
    );
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("link", { name: "Journal d'activité" }).click();
    await page.getByRole("heading", { name: "Journal d'activité" }).waitFor();
    // Written by the journeys above: the account added (AC1), its first sync, its rules (DI1).
    await page.getByRole("cell", { name: "compte Paris campus ajouté" }).waitFor();
    await page
      .getByRole("cell", { name: /^resynchronisation complète : apps : \d+ \(nouvelles : / })
      .waitFor();
    await page
      .getByRole("cell", { name: /^règles de licence définies : groupes premier arrivé/ })
      .first()
      .waitFor();
    await page.getByRole("cell", { name: "written by an older Orchard" }).waitFor();
    await shot(page, "10-activity-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await page.getByRole("cell", { name: "account Paris campus added" }).waitFor();
    await page
      .getByRole("cell", { name: /^license rules set: \d+ FCFS groups/ })
      .first()
      .waitFor();
  });

  it("PM1: a read-only administrator sees no write buttons", async () => {
    const reader = await signIn(h, READER);
    await reader.getByText("Read-only").first().waitFor();
    await reader.getByRole("link", { name: "Accounts" }).click();
    await reader.getByRole("link", { name: "Paris campus" }).waitFor();
    expect(await reader.getByRole("button", { name: "Add account" }).count()).toBe(0);
    expect(await reader.getByRole("button", { name: /Update token|Resync|Delete/ }).count()).toBe(0);
    await reader.getByRole("link", { name: "Apps and Books" }).click();
    await reader.getByRole("link", { name: app.name }).click();
    await reader.getByRole("tab", { name: /Reserved/ }).waitFor();
    expect(await reader.getByRole("button", { name: /Distribute licenses|Revoke/ }).count()).toBe(0);
    await shot(reader, "08-read-only-app");
    await reader.context().close();
  });
});
