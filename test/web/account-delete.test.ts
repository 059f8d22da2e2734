import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_USERS } from "../../src/licensing/index.js";
import {
  createDevices,
  createUser,
  insertLicenses,
  listAccounts,
  setAccountHealth,
  setAppRules,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The console's two irreversible account actions, each confirmed with what it does: deleting
 * an account (AC5) counts what goes before the name is typed; "Clear all previous license data"
 * (AC1) is not sent until its consequence is ticked as understood.
 */
const OWNER = { login: "owner-ac5", password: "correct horse battery staple" };

describe("console: irreversible account actions (AC5, AC1)", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let sToken = "";
  let freshUId = "";
  const adamId = "361309726";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "ac5", owner: OWNER });
    const operator = ic.core.simulator?.operator;
    if (!operator) throw new Error("the suite needs the built-in simulator");
    const doomed = operator.createLocation({ orgName: "Acme Schools", locationName: "Doomed campus" });
    operator.addAsset(doomed.uId, { adamId, totalCount: 10, supportedPlatforms: ["iOS"] });
    const { account } = await ic.core.deps.accounts.add({
      spaceId: ic.spaceId,
      name: "Doomed campus",
      sTokenFile: doomed.sToken,
      autoDistribute: false,
      clearPrevious: false,
      takeOver: false,
      actor: { kind: "admin" },
    });
    const { db } = ic.core.store;
    const now = new Date();
    const devices = await createDevices(
      db,
      ["AC5D00000001", "AC5D00000002", "AC5D00000003"].map((serialNumber) => ({
        spaceId: ic.spaceId,
        serialNumber,
        platform: "iOS" as const,
      })),
    );
    const ann = await createUser(db, {
      spaceId: ic.spaceId,
      name: "Ann Reserved",
      appleStatus: "Associated",
    });
    await setAppRules(
      db,
      {
        spaceId: ic.spaceId,
        accountId: account.id,
        adamId,
        fcfs: { groupIds: [ALL_USERS], requestedType: "user", mandatoryType: "device" },
        reservedUserIds: [ann.id],
        reservedDeviceIds: [],
        prohibitedUserIds: [],
      },
      { kind: "admin" },
      now,
    );
    await insertLicenses(
      db,
      devices.map((d) => ({
        spaceId: ic.spaceId,
        accountId: account.id,
        adamId,
        type: "device" as const,
        deviceId: d.id,
        state: "assigned" as const,
        ruleIds: ["DI2"],
        now,
      })),
    );
    const fresh = operator.createLocation({ orgName: "Acme Schools", locationName: "Fresh campus" });
    operator.addAsset(fresh.uId, { adamId, totalCount: 5, supportedPlatforms: ["iOS"] });
    ({ sToken, uId: freshUId } = fresh);
    page = await signIn(ic, OWNER);
  }, 120_000);

  afterAll(async () => {
    await ic?.close();
  });

  it("AC5: the delete dialog counts the licenses Apple releases and the rules that go before the name is typed; the account then goes", async () => {
    await page.goto(`${ic.url}/s/${ic.spaceId}/accounts`);
    const row = page.getByRole("row").filter({ hasText: "Doomed campus" });
    await row.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete “Doomed campus”?" });
    const counts = dialog.getByTestId("deletion-preview");
    await counts.waitFor();
    const text = (await counts.textContent()) ?? "";
    expect(text).toMatch(/Licenses released at Apple\s*3 \(0 user-based, 3 device-based\)/);
    expect(text).toMatch(/Apps losing their rules\s*1/);
    expect(text).toMatch(/Reserved users\s*1/);
    expect(text).toMatch(/Apps kept in the catalog\s*1/);
    // RV3: no user-based license, so no user's 30 days to speak of; nothing is uninstalled.
    const consequences = (await dialog.getByRole("list").first().textContent()) ?? "";
    expect(consequences).not.toContain("Apple Account");
    expect(consequences).toContain("nothing is uninstalled");
    await shot(page, "ac5-delete-account-counts");
    await dialog.getByRole("button", { name: "Continue" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm the deletion" });
    const remove = confirm.getByRole("button", { name: "Delete permanently" });
    await expect(remove.isDisabled()).resolves.toBe(true);
    await confirm.getByText("3 licenses will be released at Apple.").waitFor();
    await confirm.getByLabel("Type “Doomed campus” to confirm").fill("Doomed campus");
    await remove.click();
    await confirm.waitFor({ state: "detached" });
    await page.getByRole("row").filter({ hasText: "Doomed campus" }).waitFor({ state: "detached" });
    expect((await listAccounts(ic.core.store.db, ic.spaceId)).map((a) => a.displayName)).toEqual([]);
    // What it did, said on the page the dialog closed onto.
    await page.getByText("“Doomed campus” is deleted: its 3 licenses were released at Apple.").waitFor();
  });

  it("AC1: “Clear all previous license data” is not sent until its consequence is ticked as understood", async () => {
    await page.getByRole("button", { name: "Add account" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add an Apps and Books account" });
    await dialog.getByLabel("Display name").fill("Fresh campus");
    await dialog
      .getByLabel("Token file")
      .setInputFiles({ name: "fresh.vpptoken", mimeType: "text/plain", buffer: Buffer.from(sToken) });
    await dialog.getByLabel("Clear all previous Apps and Books license data").check();
    await dialog.getByRole("button", { name: "Add account" }).click();
    await dialog.getByRole("alert").filter({ hasText: "Tick the box above to confirm" }).waitFor();
    // Not sent: the account does not exist.
    expect(await listAccounts(ic.core.store.db, ic.spaceId)).toEqual([]);
    await shot(page, "ac1-clear-previous-unconfirmed");

    // Unticked and ticked again, the acknowledgement is asked again.
    await dialog.getByLabel("Clear all previous Apps and Books license data").uncheck();
    await dialog.getByLabel("Clear all previous Apps and Books license data").check();
    const understood = dialog.getByLabel(/^I understand: every license of this token is released at Apple/);
    await expect(understood.isChecked()).resolves.toBe(false);

    await understood.check();
    await dialog.getByRole("button", { name: "Add account" }).click();
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("link", { name: "Fresh campus" }).waitFor();
  });

  it("AC5, NT2: an account whose token Apple revoked: the dialog warns that nothing can be released at Apple, and once deleted the page says how many licenses are still there", async () => {
    const { db } = ic.core.store;
    const [fresh] = await listAccounts(db, ic.spaceId);
    if (!fresh) throw new Error("the account added above");
    const [device] = await createDevices(db, [
      { spaceId: ic.spaceId, serialNumber: "AC5D00000009", platform: "iOS" as const },
    ]);
    await insertLicenses(db, [
      {
        spaceId: ic.spaceId,
        accountId: fresh.id,
        adamId,
        type: "device" as const,
        deviceId: device?.id ?? "",
        state: "assigned" as const,
        now: new Date(),
      },
    ]);
    ic.core.simulator?.operator.revokeToken(freshUId);
    await setAccountHealth(db, ic.spaceId, fresh.id, "revoked", new Date());
    await page.goto(`${ic.url}/s/${ic.spaceId}/accounts`);
    await page
      .getByRole("row")
      .filter({ hasText: "Fresh campus" })
      .getByRole("button", { name: "Delete" })
      .click();
    const dialog = page.getByRole("dialog", { name: "Delete “Fresh campus”?" });
    await dialog
      .getByText(/^This account's token does not work: Apple cannot be asked to release its licenses/)
      .waitFor();
    await dialog.getByRole("button", { name: "Continue" }).click();
    const confirm = page.getByRole("dialog", { name: "Confirm the deletion" });
    await confirm.getByLabel("Type “Fresh campus” to confirm").fill("Fresh campus");
    await confirm.getByRole("button", { name: "Delete permanently" }).click();
    await confirm.waitFor({ state: "detached" });
    const notice = page.getByRole("status").or(page.getByRole("alert")).filter({ hasText: "Fresh campus" });
    await notice.getByText("“Fresh campus” is deleted, with licenses still assigned at Apple").waitFor();
    expect(await notice.textContent()).toContain(
      "Its token did not work, so Apple could not be asked to release 1 of its licenses: release it in Apple Business Manager to free its seat.",
    );
    await shot(page, "ac5-deleted-licenses-still-at-apple");
  });
});
