import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Core } from "../../src/main/compose.js";
import { withTransaction } from "../../src/store/database.js";
import {
  type Account,
  createAccount,
  createDevice,
  createUser,
  listOutbox,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import {
  completeOutsideSnapshot,
  unlistOutside,
  writeOutsidePage,
} from "../../src/store/outside-assignments.repo.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * AC7 in the console: the account page's "Assignments made outside Orchard" card in
 * headless Chromium against the real API (in-memory PGlite, isolated-console.ts; no worker
 * runs, so the outbox holds exactly what the releases wrote).
 */
const OWNER = { login: "owner-oa", password: "correct horse battery staple" };
const READER = { login: "reader-oa", password: "another long passphrase" };

describe("console: assignments made outside Orchard", () => {
  let ic: IsolatedConsole;
  let core: Core;
  let url = "";
  let spaceId = "";
  let account: Account;
  let page: Page;
  const adamId = "408709785";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "oa", owner: OWNER, reader: READER });
    ({ core, url, spaceId } = ic);
    const db = core.store.db;
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
        name: "Keynote",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      new Date(),
    );
    await setCatalogApp(db, { spaceId, adamId, name: "Keynote" }, new Date());
    const retired = await createDevice(db, { spaceId, serialNumber: "OLDIPAD01", platform: "iOS" });
    await db.updateTable("devices").set({ status: "retired" }).where("id", "=", retired.id).execute();
    await createUser(db, { spaceId, name: "Ada Lovelace", appleClientUserId: "jamf-ada" });
    await writeOutsidePage(db, {
      spaceId,
      accountId: account.id,
      generation: 1,
      page: 0,
      assignments: [
        { adamId, pricingParam: "STDQ", serialNumber: "GONE0001" },
        { adamId, pricingParam: "STDQ", serialNumber: "GONE0002" },
        { adamId, pricingParam: "STDQ", serialNumber: "oldipad01" },
        { adamId, pricingParam: "STDQ", clientUserId: "jamf-ada" },
      ],
    });
    await completeOutsideSnapshot(db, { spaceId, accountId: account.id, generation: 1, now: new Date() });
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const card = (p: Page) => p.locator("section.card.outside-assignments");
  const openAccount = async (p: Page) => {
    await p.goto(`${url}/s/${spaceId}/accounts/${account.id}`);
    await p.getByRole("heading", { name: "Lyon campus" }).waitFor();
    await card(p).getByRole("heading", { name: "Assignments made outside Orchard" }).waitFor();
  };
  const table = (p: Page) => card(p).getByRole("table", { name: "Assignments made outside Orchard" });

  it("AC7: lists what Apple holds outside Orchard, what each names in the space and why it was not adopted", async () => {
    await openAccount(page);
    const rows = table(page).getByRole("row");
    await expect(rows.count()).resolves.toBe(5); // header + 4
    const gone = table(page).getByRole("row", { name: /GONE0001/ });
    await gone.getByText("Names nobody here").waitFor();
    await gone.getByRole("link", { name: "Keynote" }).waitFor();
    const ipad = table(page).getByRole("row", { name: /oldipad01/ });
    await ipad.getByText("Device not active").waitFor();
    await ipad.getByRole("link", { name: "OLDIPAD01" }).waitFor();
    const ada = table(page).getByRole("row", { name: /jamf-ada/ });
    await ada.getByText("Adopted at the next resync").waitFor();
    await ada.getByRole("link", { name: "Ada Lovelace" }).waitFor();
    await card(page)
      .getByText(/^Read from Apple /)
      .waitFor();
    await card(page).getByText("AC7").waitFor();
    await shot(page, "60-outside-assignments");
  });

  it("AC7: an administrator releases the chosen ones at Apple after confirming; they show on their way", async () => {
    await openAccount(page);
    const release = card(page).getByRole("button", { name: /^Release at Apple/ });
    await expect(release.isDisabled()).resolves.toBe(true);
    await card(page).getByRole("checkbox", { name: "Select GONE0001" }).check();
    await card(page).getByRole("checkbox", { name: "Select oldipad01" }).check();
    await expect(release.textContent()).resolves.toBe("Release at Apple (2)");
    await release.click();
    const dialog = page.getByRole("dialog", { name: "Release at Apple?" });
    await dialog.getByText(/Apple will release 2 licenses assigned outside Orchard/).waitFor();
    await dialog.getByText("GONE0001", { exact: false }).waitFor();
    await shot(page, "61-outside-release-confirm");
    await dialog.getByRole("button", { name: "Release 2" }).click();
    await card(page).getByText("Queued for Apple: 2.").waitFor();
    await table(page)
      .getByRole("row", { name: /GONE0001/ })
      .getByText("On its way to Apple")
      .waitFor();
    await table(page)
      .getByRole("row", { name: /oldipad01/ })
      .getByText("On its way to Apple")
      .waitFor();
    // On its way: no longer offered for a release.
    expect(await card(page).getByRole("checkbox", { name: "Select GONE0001" }).count()).toBe(0);
    const outbox = await listOutbox(core.store.db, { spaceId, kind: "disassociate" });
    expect(outbox.map((o) => o.serialNumber).sort()).toEqual(["GONE0001", "oldipad01"]);
    await shot(page, "62-outside-released");
  });

  it("in French too", async () => {
    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await card(page).getByRole("heading", { name: "Attributions faites hors d'Orchard" }).waitFor();
    const fr = card(page).getByRole("table", { name: "Attributions faites hors d'Orchard" });
    await fr
      .getByRole("row", { name: /GONE0002/ })
      .getByText("Ne désigne personne ici")
      .waitFor();
    await fr
      .getByRole("row", { name: /GONE0001/ })
      .getByText("En route vers Apple")
      .waitFor();
    await card(page).getByRole("button", { name: "Libérer auprès d'Apple (0)" }).waitFor();
    await shot(page, "63-outside-assignments-fr");
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();
    await card(page).getByRole("heading", { name: "Assignments made outside Orchard" }).waitFor();
  });

  it("AC7: release all: the confirmation shows the list's count; a list that changed meanwhile is counted again and confirmed again; then all are queued once", async () => {
    await openAccount(page);
    await card(page).getByRole("button", { name: "Release all at Apple (4)" }).click();
    const dialog = page.getByRole("dialog", { name: "Release all at Apple?" });
    await dialog.getByText(/Apple will release all 4 licenses/).waitFor();
    // Meanwhile Ada's assignment leaves the list (adopted, or released at Apple): 3 are left.
    await withTransaction(core.store.db, (trx) =>
      unlistOutside(trx, { spaceId, accountId: account.id, adamId, kind: "user", subjects: ["jamf-ada"] }),
    );
    await dialog.getByRole("button", { name: "Release all 4" }).click();
    await dialog.getByText("The list changed", { exact: true }).waitFor();
    await dialog.getByText(/it now holds 3\. Nothing was released/).waitFor();
    await shot(page, "64-outside-release-all-changed");
    await dialog.getByRole("button", { name: "Release all 3" }).click();
    // GONE0001 and oldipad01 were on their way already: GONE0002 alone is queued.
    await card(page).getByText("Queued for Apple: 1. Already on their way: 2.").waitFor();
    const outbox = await listOutbox(core.store.db, { spaceId, kind: "disassociate" });
    expect(outbox.map((o) => o.serialNumber).sort()).toEqual(["GONE0001", "GONE0002", "oldipad01"]);
  });

  it("PM1: a read-only administrator sees the list, and nothing to release", async () => {
    const reader = await signIn(ic, READER);
    await openAccount(reader);
    await table(reader)
      .getByRole("row", { name: /GONE0002/ })
      .waitFor();
    expect(await card(reader).getByRole("checkbox").count()).toBe(0);
    expect(
      await card(reader)
        .getByRole("button", { name: /Release/ })
        .count(),
    ).toBe(0);
    await reader.context().close();
  });
});
