import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createUser,
  requestLicenses,
  setAppleStatus,
  setAppRules,
  setCatalogApp,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The Groups pages in headless Chromium against the real API (isolated-console.ts): a group
 * created and given a member, chosen in an app's rules, seen used by that rule, deleted
 * through the dialog that names the rule and asks for the name; and the user page's groups
 * and "Waiting for a license" card.
 */
const OWNER = { login: "owner-groups-console", password: "correct horse battery staple" };

describe("console: the Groups pages, and a user's groups and waits", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  let waiterId = "";
  const adamId = "361309726";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "groups-console", owner: OWNER });
    ({ url, spaceId } = ic);
    const now = new Date();
    const { db } = ic.core.store;
    // Pages: one seat, first come, first served for All Users, user-based: the holder takes the
    // seat, the waiter's mandatory request waits for one (UB3).
    const accountId = await accountWithApp(ic, { adamId, name: "Pages", total: 1 }, { now });
    await setCatalogApp(db, { spaceId, adamId, name: "Pages" }, now);
    await setAppRules(
      db,
      {
        spaceId,
        accountId: accountId,
        adamId,
        fcfs: { groupIds: ["all-users"], requestedType: "user", mandatoryType: "user" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "system" },
      now,
    );
    const enrolled = async (name: string) => {
      const user = await createUser(db, { spaceId, name, appleClientUserId: `${name}-client` });
      await setAppleStatus(db, spaceId, user.id, "Associated", now);
      return user;
    };
    const holder = await enrolled("Hana Holder");
    const waiter = await enrolled("Wes Waiter");
    waiterId = waiter.id;
    for (const userId of [holder.id, waiter.id]) {
      await requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject: { kind: "user", userId }, why: "mandatory" }],
        actor: { kind: "system" },
        now,
      });
    }
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  it("AC1, DI7: the Groups page lists All Users as built in, in English and French, without delete or member editing", async () => {
    await page
      .getByRole("navigation", { name: "Main navigation" })
      .getByRole("link", { name: "Groups" })
      .click();
    await page.getByRole("heading", { name: "Groups", level: 1 }).waitFor();
    const row = page.getByRole("row").filter({ hasText: "All Users" });
    await row.getByText("Built in").waitFor();
    expect(await row.textContent()).toContain("Pages");
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Groupes", level: 1 }).waitFor();
    const fr = page.getByRole("row").filter({ hasText: "Tous les utilisateurs" });
    await fr.getByText("Intégré").waitFor();
    await shot(page, "53-groups-list-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await page.getByRole("heading", { name: "Groups", level: 1 }).waitFor();

    await page.getByRole("link", { name: "All Users" }).click();
    await page.getByRole("heading", { name: /^All Users/, level: 1 }).waitFor();
    await page.getByText("Every user of the space, always").waitFor();
    // Every user of the space is a member; nothing to add, remove, rename or delete.
    await page.getByRole("link", { name: "Wes Waiter" }).waitFor();
    expect(await page.getByRole("button", { name: /Add members|Remove|Rename|Delete/ }).count()).toBe(0);
  });

  it("DI1, DI7: a group is created, renamed, given a member, chosen in an app's rules and seen used by that rule; deleting it names the rule and asks for its name, then it is gone", async () => {
    await page.goto(`${url}/s/${spaceId}/groups`);
    await page.getByRole("button", { name: "New group" }).click();
    const create = page.getByRole("dialog");
    await create.getByLabel("Name").fill("Sciense");
    await create.getByRole("button", { name: "Create" }).click();
    await page.getByRole("heading", { name: "Sciense", level: 1 }).waitFor();
    // A typo mended: renamed, the page says the new name.
    await page.getByRole("button", { name: "Rename" }).click();
    const rename = page.getByRole("dialog");
    await rename.getByLabel("Name").fill("Science");
    await rename.getByRole("button", { name: "Save" }).click();
    await page.getByRole("heading", { name: "Science", level: 1 }).waitFor();
    await page.getByText("No member", { exact: true }).waitFor();
    await page.getByText("No rule uses this group").waitFor();

    // A member, picked from the users of the space.
    await page.getByRole("button", { name: "Add members" }).click();
    const add = page.getByRole("dialog");
    await add.getByRole("searchbox").fill("Wes");
    await add.getByLabel("Wes Waiter").check();
    await add.getByRole("button", { name: "Add", exact: true }).click();
    await add.waitFor({ state: "hidden" });
    await page.getByRole("heading", { name: "Members: 1" }).waitFor();
    await page.getByRole("link", { name: "Wes Waiter" }).waitFor();

    // Chosen in Pages' FCFS groups; the rules panel links to the group's page.
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await page.getByRole("button", { name: "Distribute licenses" }).click();
    const rules = page.getByRole("dialog");
    const fcfs = rules.locator('[data-field="fcfs"]');
    await fcfs.getByRole("searchbox").fill("Sci");
    await fcfs.getByLabel("Science").check();
    // The editor links each chosen group's page (in a new tab: its choices stay).
    const inEditor = rules.getByRole("link", { name: "Science" });
    expect(await inEditor.getAttribute("target")).toBe("_blank");
    await rules.getByRole("button", { name: "Save" }).click();
    await rules.waitFor({ state: "hidden" });
    const panel = page.getByRole("tabpanel");
    await panel.getByRole("link", { name: "Science" }).click();

    // The group's page: used by Pages in Lyon campus.
    await page.getByRole("heading", { name: "Science", level: 1 }).waitFor();
    const usedBy = page.locator("section.card").filter({ hasText: "License rules that use this group" });
    await usedBy.getByRole("link", { name: "Pages" }).waitFor();
    expect(await usedBy.getByRole("link", { name: "Lyon campus" }).count()).toBe(1);
    await shot(page, "50-group-detail");

    // Delete: the dialog names the rule and asks for the name before it deletes.
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: "“Science” is used by 1 license rule" }).waitFor();
    expect(await dialog.getByRole("link", { name: "Pages" }).count()).toBe(1);
    const confirm = dialog.getByRole("button", { name: "Delete the group" });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the group's name, Science, to confirm").fill("science");
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the group's name, Science, to confirm").fill("Science");
    await shot(page, "51-group-delete-in-use");
    await confirm.click();
    await page.getByRole("heading", { name: "Groups", level: 1 }).waitFor();
    await page.getByRole("link", { name: "All Users" }).waitFor();
    expect(await page.getByRole("link", { name: "Science" }).count()).toBe(0);
    // Out of Pages' rules too.
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await page.getByRole("tabpanel").getByRole("link", { name: "All Users" }).waitFor();
    expect(await page.getByRole("tabpanel").getByRole("link", { name: "Science" }).count()).toBe(0);
  });

  it("DB2, UB3, DI7: the user page shows the user's groups as links and the app they wait for, with their place and a link to why", async () => {
    await page.goto(`${url}/s/${spaceId}/users/${waiterId}`);
    await page.getByRole("heading", { name: "Wes Waiter", level: 1 }).waitFor();
    const waiting = page.locator("section.card").filter({ hasText: "Waiting for a license" });
    const row = waiting.getByRole("row").filter({ hasText: "Pages" });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain("1 of 1");
    expect(text).toContain("A free license");
    const why = row.getByRole("link", { name: "Why? Explain the decision for Pages" });
    expect(await why.getAttribute("href")).toBe(`/s/${spaceId}/explain?app=${adamId}&user=${waiterId}`);
    const groups = page.getByRole("list", { name: "Groups" });
    expect(await groups.getByRole("link").allTextContents()).toEqual(["All Users"]);
    await shot(page, "52-user-waiting-groups");
    await groups.getByRole("link", { name: "All Users" }).click();
    await page.getByRole("heading", { name: /^All Users/, level: 1 }).waitFor();
  });
});
