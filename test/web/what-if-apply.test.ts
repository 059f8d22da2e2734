import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import {
  createDevices,
  createUser,
  getAppRules,
  listAccounts,
  listActivity,
  setAccountPriority,
  setAppRules,
  setCatalogApp,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * What-if, then the change itself: the order or the rules just evaluated are applied from
 * the results, after a confirmation; a rule edit starts from the app's current rules, so that
 * applying it changes only what was edited; the form lists the rules' reserved devices and FCFS types too.
 */
const OWNER = { login: "owner-whatif", password: "correct horse battery staple" };

describe("console: applying what was evaluated in What-if (MA6, DI1)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  const adamId = "361304891";
  const ids = { paris: "", lyon: "", ada: "", ipad: "" };

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "whatif", owner: OWNER });
    const { db } = ic.core.store;
    const now = new Date();
    const app = { adamId, name: "Numbers", total: 5, platforms: ["iOS" as const] };
    ids.paris = await accountWithApp(ic, app, { displayName: "Paris", now });
    ids.lyon = await accountWithApp(ic, app, { displayName: "Lyon", now });
    await setCatalogApp(db, { spaceId: ic.spaceId, adamId }, now);
    ids.ada = (
      await createUser(db, { spaceId: ic.spaceId, name: "Ada Reserved", appleStatus: "Associated" })
    ).id;
    const [ipad] = await createDevices(db, [
      { spaceId: ic.spaceId, serialNumber: "WHATIF000001", platform: "iOS" },
    ]);
    ids.ipad = ipad?.id ?? "";
    await setAppRules(
      db,
      {
        spaceId: ic.spaceId,
        accountId: ids.paris,
        adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "device", mandatoryType: "device" },
        reservedUserIds: [ids.ada],
        reservedDeviceIds: [ids.ipad],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      now,
    );
    page = await signIn(ic, OWNER);
  }, 120_000);

  afterAll(async () => {
    await ic?.close();
  });

  it("MA6, MA3: the priority order evaluated is applied from the results, after a confirmation listing it", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/what-if`);
    await page.getByRole("button", { name: "Move Lyon up" }).click();
    await page.getByRole("button", { name: "Evaluate" }).click();
    await page.getByRole("button", { name: "Apply this order" }).click();
    const dialog = page.getByRole("dialog", { name: "Apply this priority order?" });
    await expect(dialog.locator("ol li").allTextContents()).resolves.toEqual(["Lyon", "Paris"]);
    await dialog.getByText(/^No license moves/).waitFor();
    await shot(page, "what-if-apply-order");
    await dialog.getByRole("button", { name: "Apply this order" }).click();
    await page.getByText(/^The change is made\./).waitFor();
    const order = await listAccounts(ic.core.store.db, ic.spaceId);
    expect(order.map((a) => a.displayName)).toEqual(["Lyon", "Paris"]);
    const log = await listActivity(ic.core.store.db, ic.spaceId, { action: "account.priority_changed" });
    expect(log.length).toBeGreaterThan(0);
    // Made: nothing more to apply.
    await expect(page.getByRole("button", { name: "Apply this order" }).count()).resolves.toBe(0);
  });

  it("MA6: an order evaluated before the accounts were reordered elsewhere is not applied, and says why", async () => {
    const { db } = ic.core.store;
    // Lyon, Paris since the test before.
    await page.goto(`${ic.url}/s/${ic.spaceId}/what-if`);
    await page.getByRole("button", { name: "Move Paris up" }).click();
    await page.getByRole("button", { name: "Evaluate" }).click();
    // Meanwhile, elsewhere (the page still shows Lyon, Paris): Paris is moved first.
    await setAccountPriority(db, ic.spaceId, ids.paris, 1);
    const movesLogged = async () =>
      (await listActivity(db, ic.spaceId, { action: "account.priority_changed" })).length;
    const logged = await movesLogged();
    await page.getByRole("button", { name: "Apply this order" }).click();
    await page
      .getByRole("dialog", { name: "Apply this priority order?" })
      .getByRole("button", { name: "Apply this order" })
      .click();
    await page.getByText(/^The accounts were reordered since this evaluation/).waitFor();
    expect(await movesLogged()).toBe(logged);
    // The proposal starts again from the order as it is now: Lyon moved up, evaluated, applied.
    await page.getByRole("button", { name: "Move Lyon up" }).click();
    await page.getByRole("button", { name: "Evaluate" }).click();
    await page.getByRole("button", { name: "Apply this order" }).click();
    await page
      .getByRole("dialog", { name: "Apply this priority order?" })
      .getByRole("button", { name: "Apply this order" })
      .click();
    await page.getByText(/^The change is made\./).waitFor();
    expect((await listAccounts(db, ic.spaceId)).map((a) => a.displayName)).toEqual(["Lyon", "Paris"]);
    expect(await movesLogged()).toBe(logged + 2);
  });

  it("DI1, DI2, DB3: a rule edit starts from the app's current rules, reserved devices and FCFS types included; applied, only what was edited changes", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/what-if`);
    await page.getByRole("radiogroup", { name: "Proposed change" }).getByText("Rule edit").click();
    await page.getByLabel("Account").selectOption({ label: "2. Paris" });
    await page.getByLabel("App", { exact: true }).selectOption({ label: "Numbers" });
    // Ada's reservation is there already: the edit takes it out. The iPad's reservation and
    // FCFS's types are there too; the mandatory type becomes user-based.
    await page.getByRole("button", { name: "Remove Ada Reserved" }).click();
    await page.getByRole("button", { name: "Remove WHATIF000001" }).waitFor();
    await expect(page.getByLabel("Requested app").inputValue()).resolves.toBe("device");
    await page.getByLabel("Mandatory app").selectOption("user");
    await page.getByRole("button", { name: "Evaluate" }).click();
    await page.getByRole("button", { name: "Apply these rules" }).click();
    const dialog = page.getByRole("dialog", { name: "Apply these rules at Paris?" });
    await dialog.getByRole("button", { name: "Apply these rules" }).click();
    await page.getByText(/^The change is made\./).waitFor();
    expect(await getAppRules(ic.core.store.db, ic.spaceId, ids.paris, adamId)).toMatchObject({
      fcfs: { groupIds: [ALL_USERS], requestedType: "device", mandatoryType: "user" },
      reservedUserIds: [],
      reservedDeviceIds: [ids.ipad],
      prohibitedUserIds: [],
    });
  });

  it("DI1: an edit whose rules another administrator changed meanwhile is not applied, and says why", async () => {
    const { db } = ic.core.store;
    await page.goto(`${ic.url}/s/${ic.spaceId}/what-if`);
    await page.getByRole("radiogroup", { name: "Proposed change" }).getByText("Rule edit").click();
    await page.getByLabel("Account").selectOption({ label: "2. Paris" });
    await page.getByLabel("App", { exact: true }).selectOption({ label: "Numbers" });
    await page.getByRole("button", { name: "Evaluate" }).click();
    // Meanwhile, elsewhere: Ada is reserved again.
    const before = await getAppRules(db, ic.spaceId, ids.paris, adamId);
    await setAppRules(
      db,
      { spaceId: ic.spaceId, accountId: ids.paris, adamId, ...before, reservedUserIds: [ids.ada] },
      { kind: "admin" },
      new Date(),
    );
    await page.getByRole("button", { name: "Apply these rules" }).click();
    await page
      .getByRole("dialog", { name: "Apply these rules at Paris?" })
      .getByRole("button", { name: "Apply these rules" })
      .click();
    await page.getByText(/^These rules changed since this edit began/).waitFor();
    expect((await getAppRules(db, ic.spaceId, ids.paris, adamId)).reservedUserIds).toEqual([ids.ada]);
    // The edit starts again from the rules as they are now (Ada reserved): evaluated, it applies.
    await page
      .locator('[data-field="reserved"]')
      .getByRole("button", { name: "Remove Ada Reserved" })
      .waitFor();
    await page.getByRole("button", { name: "Evaluate" }).click();
    await page.getByRole("button", { name: "Apply these rules" }).click();
    await page
      .getByRole("dialog", { name: "Apply these rules at Paris?" })
      .getByRole("button", { name: "Apply these rules" })
      .click();
    await page.getByText(/^The change is made\./).waitFor();
    expect((await getAppRules(db, ic.spaceId, ids.paris, adamId)).reservedUserIds).toEqual([ids.ada]);
  });

  it("DI1: the rules editor saves only over the rules it opened; changed meanwhile, it says so and loads the current ones", async () => {
    const { db } = ic.core.store;
    const lyon = { spaceId: ic.spaceId, accountId: ids.lyon, adamId };
    await setAppRules(
      db,
      { ...lyon, reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [] },
      { kind: "admin" },
      new Date(),
    );
    const lyonEditor = async () => {
      await page.goto(`${ic.url}/s/${ic.spaceId}/apps/${adamId}?account=${ids.lyon}`);
      await page.getByRole("button", { name: "Distribute licenses" }).click();
      const dialog = page.getByRole("dialog", { name: "License rules for “Lyon”" });
      await dialog.waitFor();
      return dialog;
    };
    const dialog = await lyonEditor();
    // Meanwhile, elsewhere: Ada is prohibited at Lyon.
    await setAppRules(
      db,
      { ...lyon, reservedUserIds: [], reservedDeviceIds: [], prohibitedUserIds: [ids.ada] },
      { kind: "admin" },
      new Date(),
    );
    // This editor, opened before, reserves the iPad: saving would undo Ada's prohibition.
    await dialog.locator('[data-field="reservedDeviceIds"]').getByLabel("WHATIF000001").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Someone changed these rules meanwhile").waitFor();
    expect((await getAppRules(db, ic.spaceId, ids.lyon, adamId)).prohibitedUserIds).toEqual([ids.ada]);
    await shot(page, "rules-changed-meanwhile");
    await dialog.getByRole("button", { name: /^Load the current rules/ }).click();
    await dialog
      .locator('[data-field="prohibitedUserIds"]')
      .getByRole("button", { name: "Remove Ada Reserved" })
      .waitFor();
    await dialog.locator('[data-field="reservedDeviceIds"]').getByLabel("WHATIF000001").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await getAppRules(db, ic.spaceId, ids.lyon, adamId)).toMatchObject({
      reservedDeviceIds: [ids.ipad],
      prohibitedUserIds: [ids.ada],
    });
  });
});
