import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import { createUser, setAppRules, setCatalogApp } from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * DI4 in the console: Prohibited holds for one account only. An app's Prohibited tab asks
 * the API, for each user prohibited there, what Orchard would decide; a user another
 * account would still license is named in a warning and marked in the list, one prohibited
 * everywhere is not.
 */
const OWNER = { login: "owner-di4", password: "correct horse battery staple" };

describe("console: a user prohibited at one account only (DI4)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  const adamId = "361285480";
  let bobId = "";
  let lyonId = "";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "di4", owner: OWNER });
    const { db } = ic.core.store;
    const now = new Date();
    const app = { adamId, name: "Numbers", total: 5, platforms: ["iOS" as const] };
    const paris = await accountWithApp(ic, app, { displayName: "Paris", now });
    const lyon = await accountWithApp(ic, app, { displayName: "Lyon", now });
    lyonId = lyon;
    await setCatalogApp(db, { spaceId: ic.spaceId, adamId }, now);
    // Both associated with Apple (UB2): a user license can be theirs today.
    const associated = (name: string, clientUserId: string) =>
      createUser(db, {
        spaceId: ic.spaceId,
        name,
        appleClientUserId: clientUserId,
        appleStatus: "Associated",
      });
    const ada = await associated("Ada Lovelace", "di4-ada");
    const bob = await associated("Bob Prohibited", "di4-bob");
    bobId = bob.id;
    const rules = (accountId: string, prohibitedUserIds: string[]) =>
      setAppRules(
        db,
        {
          spaceId: ic.spaceId,
          accountId,
          adamId,
          fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
          reservedUserIds: [],
          reservedDeviceIds: [],
          prohibitedUserIds,
        },
        { kind: "admin" },
        now,
      );
    // Paris (first in priority) prohibits both; Lyon only Bob: Lyon would still license Ada.
    await rules(paris, [ada.id, bob.id]);
    await rules(lyon, [bob.id]);
    page = await signIn(ic, OWNER);
  }, 120_000);

  afterAll(async () => {
    await ic?.close();
  });

  it("DI4: the Prohibited tab warns that another account still licenses a user prohibited here, in English and French; a user prohibited everywhere is not marked", async () => {
    // What the console asked of Bob, whom no account licenses: the last check reads it.
    const bobExplained = page.waitForResponse((r) => r.url().includes("/explain") && r.url().includes(bobId));
    await page.goto(`${ic.url}/s/${ic.spaceId}/apps/${adamId}`);
    await page.getByRole("button", { name: "1. Paris" }).waitFor();
    await page.getByRole("tab", { name: /Prohibited/ }).click();
    const panel = page.getByRole("tabpanel");
    await panel.getByText("Prohibited applies to this account only").waitFor();
    await panel.getByText("Another account still licenses Ada Lovelace for this app.").waitFor();
    const listed = panel.locator(".name-list li");
    await expect(listed.filter({ hasText: "Ada Lovelace" }).textContent()).resolves.toContain(
      "Licensed by another account",
    );
    await expect(listed.filter({ hasText: "Bob Prohibited" }).textContent()).resolves.not.toContain(
      "Licensed by another account",
    );
    await shot(page, "di4-prohibited-elsewhere");

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await panel.getByText("L'interdiction ne vaut que pour ce compte").waitFor();
    await panel
      .getByText("Un autre compte attribue encore une licence de cette app à Ada Lovelace.")
      .waitFor();
    await expect(listed.filter({ hasText: "Ada Lovelace" }).textContent()).resolves.toContain(
      "Licence d'un autre compte",
    );
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();

    // Lyon prohibits Bob alone, whom Paris prohibits too: no other account licenses him.
    await bobExplained;
    await page.getByRole("button", { name: "2. Lyon" }).click();
    await page.getByRole("tab", { name: /Prohibited/ }).click();
    await panel.getByText("Bob Prohibited").waitFor();
    await expect(panel.getByText("Prohibited applies to this account only").count()).resolves.toBe(0);
    await expect(panel.getByText("Licensed by another account").count()).resolves.toBe(0);
    await expect(panel.getByText(/^Checked for another account's license/).count()).resolves.toBe(0);
  });

  it("DI4: past the first 20 prohibited users, the tab says which were checked for another account's license", async () => {
    const { db } = ic.core.store;
    const more = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createUser(db, { spaceId: ic.spaceId, name: `Zed ${String(i).padStart(2, "0")}` }),
      ),
    );
    await setAppRules(
      db,
      {
        spaceId: ic.spaceId,
        accountId: lyonId,
        adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [],
        reservedDeviceIds: [],
        prohibitedUserIds: [bobId, ...more.map((u) => u.id)],
      },
      { kind: "admin" },
      new Date(),
    );
    await page.goto(`${ic.url}/s/${ic.spaceId}/apps/${adamId}`);
    await page.getByRole("button", { name: "2. Lyon" }).click();
    await page.getByRole("tab", { name: /Prohibited/ }).click();
    await page
      .getByRole("tabpanel")
      .getByText(
        "Checked for another account's license: the first 20 of the 21 prohibited users. Explain a decision for the others.",
      )
      .waitFor();
  });
});
