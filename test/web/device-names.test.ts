import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevices, insertLicenses } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * Devices as their administrators know them (0050): the devices list shows each one's name
 * with its model beneath and its OS version beside the platform, and finds it by name; the
 * device's page is titled by its name (its serial number when it has none), with its serial
 * number, model and OS version beneath. The licenses list names a device license's device by its
 * name beside its serial number. In English and in French.
 */
const OWNER = { login: "owner-device-names", password: "correct horse battery staple" };
/** U+00A0, the no-break space French puts before a colon ("Numéro de série : …"). */
const NBSP = "\u00a0";

describe("console: devices by name, model and OS version", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let namedId = "";
  let bareId = "";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "device-names", owner: OWNER });
    const [named, bare] = await createDevices(ic.core.store.db, [
      {
        spaceId: ic.spaceId,
        serialNumber: "DMPQNAME0012",
        platform: "iOS",
        supervised: true,
        name: "Classroom iPad 12",
        model: "iPad (10th generation)",
        osVersion: "17.5.1",
      },
      { spaceId: ic.spaceId, serialNumber: "C02DNONAME01", platform: "macOS" },
      {
        spaceId: ic.spaceId,
        serialNumber: "C02DMARIE001",
        platform: "macOS",
        name: "Marie's MacBook Air",
        model: "Mac14,2",
        osVersion: "14.5",
      },
    ]);
    namedId = named?.id ?? "";
    bareId = bare?.id ?? "";
    const now = new Date();
    const accountId = await accountWithApp(ic, { adamId: "409183694", name: "Keynote", total: 5 }, { now });
    await insertLicenses(ic.core.store.db, [
      {
        spaceId: ic.spaceId,
        accountId,
        adamId: "409183694",
        type: "device",
        deviceId: namedId,
        state: "assigned",
        ruleIds: ["DI2"],
        now,
      },
    ]);
    page = await signIn(ic, OWNER);
  }, 120_000);

  afterAll(async () => {
    await ic?.close();
  });

  const language = async (lng: "EN" | "FR") => {
    await page
      .getByRole("group", { name: /^(Language|Langue)$/ })
      .getByRole("button", { name: lng })
      .click();
    await page.waitForFunction(`document.documentElement.lang === "${lng.toLowerCase()}"`);
  };

  it("the devices list shows the name with the model beneath and the OS version beside the platform, and finds a device by its name", async () => {
    await language("EN");
    await page.goto(`${ic.url}/s/${ic.spaceId}/devices`);
    const table = page.getByRole("table", { name: "Devices" });
    const ipad = table.getByRole("row").filter({ hasText: "DMPQNAME0012" });
    await ipad.getByRole("link", { name: "Classroom iPad 12" }).waitFor();
    await expect
      .poll(async () => (await ipad.getByRole("cell").allTextContents()).slice(0, 3))
      .toEqual(["Classroom iPad 12iPad (10th generation)", "DMPQNAME0012", "iOS 17.5.1"]);
    await table.getByRole("columnheader", { name: "Name" }).waitFor();
    // A device without a name: its serial number still leads to it.
    const mac = table.getByRole("row").filter({ hasText: "C02DNONAME01" });
    await expect
      .poll(async () => (await mac.getByRole("cell").allTextContents()).slice(0, 3))
      .toEqual(["—", "C02DNONAME01", "macOS"]);
    await shot(page, "device-names-list");

    // Searched by name, in any case, and by serial number as before.
    const search = page.getByRole("searchbox", { name: "Search by name or serial number" });
    await search.fill("marie's macbook");
    await expect.poll(() => table.getByRole("row").count()).toBe(2);
    await table.getByRole("row").filter({ hasText: "C02DMARIE001" }).waitFor();
    await search.fill("dmpqname");
    await table.getByRole("row").filter({ hasText: "Classroom iPad 12" }).waitFor();
    await expect.poll(() => table.getByRole("row").count()).toBe(2);

    await ipad.getByRole("link", { name: "Classroom iPad 12" }).click();
    await page.waitForURL(new RegExp(`/devices/${namedId}$`));
  });

  it("the device's page is titled by its name, with its serial number, model and OS version beneath; without a name, by its serial number", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/devices/${namedId}`);
    await page.getByRole("heading", { level: 1, name: "Classroom iPad 12" }).waitFor();
    const facts = page.locator(".page-description");
    await expect
      .poll(async () => (await facts.textContent()) ?? "")
      .toMatch(
        /^Serial number: DMPQNAME0012 · iPad \(10th generation\) · iOS 17\.5\.1 · Active · Last check-in: Never$/,
      );
    await shot(page, "device-names-page");

    await page.goto(`${ic.url}/s/${ic.spaceId}/devices/${bareId}`);
    await page.getByRole("heading", { level: 1, name: "C02DNONAME01" }).waitFor();
    await expect
      .poll(async () => (await facts.textContent()) ?? "")
      .toBe("macOS · Active · Last check-in: Never");
  });

  it("in French: the Name column, the search, and the page's facts with a no-break space before each colon", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/devices`);
    await language("FR");
    const table = page.getByRole("table", { name: "Appareils" });
    await table.getByRole("columnheader", { name: "Nom" }).waitFor();
    await table.getByRole("columnheader", { name: "Plateforme et version" }).waitFor();
    await page.getByRole("searchbox", { name: "Rechercher par nom ou numéro de série" }).fill("classroom");
    await table.getByRole("link", { name: "Classroom iPad 12" }).click();
    await page.getByRole("heading", { level: 1, name: "Classroom iPad 12" }).waitFor();
    await expect
      .poll(async () => (await page.locator(".page-description").textContent()) ?? "")
      .toBe(
        `Numéro de série${NBSP}: DMPQNAME0012 · iPad (10th generation) · iOS 17.5.1 · Actif · Dernier contact${NBSP}: Jamais`,
      );
    await shot(page, "device-names-page-fr");
    await language("EN");
  });

  it("the licenses list names a device license's device by its name beside its serial number, and finds it by its name", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await page.getByRole("searchbox").fill("classroom ipad");
    const table = page.getByRole("table", { name: "Licenses" });
    await table.getByRole("link", { name: "Classroom iPad 12 (DMPQNAME0012)" }).click();
    await page.waitForURL(new RegExp(`/devices/${namedId}$`));
  });
});
