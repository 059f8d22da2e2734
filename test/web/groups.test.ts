import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGroup, setAppRules, setCatalogApp } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The built-in All Users group in the console: the API keeps its English name, the console
 * words it in its own language wherever a group is shown (the app's rules panel, the rules
 * editor's chips and list). In headless Chromium against the real API (isolated-console.ts).
 */
const OWNER = { login: "owner-groups", password: "correct horse battery staple" };

describe("console: the All Users group in the console's language", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  const adamId = "361309726";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "groups", owner: OWNER });
    ({ url, spaceId } = ic);
    const now = new Date();
    const { db } = ic.core.store;
    // AC1: the account distributes to All Users; the app's FCFS groups are All Users and Teachers.
    const accountId = await accountWithApp(ic, { adamId, name: "Pages", total: 10 }, { now });
    await setCatalogApp(db, { spaceId, adamId, name: "Pages" }, now);
    const teachers = await createGroup(db, { spaceId, name: "Teachers" });
    await setAppRules(
      db,
      {
        spaceId,
        accountId: accountId,
        adamId,
        fcfs: { groupIds: ["all-users", teachers.id], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "system" },
      now,
    );
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
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
