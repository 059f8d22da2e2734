import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { undelegateApp } from "../../src/mdm/index.js";
import {
  createDevice,
  createSpace,
  findCatalogApp,
  replaceInstalledApps,
  requestLicenses,
  setAppRules,
} from "../../src/store/index.js";
import { listMdmCommands } from "../../src/store/mdm-command.repo.js";
import { shot, signIn } from "./harness.js";
import { accountWithApp, type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The catalog managed from the console (CA1, CA3, DB4, PB1), in headless Chromium against the
 * real API (isolated-console.ts): an app added from the Apps page, made mandatory, its update
 * mode changed on its page, delegated to a custom space and taken back, then removed through
 * the confirmation that counts the iOS devices PB1 uninstalls it from. After each step the
 * page shows the change and the store holds it. A read-only administrator sees no button.
 */
const OWNER = { login: "owner-catalog", password: "correct horse battery staple" };
const READER = { login: "reader-catalog", password: "another long passphrase" };

describe("console: the app catalog", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let url = "";
  let spaceId = "";
  let lyonId = "";
  let accountId = "";
  const adamId = "361309726";
  const ipads: string[] = [];
  let macId = "";
  let lyonIpadId = "";
  const entry = () => findCatalogApp(ic.core.store.db, spaceId, adamId);
  const catalogCard = (): Locator =>
    page.locator("section.card").filter({ has: page.getByRole("heading", { name: "Catalog", exact: true }) });

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "catalog", owner: OWNER, reader: READER });
    ({ url, spaceId } = ic);
    const now = new Date();
    const { db } = ic.core.store;
    // Pages, bought by the default space's account and not in its catalog yet (CA3).
    accountId = await accountWithApp(
      ic,
      { adamId, name: "Pages", total: 10, platforms: ["iOS", "macOS"] },
      { displayName: "Paris", now },
    );
    // Two iPads and a Mac have it installed; one iPad of Lyon, a custom space, will have it too.
    for (const serial of ["CATIPAD1", "CATIPAD2"]) {
      ipads.push((await createDevice(db, { spaceId, serialNumber: serial, platform: "iOS" })).id);
    }
    macId = (await createDevice(db, { spaceId, serialNumber: "CATMAC1", platform: "macOS" })).id;
    for (const id of [...ipads, macId])
      await replaceInstalledApps(db, spaceId, id, [{ bundleId: "com.apple.pages", adamId }], now);
    lyonId = (await createSpace(db, { name: "Lyon" })).id;
    lyonIpadId = (await createDevice(db, { spaceId: lyonId, serialNumber: "CATLYON1", platform: "iOS" })).id;
    await replaceInstalledApps(db, lyonId, lyonIpadId, [{ bundleId: "com.apple.pages", adamId }], now);
    // The first iPad's reservation: once Pages is in the catalog, it holds a license (DI2).
    await setAppRules(
      db,
      {
        spaceId,
        accountId,
        adamId,
        reservedUserIds: [],
        reservedDeviceIds: [ipads[0] ?? ""],
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

  it("CA1 CA3: an app not in the catalog is added from the Apps page; the row says so and the store holds it, on request and updated immediately", async () => {
    await page.goto(`${url}/s/${spaceId}/apps`);
    const row = page.getByRole("row").filter({ hasText: "Pages" });
    await row.getByText("Not in catalog", { exact: true }).waitFor();
    expect(await entry()).toBeUndefined();
    await row.getByRole("button", { name: "Add Pages to the catalog" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: "Add “Pages” to the catalog" }).waitFor();
    expect(await dialog.getByLabel("Install on device").isChecked()).toBe(false);
    expect(await dialog.getByLabel("Updates").inputValue()).toBe("immediate");
    await dialog.getByLabel("Description").fill("Word processing for class");
    await shot(page, "60-catalog-add");
    await dialog.getByRole("button", { name: "Add to catalog" }).click();
    await dialog.waitFor({ state: "hidden" });
    await row.getByText("In catalog", { exact: true }).waitFor();
    expect(await row.getByText("Not in catalog", { exact: true }).count()).toBe(0);
    expect(await entry()).toMatchObject({
      inCatalog: true,
      name: "Pages",
      installOnDevice: false,
      updateMode: "immediate",
    });
  });

  it("CA1: 'Install on device' is set from the Apps page's options; the app's page shows it mandatory and the store holds it", async () => {
    const row = page.getByRole("row").filter({ hasText: "Pages" });
    await row.getByRole("button", { name: "Catalog options of Pages" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: "Catalog options of “Pages”" }).waitFor();
    // What was saved comes back.
    expect(await dialog.getByLabel("Description").inputValue()).toBe("Word processing for class");
    await dialog.getByLabel("Install on device").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => (await entry())?.installOnDevice).toBe(true);

    await row.getByRole("link", { name: "Pages" }).click();
    const details = catalogCard().getByTestId("catalog-entry");
    await details.getByText("Yes: mandatory").waitFor();
    expect(await details.textContent()).toContain("Word processing for class");
    expect(await details.textContent()).toContain("Immediate");
  });

  it("DB4: the update mode is changed on the app's page; the card and the store say automatic", async () => {
    await catalogCard().getByRole("button", { name: "Edit catalog options" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Updates").selectOption("automatic");
    await dialog.getByText("kept up to date as soon as a new version exists").waitFor();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await catalogCard().getByTestId("catalog-entry").getByText("Automatic").waitFor();
    expect(await entry()).toMatchObject({ inCatalog: true, installOnDevice: true, updateMode: "automatic" });
  });

  it("PB1: the app is delegated to Lyon and taken back; the confirmation counts Lyon's iPad, which gets the remove command", async () => {
    const delegations = catalogCard().getByTestId("delegations");
    await delegations.getByText("Not delegated to any other space.").waitFor();
    await delegations.getByRole("button", { name: "Delegate to spaces" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Lyon").check();
    await dialog.getByRole("button", { name: "Delegate to spaces" }).click();
    await dialog.waitFor({ state: "hidden" });
    await delegations.getByText("Delegated to 1 space.").waitFor();
    await delegations.getByRole("listitem").filter({ hasText: "Lyon" }).waitFor();
    await shot(page, "62-catalog-delegated");
    expect(await findCatalogApp(ic.core.store.db, lyonId, adamId)).toMatchObject({
      inCatalog: true,
      delegatedFromSpaceId: spaceId,
    });

    await delegations.getByRole("button", { name: "Stop delegating to Lyon" }).click();
    const confirm = page.getByRole("dialog");
    await confirm.getByRole("heading", { name: "Stop delegating “Pages” to Lyon?" }).waitFor();
    const preview = confirm.getByTestId("removal-preview");
    await preview.getByText("1 iOS device will get a remove command").waitFor();
    await confirm
      .getByText("Lyon loses the app: on iOS it is uninstalled from every device of that space")
      .waitFor();
    await confirm.getByRole("button", { name: "Stop delegating" }).click();
    await confirm.waitFor({ state: "hidden" });
    await delegations.getByText("devices sent a remove command: 1").waitFor();
    await delegations.getByText("Not delegated to any other space.").waitFor();
    expect(await findCatalogApp(ic.core.store.db, lyonId, adamId)).toMatchObject({ inCatalog: false });
    const lyonCommands = await listMdmCommands(ic.core.store.db, lyonId);
    expect(lyonCommands.map((c) => [c.kind, c.deviceId, c.ruleIds])).toEqual([
      ["remove", lyonIpadId, ["PB1"]],
    ]);
  });

  it("CA1: Lyon's Apps page lists the delegated app 'Delegated from Default' though no account there bought it; its admin makes it mandatory there; taken back and delegated again, the console says Lyon keeps that option and the store gives it back", async () => {
    const { db } = ic.core.store;
    const delegations = catalogCard().getByTestId("delegations");
    await delegations.getByRole("button", { name: "Delegate to spaces" }).click();
    let dialog = page.getByRole("dialog");
    // Lyon had the app before: the options it kept are read before confirming.
    await dialog.getByText("Install on device: No: on request; updates: Immediate.").waitFor();
    await dialog.getByLabel("Lyon").check();
    await dialog.getByRole("button", { name: "Delegate to spaces" }).click();
    await dialog.waitFor({ state: "hidden" });

    await page.goto(`${url}/s/${lyonId}/apps`);
    const row = page.getByRole("row").filter({ hasText: "Pages" });
    await row.getByText("Delegated from Default", { exact: true }).waitFor();
    await row.getByText("In catalog", { exact: true }).waitFor();
    expect(await row.getByRole("cell").nth(2).textContent()).toBe("0"); // total: Lyon bought none
    await row.getByRole("button", { name: "Catalog options of Pages" }).click();
    dialog = page.getByRole("dialog");
    await dialog.getByLabel("Install on device").check();
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await expect.poll(async () => (await findCatalogApp(db, lyonId, adamId))?.installOnDevice).toBe(true);
    await row.getByRole("link", { name: "Pages" }).click();
    const lyonCard = catalogCard();
    await lyonCard.getByTestId("catalog-entry").getByText("Yes: mandatory").waitFor();
    await lyonCard.getByText("Delegated to this space by Default.").waitFor();
    await lyonCard.getByText("Only Default can stop delegating it").waitFor();
    // Delegating is the default space's: Lyon's card offers none of it.
    expect(await lyonCard.getByTestId("delegations").count()).toBe(0);
    await shot(page, "63-catalog-delegated-here");

    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    await delegations.getByRole("button", { name: "Stop delegating to Lyon" }).click();
    dialog = page.getByRole("dialog");
    await dialog.getByText("Lyon keeps the options it set for the app").waitFor();
    await dialog.getByRole("button", { name: "Stop delegating" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await findCatalogApp(db, lyonId, adamId)).toMatchObject({
      inCatalog: false,
      installOnDevice: true,
    });

    await delegations.getByRole("button", { name: "Delegate to spaces" }).click();
    dialog = page.getByRole("dialog");
    await dialog
      .getByText(
        "Install on device: Yes: mandatory; updates: Immediate. Its devices install it at their next check-in.",
      )
      .waitFor();
    await dialog.getByLabel("Lyon").check();
    await dialog.getByRole("button", { name: "Delegate to spaces" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await findCatalogApp(db, lyonId, adamId)).toMatchObject({
      inCatalog: true,
      installOnDevice: true,
      delegatedFromSpaceId: spaceId,
    });
    // Taken back again, so the removal below concerns the default space alone.
    await undelegateApp(
      { db, now: () => new Date() },
      { fromSpaceId: spaceId, adamId, spaceIds: [lyonId], actor: { kind: "system" } },
    );
    await page.reload();
    await delegations.getByText("Not delegated to any other space.").waitFor();
  });

  it("PB1 PB2: removing asks first, counting the two iPads (not the Mac) and the license; cancelled, nothing changes; confirmed, the card says 'Not in catalog' and the iPads get remove commands", async () => {
    const { db } = ic.core.store;
    const [held] = await requestLicenses(db, {
      spaceId,
      adamId,
      requests: [
        { spaceId, adamId, subject: { kind: "device", deviceId: ipads[0] ?? "" }, why: "mandatory" },
      ],
      actor: { kind: "system" },
      now: new Date(),
    });
    expect(held?.decision.outcome).toBe("grant");

    await catalogCard().getByRole("button", { name: "Remove from catalog" }).click();
    let dialog = page.getByRole("dialog");
    await dialog.getByRole("heading", { name: "Remove “Pages” from the catalog?" }).waitFor();
    const preview = dialog.getByTestId("removal-preview");
    await preview.getByText("2 iOS devices will get a remove command").waitFor();
    await preview.getByText("1 license will be revoked.").waitFor();
    await dialog.getByText("On iOS, deleting an app from a space's catalog uninstalls it").waitFor();
    await shot(page, "61-catalog-remove-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden" });
    expect(await entry()).toMatchObject({ inCatalog: true });
    expect(await listMdmCommands(db, spaceId)).toEqual([]);

    await catalogCard().getByRole("button", { name: "Remove from catalog" }).click();
    dialog = page.getByRole("dialog");
    await dialog.getByTestId("removal-preview").getByText("2 iOS devices").waitFor();
    await dialog.getByRole("button", { name: "Remove from catalog" }).click();
    await dialog.waitFor({ state: "hidden" });
    const card = catalogCard();
    await card.getByText("licenses revoked: 1; devices sent a remove command: 2").waitFor();
    await card.getByText("Not in catalog", { exact: true }).waitFor();
    await card.getByRole("button", { name: "Add to catalog" }).waitFor();
    expect(await entry()).toMatchObject({ inCatalog: false });
    const commands = await listMdmCommands(db, spaceId);
    expect(commands.map((c) => [c.kind, c.deviceId]).sort()).toEqual(
      ipads.map((id) => ["remove", id]).sort(),
    );
    expect(commands.some((c) => c.deviceId === macId)).toBe(false);

    await page.goto(`${url}/s/${spaceId}/apps`);
    await page
      .getByRole("row")
      .filter({ hasText: "Pages" })
      .getByText("Not in catalog", { exact: true })
      .waitFor();
  });

  it("PM1: a read-only administrator sees the catalog entry and no button that changes it", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${url}/s/${spaceId}/apps`);
    const row = reader.getByRole("row").filter({ hasText: "Pages" });
    await row.getByText("Not in catalog", { exact: true }).waitFor();
    expect(await row.getByRole("button").count()).toBe(0);
    await reader.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    const card = reader
      .locator("section.card")
      .filter({ has: reader.getByRole("heading", { name: "Catalog", exact: true }) });
    await card.getByText("until it is added to the catalog").waitFor();
    expect(await card.getByRole("button").count()).toBe(0);
    await reader.context().close();
  });
});
