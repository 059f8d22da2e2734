import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUser, insertLicenses, setCatalogApp } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The Licenses page's "Export CSV" downloads the licenses the page lists, every page of them,
 * with its filters; the Apps page's "Export usage" downloads the usage per app and account.
 * In headless Chromium against the real API (isolated-console.ts).
 */
const OWNER = { login: "owner-exports", password: "correct horse battery staple" };
const APP = "361309726";
const CREATED = new Date("2026-04-01T08:00:00Z");

describe("console: exports from the Licenses and Apps pages", () => {
  let ic: IsolatedConsole;
  let page: Page;
  const ids = { account: "", assigned: [] as string[], released: "" };

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "exports", owner: OWNER });
    const { db } = ic.core.store;
    const spaceId = ic.spaceId;
    ids.account = await accountWithApp(
      ic,
      { adamId: APP, name: "Pages", total: 80, used: 60 },
      { now: CREATED },
    );
    await setCatalogApp(db, { spaceId, adamId: APP, name: "Pages" }, CREATED);
    // 60 assigned licenses: more pages than one of the list, all of them in the file.
    const users = [];
    for (let i = 0; i < 60; i++)
      users.push(await createUser(db, { spaceId, name: `Student ${String(i).padStart(2, "0")}` }));
    ids.assigned = await insertLicenses(
      db,
      users.map((u) => ({
        spaceId,
        accountId: ids.account,
        adamId: APP,
        type: "user" as const,
        userId: u.id,
        state: "assigned" as const,
        ruleIds: ["MA1"],
        now: CREATED,
      })),
    );
    [ids.released = ""] = await insertLicenses(db, [
      {
        spaceId,
        accountId: ids.account,
        adamId: APP,
        type: "user",
        userId: users[0]?.id ?? "",
        state: "released",
        now: CREATED,
      },
    ]);
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  /** Clicks the link named `name` and answers the downloaded file's name and text. */
  async function download(name: string): Promise<{ file: string; text: string }> {
    const [file] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name }).click(),
    ]);
    const path = await file.path();
    return { file: file.suggestedFilename(), text: await readFile(path, "utf8") };
  }

  it("the Licenses page's Export CSV downloads the licenses the page's filters keep, every page of them", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses?state=assigned&account=${ids.account}`);
    await page.getByRole("heading", { name: "Licenses" }).waitFor();
    await page.locator("table tbody tr").first().waitFor();
    await shot(page, "exports-licenses");
    const { file, text } = await download("Export CSV");
    expect(file).toBe("orchard-licenses.csv");
    const [header, ...lines] = text.trimEnd().split("\n");
    expect(header).toBe(
      "license_id,adam_id,app_name,account_id,account_name,type,user_id,user_name,user_email,managed_apple_id," +
        "device_id,serial_number,state,reserved,rule_ids,created_at,assigned_at,released_at,grace_ends_at",
    );
    // The released license is filtered out; the 60 assigned ones are there, by id, each once.
    expect(lines.map((l) => l.split(",")[0])).toEqual([...ids.assigned].sort());
    expect(lines.every((l) => l.includes(`,${APP},Pages,${ids.account},Lyon campus,user,`))).toBe(true);
    expect(lines.every((l) => l.includes(",assigned,false,MA1,2026-04-01T08:00:00.000Z,"))).toBe(true);
    expect(text).not.toContain(ids.released);

    // The search box narrows the file as it narrows the list.
    await page.getByRole("searchbox", { name: "Search user, serial number or app" }).fill("Student 07");
    await expect
      .poll(async () => page.getByRole("link", { name: "Export CSV" }).getAttribute("href"))
      .toContain("q=Student+07");
    const searched = await download("Export CSV");
    expect(searched.text.trimEnd().split("\n")).toHaveLength(2);
    expect(searched.text).toContain(",Student 07,");
  });

  it("the Apps page's Export usage downloads one row per app and account; the French console words it", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/apps`);
    await page.getByRole("heading", { name: "Apps and Books" }).waitFor();
    const { file, text } = await download("Export usage");
    expect(file).toBe("orchard-usage.csv");
    expect(text.trimEnd().split("\n")).toEqual([
      "adam_id,app_name,product_type,account_id,account_name,total,apple_assigned,used,assigned,pending_assign," +
        "pending_release,in_grace,reserved,available,waiting_users,waiting_devices,usage_percent",
      `${APP},Pages,App,${ids.account},Lyon campus,80,0,60,60,0,0,0,0,20,0,0,75`,
    ]);
    const fr = await ic.browser.newContext({ locale: "fr-FR", viewport: ic.viewport });
    try {
      await fr.addCookies(await page.context().cookies());
      const frPage = await fr.newPage();
      await frPage.goto(`${ic.url}/s/${ic.spaceId}/apps`);
      await frPage.getByRole("link", { name: "Exporter l'utilisation" }).waitFor();
      await frPage.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
      await frPage.getByRole("link", { name: "Exporter en CSV" }).waitFor();
    } finally {
      await fr.close();
    }
  });
});
