import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createDevices,
  createUser,
  getAppRules,
  insertLicenses,
  listLicensesForApp,
  setAppRules,
  setCatalogApp,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * A user's page lists their user-based licenses, each revocable there (RV4) after a
 * confirmation, as on the app's License usage tab: an administrator acting on one person
 * (someone leaving) does not have to go app by app.
 */
const OWNER = { login: "owner-rv4", password: "correct horse battery staple" };

describe("console: a user's licenses on the user's page (RV4)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let userId = "";
  let accountId = "";
  let ipadId = "";
  const adamId = "409183694";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "rv4", owner: OWNER });
    const { db } = ic.core.store;
    const now = new Date();
    accountId = await accountWithApp(ic, { adamId, name: "Keynote", total: 5 }, { now });
    await setCatalogApp(db, { spaceId: ic.spaceId, adamId }, now);
    const ada = await createUser(db, {
      spaceId: ic.spaceId,
      name: "Ada Leaving",
      appleClientUserId: "rv4-ada",
      appleStatus: "Associated",
    });
    userId = ada.id;
    // Ada's iPad holds a device license of the same app.
    const [ipad] = await createDevices(db, [
      { spaceId: ic.spaceId, serialNumber: "RV4IPAD00001", platform: "iOS", userId },
    ]);
    ipadId = ipad?.id ?? "";
    // The app's rules already reserve the iPad: a reservation for Ada must keep it.
    await setAppRules(
      db,
      {
        spaceId: ic.spaceId,
        accountId,
        adamId,
        reservedUserIds: [],
        reservedDeviceIds: [ipadId],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      now,
    );
    await insertLicenses(db, [
      {
        spaceId: ic.spaceId,
        accountId,
        adamId,
        type: "user",
        userId,
        state: "assigned",
        ruleIds: ["DI2"],
        now,
      },
      {
        spaceId: ic.spaceId,
        accountId,
        adamId,
        type: "device",
        deviceId: ipad?.id ?? "",
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

  it("RV4, RV3: the user's page lists the user-based license and revokes it after a confirmation that says the app stays installed", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users/${userId}`);
    const card = page.locator(".card").filter({ hasText: "User-based licenses" });
    const row = card.getByRole("row").filter({ hasText: "Keynote" });
    await row.waitFor();
    await row.getByRole("button", { name: "Revoke the license of Ada Leaving" }).click();
    const dialog = page.getByRole("dialog", { name: "Revoke the license of Ada Leaving?" });
    await dialog.getByText("Ada Leaving loses the license of Keynote. The app is not uninstalled.").waitFor();
    await shot(page, "rv4-user-page-revoke");
    await dialog.getByRole("button", { name: "Revoke" }).click();
    await page
      .getByText(
        "The license of Ada Leaving is revoked: its release is on its way to Apple, which confirms it shortly.",
      )
      .waitFor();
    // The row no longer offers a revoke: the license is on its way out.
    await row
      .getByRole("button", { name: "Revoke the license of Ada Leaving" })
      .waitFor({ state: "detached" });
    const licenses = await listLicensesForApp(ic.core.store.db, ic.spaceId, adamId);
    expect(licenses.find((l) => l.type === "user")?.state).not.toBe("assigned");
    // The device license is not the user's to revoke here: it stays.
    expect(licenses.find((l) => l.type === "device")?.state).toBe("assigned");
  });

  it("VU5: the licenses list, searched by a user's name, shows a device license found by it as that user's device", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await page.getByRole("searchbox").fill("Ada Leaving");
    const device = page.getByRole("row").filter({ hasText: "RV4IPAD00001" });
    await device.getByRole("link", { name: "Ada Leaving's device" }).waitFor();
    await device.getByRole("link", { name: "Ada Leaving's device" }).click();
    await page.waitForURL(new RegExp(`/users/${userId}$`));
  });

  it("DI3: the user's page reserves a license of an app at an account that bought it; the app's other rules stay", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/users/${userId}`);
    await page.getByRole("button", { name: "Reserve a license…" }).click();
    const dialog = page.getByRole("dialog", { name: "Reserve a license for Ada Leaving" });
    await dialog.getByRole("button", { name: "Reserve" }).click();
    await dialog.getByText("Choose an app.").waitFor();
    await dialog.getByLabel("App", { exact: true }).selectOption({ label: "Keynote" });
    const account = dialog.getByLabel("Account");
    await account
      .locator("option", { hasText: /^1\. Lyon campus \(\d+ available\)$/ })
      .waitFor({ state: "attached" });
    await account.selectOption({ index: 1 });
    await shot(page, "di3-reserve-from-user");
    await dialog.getByRole("button", { name: "Reserve" }).click();
    await page.getByText("A license of Keynote is reserved for Ada Leaving at Lyon campus.").waitFor();
    expect(await getAppRules(ic.core.store.db, ic.spaceId, accountId, adamId)).toMatchObject({
      reservedUserIds: [userId],
      reservedDeviceIds: [ipadId],
    });
  });
});
