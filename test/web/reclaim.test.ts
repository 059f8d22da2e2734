import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createAccount,
  createDevice,
  createUser,
  type Db,
  insertLicenses,
  listLicensesForApp,
  setCatalogApp,
  upsertAsset,
} from "../../src/store/index.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * "Reclaim inactive…" on the Licenses page, in headless Chromium against the real API
 * (isolated-console.ts): the preview, a reclaim refused because the count changed since
 * (409 `reclaim_changed`, worded), then the reclaim of what the new preview showed.
 */
const OWNER = { login: "owner-reclaim", password: "correct horse battery staple" };
const READER = { login: "reader-reclaim", password: "another long passphrase" };
const DAY = 86_400_000;
const ADAM = "361309726";

describe("console: reclaiming the licenses of inactive devices and users", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let db: Db;
  const devices: Record<string, string> = {};

  async function ageDevice(serial: string, lastCheckInAt: Date | null, createdAt: Date) {
    await db
      .updateTable("devices")
      .set({ created_at: createdAt, last_check_in_at: lastCheckInAt })
      .where("space_id", "=", ic.spaceId)
      .where("id", "=", devices[serial] ?? "")
      .execute();
  }

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "reclaim", owner: OWNER, reader: READER });
    db = ic.core.store.db;
    const { spaceId } = ic;
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * DAY);
    const account = await createAccount(db, ic.core.store.keys, {
      spaceId,
      displayName: "Lyon campus",
      sToken: "not-a-real-token",
    });
    await upsertAsset(
      db,
      {
        spaceId,
        accountId: account.id,
        adamId: ADAM,
        name: "Pages",
        pricingParam: "STDQ",
        productType: "App",
        total: 10,
        deviceAssignable: true,
        platforms: ["iOS"],
      },
      now,
    );
    await setCatalogApp(db, { spaceId, adamId: ADAM, name: "Pages" }, now);
    for (const serial of ["IDLE-1", "NEVER-2", "ACTIVE-3"]) {
      const d = await createDevice(db, { spaceId, serialNumber: serial, platform: "iOS" });
      devices[serial] = d.id;
    }
    await ageDevice("IDLE-1", ago(100), ago(400));
    await ageDevice("NEVER-2", null, ago(120));
    await ageDevice("ACTIVE-3", ago(1), ago(400));
    const ursula = await createUser(db, { spaceId, name: "Ursula Unseen" });
    await db
      .updateTable("users")
      .set({ created_at: ago(200) })
      .where("id", "=", ursula.id)
      .execute();
    const key = { spaceId, accountId: account.id, adamId: ADAM, state: "assigned" as const, now };
    await insertLicenses(db, [
      ...Object.values(devices).map((deviceId) => ({ ...key, type: "device" as const, deviceId })),
      { ...key, type: "user" as const, userId: ursula.id },
    ]);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const statesByType = async () => {
    const all = await listLicensesForApp(db, ic.spaceId, ADAM);
    return {
      device: all.filter((l) => l.type === "device").map((l) => l.state),
      user: all.filter((l) => l.type === "user").map((l) => l.state),
    };
  };

  it("RV3: Preview shows the count and the first licenses; a reclaim whose count changed since is refused in words and revokes nothing; a new preview, then 'Reclaim N licenses', revokes them", async () => {
    page = await signIn(ic, OWNER);
    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await page.getByRole("button", { name: "Reclaim inactive…" }).click();
    const dialog = page.getByRole("dialog", { name: "Reclaim the licenses of inactive devices and users" });
    await dialog.waitFor();
    expect(await dialog.getByLabel("Days without a check-in").inputValue()).toBe("90");
    // Nothing to reclaim before a preview.
    expect(await dialog.getByRole("button", { name: "Reclaim", exact: true }).isDisabled()).toBe(true);

    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("3 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    const rows = await dialog.locator("tbody tr").allTextContents();
    expect(rows).toHaveLength(3);
    expect(rows.join("\n")).toContain("Device IDLE-1");
    expect(rows.join("\n")).toContain("User Ursula Unseen");
    expect(rows.find((r) => r.includes("NEVER-2"))).toContain("Never");
    expect(rows.join("\n")).not.toContain("ACTIVE-3");
    await shot(page, "40-reclaim-preview");

    // Devices only: the preview is voided by the change, then made again.
    await dialog.getByLabel("Type").selectOption("device");
    expect(await dialog.getByRole("button", { name: "Reclaim", exact: true }).isDisabled()).toBe(true);
    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("2 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();

    // Meanwhile the third iPad's last check-in turns out to be old too: 3 match now, not 2.
    await ageDevice("ACTIVE-3", new Date(Date.now() - 95 * DAY), new Date(Date.now() - 400 * DAY));
    await dialog.getByRole("button", { name: "Reclaim 2 licenses" }).click();
    await dialog.getByText("Nothing was reclaimed").waitFor();
    await dialog
      .getByText("The licenses changed since the preview: 3 match now, not 2. Preview again to see them.")
      .waitFor();
    expect(await statesByType()).toEqual({
      device: ["assigned", "assigned", "assigned"],
      user: ["assigned"],
    });

    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("3 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    await dialog.getByRole("button", { name: "Reclaim 3 licenses" }).click();
    await dialog.getByText("3 licenses reclaimed: their release is on its way to Apple.").waitFor();
    await shot(page, "41-reclaim-done");
    // Apple's releases queued (RV3: nothing uninstalled); the user's license was not asked for.
    expect(await statesByType()).toEqual({
      device: ["pending_release", "pending_release", "pending_release"],
      user: ["assigned"],
    });
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
    // The list behind shows why, in the console's words.
    await page.getByText("License reclaimed").first().waitFor();
  });

  it("PM1: a read-only administrator has no Reclaim button", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await reader.getByRole("link", { name: "Export CSV" }).waitFor();
    expect(await reader.getByRole("button", { name: "Reclaim inactive…" }).count()).toBe(0);
    await reader.context().close();
  });
});
