import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Core } from "../../src/main/compose.js";
import {
  type Account,
  appendOutbox,
  createAccount,
  createDevice,
  findLicense,
  insertLicenses,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { requeueSubjects } from "../../src/store/sync-licenses.repo.js";
import { finishOutbox } from "../../src/store/sync-outbox.repo.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * Apple's refusals for good in the console, in headless Chromium against the real API: the
 * waiting lists say Apple refused and why, with "Send again" (DB2, UB3); the account's Apple
 * work offers to send a refused release again or abandon it (RV1-RV5); read-only
 * administrators see the reasons, not the buttons (PM1).
 */
const OWNER = { login: "owner-ar", password: "correct horse battery staple" };
const READER = { login: "reader-ar", password: "another long passphrase" };
const APPLE_SAID = "Unable to associate the Apple Account with the user.";

describe("console: Apple's refusals", () => {
  let ic: IsolatedConsole;
  let core: Core;
  let url = "";
  let spaceId = "";
  let account: Account;
  let page: Page;
  let licenseId = "";
  const adamId = "361309726";
  const device = { held: "", other: "", released: "" };

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "ar", owner: OWNER, reader: READER });
    ({ core, url, spaceId } = ic);
    const db = core.store.db;
    const now = new Date();
    account = await createAccount(db, core.store.keys, {
      spaceId,
      displayName: "Lyon campus",
      sToken: "not-a-real-token",
    });
    await upsertAsset(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId,
        pricingParam: "STDQ",
        productType: "App",
        name: "Pages",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      now,
    );
    await setCatalogApp(db, { spaceId, adamId, name: "Pages" }, now);
    device.held = (await createDevice(db, { spaceId, serialNumber: "SERREF1", platform: "iOS" })).id;
    device.other = (await createDevice(db, { spaceId, serialNumber: "SERREF2", platform: "iOS" })).id;
    device.released = (await createDevice(db, { spaceId, serialNumber: "SERREF3", platform: "iOS" })).id;
    await requeueSubjects(
      db,
      [device.held, device.other].map((deviceId) => ({
        spaceId,
        adamId,
        deviceId,
        why: "mandatory" as const,
        ruleIds: ["DB2", "UB3"],
        requestedAt: now,
        now,
        refusal: { errorNumber: 9635, message: APPLE_SAID, accountId: account.id },
      })),
    );
    // A release Apple refused: the license still holds its seat, its operation failed.
    [licenseId = ""] = await insertLicenses(db, [
      {
        spaceId,
        accountId: account.id,
        adamId,
        type: "device",
        deviceId: device.released,
        state: "pending_release",
        now,
      },
    ]);
    await appendOutbox(db, [
      {
        spaceId,
        accountId: account.id,
        kind: "disassociate",
        adamId,
        serialNumber: "SERREF3",
        licenseId,
        now,
      },
    ]);
    const ops = await db.selectFrom("outbox").select("seq").where("license_id", "=", licenseId).execute();
    await finishOutbox(db, {
      spaceId,
      seqs: ops.map((o) => o.seq),
      state: "failed",
      error: "9706 Asset in request is not revocable",
      now,
    });
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const queue = (p: Page) => p.getByRole("table", { name: "Waiting for a license" });

  it("DB2, UB3: the app's waiting list says Apple refused, with Apple's number, words and account; Send again decides it again", async () => {
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    const row = queue(page).getByRole("row", { name: /SERREF1/ });
    await row.getByText("An administrator: Apple refused it").waitFor();
    await row.getByText(`Apple 9635: ${APPLE_SAID}`, { exact: false }).waitFor();
    await row.getByText("Lyon campus", { exact: false }).waitFor();
    await shot(page, "70-waiting-apple-refused");
    await row.getByRole("button", { name: "Send again: the request of SERREF1" }).click();
    await page.getByText("Sent again: the request waits in its place and is served in its turn.").waitFor();
    // Decided again at once (the seat listener serves the queue): no longer held by Apple's refusal
    // (here the account's rules give it no license, so it leaves the queue, decided for good).
    await queue(page)
      .getByRole("row", { name: /SERREF1/ })
      .getByText("An administrator: Apple refused it")
      .waitFor({ state: "detached" });
    // The other refused request still waits for an administrator.
    await queue(page)
      .getByRole("row", { name: /SERREF2/ })
      .getByText("An administrator: Apple refused it")
      .waitFor();
  });

  it("DB2: the device's page says so too, with Send again", async () => {
    await page.goto(`${url}/s/${spaceId}/devices/${device.other}`);
    const row = page
      .getByRole("table", { name: "Waiting for a license" })
      .getByRole("row", { name: /Pages/ });
    await row.getByText(`Apple 9635: ${APPLE_SAID}`, { exact: false }).waitFor();
    await row.getByRole("button", { name: "Send again: the request of Pages" }).waitFor();
  });

  it("RV2, MA2: the account's Apple work says what waits for an administrator, never that everything reached Apple; it lists the refused release with Send again and Abandon; abandoning asks first, then releases the license here", async () => {
    await page.goto(`${url}/s/${spaceId}/accounts/${account.id}`);
    const panel = page.locator("section.card.apple-work");
    await panel.getByText("1 release refused by Apple").waitFor();
    // Nothing waits for Apple, but the refused request (SERREF2) and release wait for an administrator.
    await panel.getByText("1 request refused by Apple waits for an administrator").waitFor();
    await panel.getByText("Nothing left to send to Apple").waitFor();
    expect(await panel.getByText("Everything reached Apple").count()).toBe(0);
    const failures = panel.getByRole("table", { name: "Recent failures" });
    const row = failures.getByRole("row", { name: /SERREF3/ });
    await row.getByText("9706 Asset in request is not revocable").waitFor();
    await row.getByRole("button", { name: "Send again: the release of SERREF3 to Apple" }).waitFor();
    await shot(page, "71-apple-work-refused-release");
    await row.getByRole("button", { name: "Abandon the release of SERREF3" }).click();
    const dialog = page.getByRole("dialog", { name: "Abandon the release of SERREF3?" });
    await dialog.getByText("the activity log names you", { exact: false }).waitFor();
    await dialog.getByRole("button", { name: "Abandon and release here" }).click();
    await panel.getByText("Release abandoned: the license is released here and its seat is back.").waitFor();
    expect((await findLicense(core.store.db, spaceId, licenseId))?.state).toBe("released");
    await panel.getByText("1 release refused by Apple").waitFor({ state: "detached" });
    expect(await row.getByRole("button").count()).toBe(0);
    await panel.getByText("1 request refused by Apple waits for an administrator").waitFor();
    // MA2: Explain names the account Apple refused, and that no other can serve the subject.
    await page.goto(`${url}/s/${spaceId}/explain?app=${adamId}&device=${device.other}`);
    await page
      .getByText("Apple refused to assign the app to this subject from “Lyon campus” (Apple 9635", {
        exact: false,
      })
      .waitFor();
    await page.getByText("no other account can serve it", { exact: false }).waitFor();
  });

  it("in French too", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    const row = page
      .getByRole("table", { name: "En attente d'une licence" })
      .getByRole("row", { name: /SERREF2/ });
    await row.getByText("Un administrateur : refusée par Apple").waitFor();
    await row.getByText(`Apple 9635 : ${APPLE_SAID}`, { exact: false }).waitFor();
    await row.getByRole("button", { name: "Renvoyer la demande de SERREF2" }).waitFor();
    await shot(page, "72-waiting-apple-refused-fr");
    await page.goto(`${url}/s/${spaceId}/accounts/${account.id}`);
    const panel = page.locator("section.card.apple-work");
    await panel.getByText("1 demande refusée par Apple attend un administrateur").waitFor();
    await panel.getByText("Plus rien à envoyer à Apple").waitFor();
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
  });

  it("PM1: a read-only administrator sees Apple's reason, and no button to act on it", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    const row = queue(reader).getByRole("row", { name: /SERREF2/ });
    await row.getByText(`Apple 9635: ${APPLE_SAID}`, { exact: false }).waitFor();
    expect(await row.getByRole("button").count()).toBe(0);
    await reader.context().close();
  });
});
