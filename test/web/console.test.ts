import { sql } from "kysely";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminPrincipal, issueApiToken } from "../../src/auth/auth.service.js";
import { ALL_USERS } from "../../src/licensing/index.js";
import { setAssetMetadata } from "../../src/store/asset-metadata.repo.js";
import { findAdminForLogin, listAdmins, listApiTokens, listGrants } from "../../src/store/auth.repo.js";
import {
  activityMessage,
  appendActivity,
  createDevices,
  createGroup,
  createSpace,
  createUser,
  findSpace,
  getAccount,
  insertLicenses,
  listAccounts,
  listSpaces,
  requestLicenses,
  setAppRules,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { evaluateUsage, warnTokenExpiry } from "../../src/sync/index.js";
import { type Harness, OWNER, READER, shot, signIn, startHarness } from "./harness.js";

/** What the licenses page's layout test reads in the page (a string: the test program has no DOM types). */
interface LicensesLayout {
  overflow: number;
  buttonsOutside: number;
  buttons: number;
  toolbarLines: number;
  placeholderCut: boolean;
  chipLines: number;
  captionChips: number;
  space: string | undefined;
}
const MEASURE_LICENSES_LAYOUT = `(() => {
  const wrap = document.querySelector(".table-wrap");
  const card = wrap.closest(".card");
  const toolbar = document.querySelector(".toolbar");
  const input = toolbar.querySelector("input[type=search]");
  const style = getComputedStyle(input);
  const context = document.createElement("canvas").getContext("2d");
  context.font = style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
  const boxes = [...toolbar.children].map((c) => c.getBoundingClientRect());
  const firstLineBottom = Math.min(...boxes.map((b) => b.bottom));
  const buttons = [...document.querySelectorAll(".col-actions button")];
  const chips = [...document.querySelectorAll(".col-rules .chips-inline")].map(
    (c) => new Set([...c.children].map((chip) => Math.round(chip.getBoundingClientRect().top))).size,
  );
  return {
    overflow: wrap.scrollWidth - wrap.clientWidth,
    buttonsOutside: buttons.filter((b) => b.getBoundingClientRect().right > card.getBoundingClientRect().right).length,
    buttons: buttons.length,
    toolbarLines: 1 + boxes.filter((b) => b.top >= firstLineBottom).length,
    placeholderCut: context.measureText(input.placeholder).width > input.clientWidth,
    chipLines: Math.max(0, ...chips),
    captionChips: document.querySelectorAll(".page-description .rule-chip").length,
    space: document.querySelector("#space-switcher option")?.textContent ?? undefined,
  };
})()`;

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
    await page.getByText("Replace the token before it expires").waitFor();
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

  it("DI1: edits an app's rules; a user both reserved and prohibited is said before sending, by name, on the field (DI7)", async () => {
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
    const error = prohibited.getByRole("alert");
    await error.waitFor();
    await expect(error.textContent()).resolves.toBe(
      "Ada Lovelace is reserved above: a user cannot be both reserved and prohibited (DI7). Take them off one list.",
    );
    await shot(page, "05-rules-validation");
    await prohibited.getByRole("button", { name: "Remove Ada Lovelace" }).click();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("tab", { name: /Reserved/ }).click();
    await page.getByRole("tabpanel").getByText("Ada Lovelace").waitFor();
    // DI3: her page says so too, with the account, and that the seat is held for her.
    await page.goto(`${h.url}/s/${h.spaceId}/users/${user.id}`);
    const rules = page.getByRole("table", { name: "License rules naming this user" });
    await rules
      .getByRole("row", { name: /Keynote Pro.*Paris campus.*Reserved.*seat held for them/ })
      .waitFor();
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

  it("MA1, MA2, DB2: explain shows each account in priority order: eligible or not, its seats, and why it was passed over; in French too", async () => {
    // WAIT-SECOND waits for Pages Pro (DB2): its one seat is WAIT-FIRST's.
    await page.getByRole("radiogroup", { name: "User or device" }).getByText("Device").click();
    await page.getByLabel("App", { exact: true }).selectOption("409201541");
    await page.locator('[data-field="device"]').getByLabel("WAIT-SECOND").check();
    await page.getByLabel("Situation").selectOption("mandatory");
    await page.getByRole("button", { name: "Explain" }).click();
    const table = page.getByRole("table", { name: "Accounts considered, in priority order" });
    await table.waitFor();
    const row = table.getByRole("row", { name: /Paris campus/ });
    await expect(row.textContent()).resolves.toMatch(
      /^1Paris campusYes FCFS group.*0 free of 1 \(1 used, 0 held for reservations\)Passed over: no free license MA2$/,
    );
    await shot(page, "06b-explain-accounts");
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    const french = page.getByRole("table", { name: "Comptes examinés, par ordre de priorité" });
    await expect(french.getByRole("row", { name: /Paris campus/ }).textContent()).resolves.toMatch(
      // Each count agrees with its noun: French says "0 libre", "1 utilisée".
      /Oui groupe premier arrivé, premier servi.*0 libre sur 1 \(1 utilisée, 0 retenue par des réservations\)Compte écarté\u00a0: aucune licence libre MA2$/,
    );
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await table.waitFor();
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

  it("AC5, DB2: what-if shows, per affected app by name, today beside the change and the difference, and who is affected by serial number", async () => {
    await page.getByRole("link", { name: "What-if" }).click();
    await page.getByRole("radiogroup", { name: "Proposed change" }).getByText("Token removal").click();
    await page.getByLabel("Account").selectOption({ label: "1. Paris campus" });
    await page.getByRole("button", { name: "Evaluate" }).click();
    // Pages Pro: WAIT-FIRST holds its one seat, WAIT-SECOND and WAIT-THIRD wait today.
    const counts = page.getByRole("table", { name: "Pages Pro: now and after the change" });
    await counts.waitFor();
    const line = (name: string) => counts.getByRole("row", { name }).textContent();
    await expect(line("Licensed")).resolves.toBe("Licensed10−1");
    await expect(line("Waiting")).resolves.toBe("Waiting20−2");
    // WAIT-FIRST, who loses its seat (AC5), is counted after the change too: refused (CA3), as the list says.
    await expect(line("Refused")).resolves.toBe("Refused03+3");
    // The totals above agree with the counts: the holder that loses its seat is counted refused too.
    const tiles = ((await page.locator(".stats").first().textContent()) ?? "").replace(/\s+/g, " ");
    expect(tiles).toContain("Would lose1");
    expect(tiles).toContain("Would be refused3");
    const affected = page.getByRole("table", { name: "Affected users and devices (3)" });
    await expect(affected.getByRole("row", { name: /WAIT-FIRST/ }).textContent()).resolves.toMatch(
      /Loses its licenseHolds a license · Paris campusLoses it; next: RefusedAC5CA3/,
    );
    await expect(affected.getByRole("row", { name: /WAIT-SECOND/ }).textContent()).resolves.toMatch(
      /Would be refusedWaitsRefused/,
    );
    // Keynote Pro has nobody to gain or lose: counted, not shown; no app or device is shown by its id.
    await page.getByText(/^Apps this change does not affect \(not shown\): 1$/).waitFor();
    const text = (await page.locator("main").textContent()) ?? "";
    expect(text).not.toContain("Keynote Pro");
    expect(text).not.toContain("App 409201541");
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    await shot(page, "11-what-if-removal");
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
    // Who the rules change of the DI1 journey reserved, by name, in the console's language.
    await page.getByText("Utilisateurs réservés : + Ada Lovelace").first().waitFor();
    await shot(page, "10-activity-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await page.getByRole("cell", { name: "account Paris campus added" }).waitFor();
    await page
      .getByRole("cell", { name: /^license rules set: \d+ FCFS groups/ })
      .first()
      .waitFor();
    await page.getByText("Reserved users: + Ada Lovelace").first().waitFor();
  });

  it("invariant 4, VU1, VU3: the log, the devices list and the device page name what they show; the device lists its licenses", async () => {
    const { db } = h.orchard.store;
    const [account] = await listAccounts(db, h.spaceId);
    const ada = await db
      .selectFrom("users")
      .select("id")
      .where("space_id", "=", h.spaceId)
      .where("name", "=", "Ada Lovelace")
      .executeTakeFirstOrThrow();
    const [mac] = await createDevices(db, [
      { spaceId: h.spaceId, serialNumber: "C02D0000", platform: "macOS", userId: ada.id },
    ]);
    if (!account || !mac) throw new Error("no account or device");
    const ruleIds = ["MA1", "DI2", "LT1", "DB1"];
    const [licenseId] = await insertLicenses(db, [
      {
        spaceId: h.spaceId,
        accountId: account.id,
        adamId: app.adamId,
        type: "device",
        deviceId: mac.id,
        state: "assigned",
        ruleIds,
        now: new Date(),
      },
    ]);
    await appendActivity(db, [
      {
        spaceId: h.spaceId,
        actor: { kind: "apple" },
        action: "license.assigned",
        deviceId: mac.id,
        adamId: app.adamId,
        accountId: account.id,
        licenseId,
        ruleIds,
        message: activityMessage("license.assigned"),
        at: new Date(),
      },
    ]);

    // The log: action labels, the device's serial number and the app's name; the ids on hover.
    await page.getByRole("link", { name: "Activity log" }).click();
    await page.reload();
    const log = page.getByRole("table", { name: "Activity log" });
    const line = log.getByRole("row").filter({ hasText: "C02D0000" }).first();
    await line.waitFor();
    await expect(line.textContent()).resolves.toMatch(/License assigned.*C02D0000.*Keynote Pro/);
    await expect(line.getByRole("link", { name: "C02D0000" }).getAttribute("title")).resolves.toBe(mac.id);
    await expect(line.getByRole("link", { name: app.name }).getAttribute("title")).resolves.toBe(app.adamId);
    const shown = (await log.textContent()) ?? "";
    expect(shown).not.toMatch(/\b(license|account|catalog|rules|mdm|user)\.[a-z_]+/);
    expect(shown).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    await page.getByLabel("Action").selectOption({ label: "Account added" });
    // Polled first: the table's previous rows may still be shown while the filtered page arrives
    // (the owner's name is on several of them).
    await expect.poll(() => log.getByRole("row").count()).toBe(2);
    await log.getByRole("cell", { name: "account Paris campus added" }).waitFor();
    // Who did it, by name: the owner who added it in the console (invariant 4).
    await log.getByRole("cell", { name: "Administrator · Olivia Owner" }).waitFor();
    await shot(page, "11-activity-names");

    // The devices list names the user; the device page lists the device's licenses.
    await page.getByRole("link", { name: "Devices", exact: true }).click();
    await page.reload();
    const device = page.getByRole("row", { name: /C02D0000/ });
    await device.getByRole("link", { name: "Ada Lovelace" }).waitFor();
    // Filtered by platform and status, in the URL: the Mac alone, then none retired.
    const listed = page.getByRole("table", { name: "Devices" }).getByRole("row");
    await page.getByLabel("Platform").selectOption("macOS");
    await page.waitForURL(/\/devices\?platform=macOS$/);
    await expect.poll(() => listed.count()).toBe(2);
    await page.getByLabel("Status").selectOption("retired");
    await page.getByText("Nothing matches this search.").waitFor();
    await page.getByLabel("Status").selectOption("");
    await page.getByLabel("Platform").selectOption("");
    await expect.poll(() => listed.count()).toBeGreaterThan(2);
    await device.getByRole("link", { name: "C02D0000" }).click();
    const licenses = page.getByRole("table", { name: "Licenses" });
    await licenses.getByRole("link", { name: app.name }).waitFor();
    await expect
      .poll(async () => (await licenses.textContent()) ?? "")
      .toMatch(/Device.*Assigned.*License assigned/);
    await shot(page, "12-device-licenses");

    // Invariant 4: the device's history is the log filtered by it, in the URL, shown as a chip.
    await page.getByRole("link", { name: "History" }).click();
    await page.waitForURL(new RegExp(`/activity\\?device=${mac.id}$`));
    const history = page.getByRole("list", { name: "History of" });
    await history.getByText("Device: C02D0000").waitFor();
    const logged = page.getByRole("table", { name: "Activity log" });
    await expect.poll(() => logged.getByRole("row").count()).toBe(2);
    await expect(logged.getByRole("row").nth(1).textContent()).resolves.toMatch(/License assigned.*C02D0000/);
    await shot(page, "12b-device-history");
    // The license's own history, from its last action; removing the chip shows the whole log again.
    await page.goBack();
    await licenses.getByRole("link", { name: "License assigned" }).click();
    await page.waitForURL(new RegExp(`/activity\\?license=${licenseId}$`));
    await expect.poll(() => logged.getByRole("row").count()).toBe(2);
    await history.getByRole("button", { name: /^Remove the filter License: / }).click();
    await page.waitForURL(/\/activity$/);
    await expect.poll(() => logged.getByRole("row").count()).toBeGreaterThan(2);
    // A rule the catalogue does not have, or a period ending before it starts, is said beside
    // the filters, and the log stays listed (no page-wide error, nothing sent to retry).
    const all = await logged.getByRole("row").count();
    await page.getByLabel("Rule", { exact: true }).fill("zz9");
    await page
      .getByRole("alert")
      .getByText(/^No rule is named ZZ9: /)
      .waitFor();
    await expect(logged.getByRole("row").count()).resolves.toBe(all);
    await page.getByLabel("Rule", { exact: true }).fill("");
    await page.getByLabel("From", { exact: true }).fill("2026-12-01");
    await page.getByLabel("To", { exact: true }).fill("2026-11-01");
    await page
      .getByRole("alert")
      .getByText(/^From \(1 Dec 2026\) is after To \(1 Nov 2026\)/)
      .waitFor();
    await expect(logged.getByRole("row").count()).resolves.toBe(all);
    await page.getByLabel("From", { exact: true }).fill("");
    await page.getByLabel("To", { exact: true }).fill("");
    await page.goto(`${h.url}/s/${h.spaceId}/devices/${mac.id}`);
    await licenses.getByRole("link", { name: app.name }).waitFor();

    // VU1: the user's device license shows the app's version and the device's platform.
    await page.getByRole("link", { name: "Ada Lovelace" }).click();
    const usage = page
      .getByRole("table", { name: "License usage" })
      .getByRole("row", { name: /Keynote Pro/ });
    await expect
      .poll(async () => (await usage.first().textContent()) ?? "")
      .toMatch(/Keynote Pro3\.2.*macOS/);
    // Its details are the Mac's license: the licenses list filtered by the device, not the user.
    await usage.first().getByRole("link", { name: "Details" }).click();
    await page.waitForURL(new RegExp(`/licenses\\?app=${app.adamId}&device=${mac.id}$`));
    await page
      .getByRole("table", { name: "Licenses" })
      .getByRole("row", { name: /C02D0000/ })
      .waitFor();
  });

  it("invariant 4: in French, the log's search finds lines by the words the console shows them in (the server keeps English) and by a device's serial number", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("link", { name: "Journal d'activité" }).click();
    const log = page.getByRole("table", { name: "Journal d'activité" });
    await log.getByRole("cell", { name: "compte Paris campus ajouté" }).waitFor();
    const search = page.getByRole("searchbox", {
      name: "Message, numéro de série, utilisateur, app ou compte",
    });
    const slow = { timeout: 30_000 }; // the search box waits 250 ms before it asks; a loaded CI machine is slower
    // Every line shown, polled: the previous rows stay while the search's page arrives.
    const lines = () => log.locator("tbody tr").allTextContents();
    const all = (words: string) => async () => {
      const shown = await lines();
      return shown.length > 0 && shown.every((line) => line.includes(words));
    };
    // license.assigned reads "assigned at Apple" in English, "attribution confirmée par Apple" here.
    await search.fill("CONFIRMEE par");
    await expect.poll(all("attribution confirmée par Apple"), slow).toBe(true);
    await log.getByRole("row").filter({ hasText: "C02D0000" }).first().waitFor();
    await search.fill("c02d0000");
    await expect.poll(all("C02D0000"), slow).toBe(true);
    await search.fill("");
    await log.getByRole("cell", { name: "compte Paris campus ajouté" }).waitFor();
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("at 1366×768, in French and in English, the licenses table fits its card, its filters one line, its search placeholder whole, its rule chips two a line", async () => {
    await page.setViewportSize({ width: 1366, height: 768 });
    const measure = async () => (await page.evaluate(MEASURE_LICENSES_LAYOUT)) as LicensesLayout;
    // The language group is named in the language it switches from.
    for (const [lng, group, title] of [
      ["FR", "Language", "Licences"],
      ["EN", "Langue", "Licenses"],
    ] as const) {
      await page.getByRole("group", { name: group }).getByRole("button", { name: lng }).click();
      await page.getByRole("link", { name: title, exact: true }).click();
      await page
        .getByRole("table", { name: title })
        .getByRole("row", { name: /C02D0000/ })
        .waitFor();
      // Polled: the filters' choices (apps, accounts) arrive after the table.
      await expect.poll(measure, { message: lng, timeout: 5_000 }).toMatchObject({
        overflow: 0,
        buttonsOutside: 0,
        toolbarLines: 1,
        placeholderCut: false,
        captionChips: 0,
        space: "Default",
      });
      const layout = await measure();
      await shot(page, `13-licenses-1366-${lng.toLowerCase()}`);
      expect(layout.buttons, lng).toBeGreaterThan(0);
      expect(layout.chipLines, lng).toBeLessThanOrEqual(2);
    }
    await page.setViewportSize({ width: 1360, height: 860 });
  });

  it("at 390px wide (a phone), in English and in French: each page fits the screen, its tables scroll sideways inside their card; the navigation is a menu opened from the top bar, closed by the page it opens", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = async () =>
      Number(
        await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"),
      );
    const nav = page.getByRole("navigation", { name: /Main navigation|Navigation principale/ });
    try {
      for (const [lng, group, menu, pages] of [
        ["EN", "Language", "Menu", ["Apps and Books", "Licenses", "Accounts", "Devices", "Dashboard"]],
        // The language group is named in the language it switches from.
        ["FR", "Language", "Menu", ["Apps et livres", "Licences", "Comptes", "Appareils", "Tableau de bord"]],
      ] as const) {
        await page.getByRole("group", { name: group }).getByRole("button", { name: lng }).click();
        for (const name of pages) {
          // Polled: the menu slides out of view (0.15 s) once the page is narrow or shown.
          await expect.poll(() => nav.isVisible(), { message: `${lng} before ${name}` }).toBe(false);
          await page.getByRole("button", { name: menu, exact: true }).click();
          await nav.getByRole("link", { name, exact: true }).click();
          await page.getByRole("heading", { level: 1, name }).waitFor();
          await expect.poll(() => nav.isVisible(), { message: `${lng} ${name}` }).toBe(false);
          await expect
            .poll(overflow, { message: `${lng} ${name}: wider than the screen` })
            .toBeLessThanOrEqual(0);
        }
        await shot(page, `14-dashboard-390-${lng.toLowerCase()}`);
      }
      // Escape closes the menu too.
      await page.getByRole("button", { name: "Menu", exact: true }).click();
      await nav.waitFor({ state: "visible" });
      await page.keyboard.press("Escape");
      await nav.waitFor({ state: "hidden" });
    } finally {
      await page
        .getByRole("group", { name: "Langue" })
        .getByRole("button", { name: "EN" })
        .click()
        .catch(() => {});
      await page.setViewportSize({ width: 1360, height: 860 });
    }
  });

  it("NT1, NT2, NT3, AC2: notifications in French name the app and the account, fold an app's levels into one row acknowledged with it; the dashboard counts an expiring token; the account page offers Update token", async () => {
    const db = h.orchard.store.db;
    const [account] = await listAccounts(db, h.spaceId);
    if (!account) throw new Error("no account");
    const goodNotes = "1444383602";
    await upsertAsset(
      db,
      {
        spaceId: h.spaceId,
        accountId: account.id,
        adamId: goodNotes,
        name: "GoodNotes 5",
        pricingParam: "STDQ",
        productType: "App",
        total: 10,
        used: 9,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      new Date(),
    );
    // The real writers: 90 % reached at once raises 50, 70, 80 and 90 % (NT1); a token 6 days from expiry (NT2).
    await evaluateUsage(h.orchard.sync, { spaceId: h.spaceId, accountId: account.id, adamId: goodNotes });
    await sql`update accounts set token_expires_at = now() + interval '143 hours' where id = ${account.id}`.execute(
      db,
    );
    await warnTokenExpiry(h.orchard.sync, [await getAccount(db, h.spaceId, account.id)]);
    const unacknowledged = async () =>
      (
        await sql<{ n: number }>`select count(*)::int as n from notifications
          where space_id = ${h.spaceId} and acknowledged_at is null`.execute(db)
      ).rows[0]?.n;

    await page.goto(`${h.url}/s/${h.spaceId}`);
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: "EN" })
      .click();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await page.getByText("1 needs attention").waitFor();
    await page.getByText("Token expires in 6 days").waitFor();
    // NT1, DB2: the apps about to run out, and those someone waits for, before any threshold mail.
    const low = page.getByRole("list", { name: "Apps running low" });
    await low.getByRole("link", { name: "GoodNotes 5" }).waitFor();
    await expect(
      low.getByRole("listitem").filter({ hasText: "GoodNotes 5" }).textContent(),
    ).resolves.toContain("1 free of 10");
    await expect(low.getByRole("listitem").filter({ hasText: "Pages Pro" }).textContent()).resolves.toMatch(
      /0 free of 1.*2 waiting/,
    );
    await shot(page, "10b-dashboard-apps-low");

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("link", { name: "Notifications" }).click();
    const usage = "Utilisation des licences de GoodNotes 5 (Paris campus) : 90 % atteints";
    await page.getByRole("button", { name: usage }).waitFor();
    await page.getByRole("button", { name: "Le jeton de Paris campus expire dans 6 jours" }).waitFor();
    expect(await page.getByRole("button", { name: /GoodNotes 5/ }).count()).toBe(1); // 4 stored, 1 row
    const row = page.getByRole("row", { name: /GoodNotes 5/ });
    // A no-break space before "%", as French writes it.
    await expect(row.textContent()).resolves.toContain("a aussi atteint 50, 70, 80\u00a0%");
    await expect(row.textContent()).resolves.toContain("Apps et livres");
    await shot(page, "11-notifications-fr");

    await page.getByRole("button", { name: usage }).click();
    const detail = page.getByRole("dialog", { name: usage });
    await detail.getByRole("link", { name: "GoodNotes 5" }).waitFor();
    await detail.getByRole("link", { name: "Paris campus" }).waitFor();
    const words = (await detail.textContent()) ?? "";
    expect(words).toContain("Seuil");
    // Chromium's French puts U+00A0 before "%", Node's U+202F: a no-break space either way.
    expect(words).toMatch(/9 sur 10 utilisées \(90[\u00a0\u202f]%\)/);
    expect(words).not.toContain(goodNotes);
    expect(words).not.toContain(account.id);
    expect(words).not.toMatch(/percent|threshold|account/);
    // NT1: what to do when licenses run out; acknowledged from the detail itself.
    expect(words).toContain("Achetez d'autres licences de GoodNotes 5 pour Paris campus");
    const before = await unacknowledged();
    await detail.getByRole("button", { name: "Prendre en compte" }).click();
    await detail.waitFor({ state: "hidden" });
    await row.waitFor({ state: "detached" });
    expect(await unacknowledged()).toBe((before ?? 0) - 4); // the row and the 3 levels folded into it
    await page.getByLabel("Sélectionner toutes celles affichées").check();
    await page.getByRole("button", { name: /^Prendre en compte la sélection/ }).click();
    await page.getByText("Rien à signaler").waitFor();
    expect(await unacknowledged()).toBe(0);

    // NT3, "All": a row stays open while a level folded into it is; its badge and its button agree.
    await sql`update notifications set acknowledged_at = null
      where space_id = ${h.spaceId} and adam_id = ${goodNotes} and threshold = 50`.execute(db);
    await page.getByRole("combobox", { name: /Afficher/ }).selectOption("all");
    const reopened = page.getByRole("row", { name: /GoodNotes 5/ });
    await reopened.getByRole("button", { name: "Prendre en compte" }).waitFor();
    await expect(reopened.textContent()).resolves.toContain("Ouverte");
    await expect(reopened.textContent()).resolves.not.toContain("Prise en compte");
    await reopened.getByRole("button", { name: "Prendre en compte" }).click();
    await reopened.getByText("Prise en compte", { exact: true }).waitFor();
    expect(await reopened.getByRole("button", { name: "Prendre en compte" }).count()).toBe(0);
    expect(await unacknowledged()).toBe(0);

    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    // NT2: the accounts list and the account's page say it too, beside a health that is fine.
    await page.goto(`${h.url}/s/${h.spaceId}/accounts`);
    const listed = page.getByRole("row", { name: /Paris campus/ });
    await expect(listed.locator(".health-cell").textContent()).resolves.toBe(
      "HealthyToken expires in 6 days",
    );
    await page.goto(`${h.url}/s/${h.spaceId}/accounts/${account.id}`);
    await page.getByRole("heading", { name: "Paris campus" }).waitFor();
    await page.getByText("Token expires in 6 days").waitFor();
    await page.getByText(/^Token expires on .+: upload a new one before then\.$/).waitFor();
    // The fix is the page's first action, as for a broken token.
    await expect(page.getByRole("button", { name: "Update token" }).getAttribute("class")).resolves.toMatch(
      /primary/,
    );
    await page.getByRole("button", { name: "Update token" }).click();
    const dialog = page.getByRole("dialog", { name: "Update “Paris campus”" });
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Cancel" }).click();
  });

  it("NT3: in French, the notifications' search finds a notification by the words of its French title; a search that finds none says so", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("link", { name: "Notifications" }).click();
    await page.getByRole("combobox", { name: /Afficher/ }).selectOption("all");
    const table = page.getByRole("table", { name: "Notifications" });
    const titles = () => table.locator("tbody tr").allTextContents();
    await page.getByRole("button", { name: "Le jeton de Paris campus expire dans 6 jours" }).waitFor();
    const search = page.getByRole("searchbox", { name: "Titre, app ou compte" });
    const slow = { timeout: 30_000 }; // the search box waits 250 ms before it asks; a loaded CI machine is slower
    // Stored in English: "License usage of GoodNotes 5 (Paris campus) reached 90%".
    await search.fill("Atteints");
    await expect
      .poll(async () => {
        const shown = await titles();
        return shown.length > 0 && shown.every((t) => t.includes("% atteints"));
      }, slow)
      .toBe(true);
    await page.getByRole("button", { name: /GoodNotes 5 \(Paris campus\) : 90 % atteints/ }).waitFor();
    await search.fill("jours");
    await expect
      .poll(titles, slow)
      .toEqual([expect.stringContaining("Le jeton de Paris campus expire dans 6 jours")]);
    await search.fill("aucune notification ne dit cela");
    await page.getByText("Aucun résultat pour cette recherche.").waitFor();
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("PM1: an owner adds an administrator with a role per space (the server's password rules on the field), changes a grant, edits its name and password (its session ends), and removes the administrator; a manage-role administrator sees neither section", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const db = h.orchard.store.db;
    const lyon = await createSpace(db, { name: `Lyon ${suffix}` });
    const login = `ada-${suffix}`;
    const password = `a long initial password ${suffix}`;
    await page.goto(`${h.url}/s/${h.spaceId}/settings`);
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: "EN" })
      .click();
    await page.getByRole("heading", { name: "Administrators" }).waitFor();
    await page.getByRole("button", { name: "Add administrator" }).click();
    const dialog = page.getByRole("dialog", { name: "Add an administrator" });
    // The rules as GET /admins/password-rules reports them.
    await dialog.getByText("At least 12 characters, at most 1000.").waitFor();
    await dialog.getByLabel("Login").fill(login);
    await dialog.getByLabel("Display name").fill("Ada Admin");
    await dialog.getByLabel("Initial password").fill("too short");
    await dialog.getByLabel("E-mail", { exact: true }).fill("not an address");
    await dialog.getByLabel("Default", { exact: true }).selectOption({ label: "Read-only" });
    await dialog
      .getByLabel(`Lyon ${suffix}`, { exact: true })
      .selectOption({ label: "App and content management" });
    await dialog.getByRole("button", { name: "Add administrator" }).click();
    // Both refusals at once: the password's length (the rules the console read) and the
    // server's refusal of the address, each on its field.
    await dialog.getByRole("alert").getByText("Too short: at least 12 characters.").waitFor();
    await expect(dialog.getByLabel("Initial password").getAttribute("aria-invalid")).resolves.toBe("true");
    await expect
      .poll(() => dialog.getByLabel("E-mail", { exact: true }).getAttribute("aria-invalid"))
      .toBe("true");
    await dialog.getByLabel("E-mail", { exact: true }).fill("");
    await dialog.getByLabel("Initial password").fill("still short");
    await dialog.getByRole("button", { name: "Add administrator" }).click();
    // The server's refusal (weak_password, body.password) shows on the password field too.
    await dialog.getByRole("alert").getByText("Too short: at least 12 characters.").waitFor();
    await dialog.getByLabel("Initial password").fill(password);
    await shot(page, "30-settings-add-administrator");
    await dialog.getByRole("button", { name: "Add administrator" }).click();
    await dialog.waitFor({ state: "detached" });
    const row = page
      .getByRole("table", { name: "Administrators" })
      .getByRole("row", { name: new RegExp(login) });
    await expect(row.textContent()).resolves.toMatch(
      new RegExp(
        `Ada Admin.*Administrator.*(Default: Read-only.*Lyon ${suffix}: App and content management|Lyon ${suffix}: App and content management.*Default: Read-only)`,
      ),
    );
    await expect(page.getByRole("table", { name: "Administrators" }).textContent()).resolves.toMatch(
      /ownerOlivia OwnerOwnerEvery space/,
    );
    expect(await page.content()).not.toContain(password);

    // The grant in the default space is taken away; the one in Lyon stays.
    await row.getByRole("button", { name: `Change access of ${login}` }).click();
    const access = page.getByRole("dialog", { name: `Access of “${login}”` });
    await access.getByLabel("Default", { exact: true }).selectOption({ label: "No access" });
    await access.getByRole("button", { name: "Save" }).click();
    await access.waitFor({ state: "detached" });
    await expect.poll(() => row.textContent()).not.toContain("Default: Read-only");
    const ada = (await listAdmins(db)).find((a) => a.login === login);
    if (!ada) throw new Error("not created");
    await expect(listGrants(db, { kind: "admin", id: ada.id })).resolves.toEqual([
      { spaceId: lyon.id, role: "manage" },
    ]);
    await shot(page, "31-settings-administrators");

    // PM1: a manage-role administrator's settings have neither section.
    let adaPage = await signIn(h, { login, password });
    await adaPage.goto(`${h.url}/s/${lyon.id}/settings`);
    await adaPage.getByRole("heading", { name: "API tokens" }).waitFor();
    await adaPage.getByText("App and content management").first().waitFor();
    expect(await adaPage.getByRole("heading", { name: /^(Administrators|Spaces)$/ }).count()).toBe(0);
    expect(await adaPage.getByRole("button", { name: /Add administrator|Create space/ }).count()).toBe(0);

    // An owner edits Ada (in French too): display name, owner role, a new password; a too-short
    // one is refused on its field; the new one ends Ada's session at once and signs in.
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page
      .getByRole("table", { name: "Administrateurs" })
      .getByRole("button", { name: `Modifier ${login}` })
      .click();
    const fr = page.getByRole("dialog", { name: `Modifier « ${login} »` });
    await fr.getByLabel("Nouveau mot de passe").waitFor();
    await fr.getByRole("button", { name: "Annuler" }).click();
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await row.getByRole("button", { name: `Edit ${login}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit “${login}”` });
    await expect(edit.getByLabel("Display name").inputValue()).resolves.toBe("Ada Admin");
    await expect(edit.getByLabel("Owner", { exact: true }).isChecked()).resolves.toBe(false);
    await edit.getByLabel("Display name").fill("Ada Lovelace");
    await edit.getByLabel("New password").fill("too short");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.getByRole("alert").getByText("at least 12", { exact: false }).waitFor();
    await expect(edit.getByLabel("New password").getAttribute("aria-invalid")).resolves.toBe("true");
    const fresh = `a new password for ada ${suffix}`;
    await edit.getByLabel("New password").fill(fresh);
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.waitFor({ state: "detached" });
    await expect.poll(() => row.textContent()).toContain("Ada Lovelace");
    expect(await page.content()).not.toContain(fresh);
    expect((await listAdmins(db)).find((a) => a.login === login)).toMatchObject({
      displayName: "Ada Lovelace",
      isOwner: false,
    });
    await adaPage.reload();
    await adaPage.getByRole("button", { name: "Sign in" }).waitFor();
    await adaPage.context().close();
    adaPage = await signIn(h, { login, password: fresh });

    await row.getByRole("button", { name: `Remove ${login}` }).click();
    const confirm = page.getByRole("dialog", { name: `Remove “${login}”?` });
    await confirm.getByText("They are signed out at once").waitFor();
    await confirm.getByRole("button", { name: "Remove" }).click();
    await row.waitFor({ state: "detached" });
    expect((await listAdmins(db)).map((a) => a.login)).not.toContain(login);
    // The owner cannot remove themselves: no button on their own row.
    const own = page
      .getByRole("table", { name: "Administrators" })
      .getByRole("row", { name: /Olivia Owner/ });
    expect(await own.getByRole("button", { name: /Remove/ }).count()).toBe(0);
    await adaPage.reload();
    await adaPage.getByRole("button", { name: "Sign in" }).waitFor();
    await adaPage.context().close();
  });

  it("PM1: an owner creates an MDM integration token that ends in 90 days; the list shows its role, its end, and an ended token as expired; in French too", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    const db = h.orchard.store.db;
    const owner = await findAdminForLogin(db, OWNER.login);
    if (!owner) throw new Error("no owner");
    const ended = await issueApiToken(db, await adminPrincipal(db, owner, "session"), {
      name: `Old MDM ${suffix}`,
      grants: [{ spaceId: h.spaceId, role: "mdm" }],
      now: new Date(Date.now() - 2 * 86_400_000),
      expiresAt: new Date(Date.now() - 86_400_000),
    });
    await page.goto(`${h.url}/s/${h.spaceId}/settings`);
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: "EN" })
      .click();
    await page.getByRole("heading", { name: "API tokens" }).waitFor();
    await page.getByLabel("Name", { exact: true }).fill(`Jamf ${suffix}`);
    await page.getByLabel(/^Role in/).selectOption({ label: "MDM integration" });
    await page.getByText("Only what an MDM calls").waitFor();
    await page.getByLabel("Expiry").selectOption({ label: "In 90 days" });
    await page.getByRole("button", { name: "Create token" }).click();
    const issued = page.getByRole("dialog", { name: "Your new API token" });
    const secret = (await issued.getByTestId("issued-token").textContent()) ?? "";
    expect(secret).toMatch(/^orch_tok_/);
    await issued.getByRole("button", { name: "I have stored it" }).click();
    const made = (await listApiTokens(db)).find((t) => t.name === `Jamf ${suffix}`);
    expect(made?.expiresAt?.getTime() ?? 0).toBeGreaterThan(Date.now() + 89 * 86_400_000);
    expect(made?.expiresAt?.getTime() ?? 0).toBeLessThan(Date.now() + 91 * 86_400_000);
    await expect(listGrants(db, { kind: "api_token", id: made?.id ?? "" })).resolves.toEqual([
      { spaceId: h.spaceId, role: "mdm" },
    ]);

    const table = page.getByRole("table", { name: "API tokens" });
    const row = table.getByRole("row", { name: new RegExp(`Jamf ${suffix}`) });
    await expect.poll(() => row.textContent()).toMatch(/MDM integration.*\d{4}.*Active/);
    expect(await row.textContent()).not.toContain("Never");
    const old = table.getByRole("row", { name: new RegExp(`Old MDM ${suffix}`) });
    await expect.poll(() => old.textContent()).toMatch(/MDM integration.*Expired/);
    expect(await page.content()).not.toContain(ended.token);

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    const oldFr = page
      .getByRole("table", { name: "Jetons d'API" })
      .getByRole("row", { name: new RegExp(`Old MDM ${suffix}`) });
    await expect.poll(() => oldFr.textContent()).toMatch(/Intégration MDM.*Expiré/);
    await page.getByLabel("Expiration").selectOption({ label: "Dans 30 jours" });
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("CA3: an owner creates a space (the top bar's picker shows it at once), renames it (the server's refusal on its field), and turns Apps and Books off after a confirmation that says what the server does; in French too", async () => {
    const suffix = Math.random().toString(36).slice(2, 8);
    await page.goto(`${h.url}/s/${h.spaceId}/settings`);
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: "EN" })
      .click();
    await page.getByRole("heading", { name: "Spaces" }).waitFor();
    await page.getByRole("button", { name: "Create space" }).click();
    const create = page.getByRole("dialog", { name: "Create a space" });
    await create.getByLabel("Name").fill(`Nantes ${suffix}`);
    await expect(create.getByLabel("Apps and Books on").isChecked()).resolves.toBe(true);
    await create.getByRole("button", { name: "Create space" }).click();
    await create.waitFor({ state: "detached" });
    const picker = page.locator("#space-switcher");
    await picker.locator("option", { hasText: `Nantes ${suffix}` }).waitFor({ state: "attached" });
    const spaces = page.getByRole("table", { name: "Spaces" });
    const row = spaces.getByRole("row", { name: new RegExp(`Nantes ${suffix}`) });
    await expect(row.textContent()).resolves.toMatch(new RegExp(`Nantes ${suffix}NoOn`));
    await expect(spaces.getByRole("row", { name: /^Default/ }).textContent()).resolves.toMatch(/DefaultYes/);

    await row.getByRole("button", { name: `Rename Nantes ${suffix}` }).click();
    const rename = page.getByRole("dialog", { name: `Rename “Nantes ${suffix}”` });
    // Longer than the API takes (200): its validation error (body.name) shows on the field.
    await rename.getByLabel("Name").fill("N".repeat(201));
    await rename.getByRole("button", { name: "Rename" }).click();
    await rename.getByRole("alert").waitFor();
    await expect(rename.getByLabel("Name").getAttribute("aria-invalid")).resolves.toBe("true");
    await rename.getByLabel("Name").fill(`Nantes campus ${suffix}`);
    await rename.getByRole("button", { name: "Rename" }).click();
    await rename.waitFor({ state: "detached" });
    await picker.locator("option", { hasText: `Nantes campus ${suffix}` }).waitFor({ state: "attached" });
    const renamed = spaces.getByRole("row", { name: new RegExp(`Nantes campus ${suffix}`) });
    const id = (await listSpaces(h.orchard.store.db)).find((s) => s.name === `Nantes campus ${suffix}`)?.id;
    if (!id) throw new Error("not renamed");

    await renamed.getByRole("button", { name: `Turn off Apps and Books in Nantes campus ${suffix}` }).click();
    const confirm = page.getByRole("dialog", {
      name: `Turn off Apps and Books in “Nantes campus ${suffix}”?`,
    });
    const words = (await confirm.textContent()) ?? "";
    expect(words).toContain("license requests and device check-ins are refused");
    expect(words).toContain("none is released at Apple and no app is removed from a device");
    expect(words).toContain("CA3");
    await shot(page, "32-settings-space-off");
    expect((await findSpace(h.orchard.store.db, id))?.appsAndBooksEnabled).toBe(true);
    await confirm.getByRole("button", { name: "Turn off" }).click();
    await confirm.waitFor({ state: "detached" });
    await expect.poll(() => renamed.textContent()).toMatch(/NoOff/);
    expect((await findSpace(h.orchard.store.db, id))?.appsAndBooksEnabled).toBe(false);

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Administrateurs" }).waitFor();
    await page.getByRole("heading", { name: "Espaces" }).waitFor();
    await renamed
      .getByRole("button", { name: `Activer Apps et livres dans Nantes campus ${suffix}` })
      .click();
    await expect.poll(() => renamed.textContent()).toMatch(/NonActivé/);
    await renamed
      .getByRole("button", { name: `Désactiver Apps et livres dans Nantes campus ${suffix}` })
      .click();
    const fr = page.getByRole("dialog", {
      name: `Désactiver Apps et livres dans « Nantes campus ${suffix} » ?`,
    });
    await fr.getByText("aucune n'est libérée auprès d'Apple").waitFor();
    await fr.getByRole("button", { name: "Annuler" }).click();
    expect((await findSpace(h.orchard.store.db, id))?.appsAndBooksEnabled).toBe(true);
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("PM1: only an owner's settings show administrators and spaces; a read-only administrator's show neither", async () => {
    await page.goto(`${h.url}/s/${h.spaceId}/settings`);
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: "EN" })
      .click();
    await page.getByRole("heading", { name: "Administrators" }).waitFor();
    await page.getByRole("heading", { name: "Spaces" }).waitFor();
    const reader = await signIn(h, READER);
    await reader.goto(`${h.url}/s/${h.spaceId}/settings`);
    await reader.getByRole("heading", { name: "API tokens" }).waitFor();
    expect(await reader.getByRole("heading", { name: /^(Administrators|Spaces)$/ }).count()).toBe(0);
    expect(await reader.getByRole("button", { name: /Add administrator|Create space/ }).count()).toBe(0);
    await reader.context().close();
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
