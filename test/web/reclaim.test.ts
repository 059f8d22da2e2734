import { sql } from "kysely";
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
 * (409 `reclaim_changed`, worded), then the reclaim of what the new preview showed; the
 * account filter, and a reclaim refused because the set changed though the count did not.
 */
const OWNER = { login: "owner-reclaim", password: "correct horse battery staple" };
const READER = { login: "reader-reclaim", password: "another long passphrase" };
const DAY = 86_400_000;
const ADAM = "361309726";

describe("console: reclaiming the licenses of inactive devices and users", () => {
  let ic: IsolatedConsole;
  let page: Page;
  let db: Db;
  let lyon = "";
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
    lyon = account.id;
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

  it("Account narrows the preview and the reclaim to one account's licenses; one device idle while another comes back (the same count, not the same licenses) is refused in words and revokes nothing", async () => {
    const now = new Date();
    const ago = (days: number) => new Date(now.getTime() - days * DAY);
    const paris = await createAccount(db, ic.core.store.keys, {
      spaceId: ic.spaceId,
      displayName: "Paris campus",
      sToken: "not-a-real-token-either",
    });
    await upsertAsset(
      db,
      {
        spaceId: ic.spaceId,
        accountId: paris.id,
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
    for (const serial of ["IDLE-5", "IDLE-6", "SEEN-7", "PARIS-8"]) {
      const d = await createDevice(db, { spaceId: ic.spaceId, serialNumber: serial, platform: "iOS" });
      devices[serial] = d.id;
    }
    await ageDevice("IDLE-5", ago(100), ago(400));
    await ageDevice("IDLE-6", ago(100), ago(400));
    await ageDevice("SEEN-7", ago(2), ago(400));
    await ageDevice("PARIS-8", ago(100), ago(400));
    const key = {
      spaceId: ic.spaceId,
      adamId: ADAM,
      state: "assigned" as const,
      now,
      type: "device" as const,
    };
    await insertLicenses(db, [
      ...["IDLE-5", "IDLE-6", "SEEN-7"].map((serial) => ({
        ...key,
        accountId: lyon,
        deviceId: devices[serial] ?? "",
      })),
      { ...key, accountId: paris.id, deviceId: devices["PARIS-8"] ?? "" },
    ]);
    const stateOf = async (serial: string) =>
      (await listLicensesForApp(db, ic.spaceId, ADAM)).find(
        (l) => l.deviceId === devices[serial] && l.type === "device",
      )?.state;

    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await page.getByRole("button", { name: "Reclaim inactive…" }).click();
    const dialog = page.getByRole("dialog", { name: "Reclaim the licenses of inactive devices and users" });
    await dialog.waitFor();
    // All accounts: Lyon's two idle iPads and Ursula (a user license), Paris's idle iPad.
    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("4 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    expect(await dialog.getByLabel("Account").locator("option").allTextContents()).toEqual([
      "All accounts",
      "Lyon campus",
      "Paris campus",
    ]);
    await dialog.getByLabel("Account").selectOption({ label: "Lyon campus" });
    expect(await dialog.getByRole("button", { name: "Reclaim", exact: true }).isDisabled()).toBe(true);
    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("3 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    const rows = (await dialog.locator("tbody tr").allTextContents()).join("\n");
    expect(rows).toContain("IDLE-5");
    expect(rows).toContain("Ursula Unseen");
    expect(rows).not.toContain("PARIS-8");

    // Meanwhile IDLE-5 checks in, and SEEN-7 turns out to be idle: still 3, not the same 3.
    await ageDevice("IDLE-5", new Date(), ago(400));
    await ageDevice("SEEN-7", ago(95), ago(400));
    await dialog.getByRole("button", { name: "Reclaim 3 licenses" }).click();
    await dialog.getByText("Nothing was reclaimed").waitFor();
    await dialog
      .getByText(
        "The licenses changed since the preview: 3 match now, as many as before, but not the same ones. Preview again to see them.",
      )
      .waitFor();
    expect(await stateOf("IDLE-6")).toBe("assigned");
    expect(await stateOf("SEEN-7")).toBe("assigned");

    await dialog.getByRole("button", { name: "Preview" }).click();
    await dialog
      .getByText("3 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    await dialog.getByRole("button", { name: "Reclaim 3 licenses" }).click();
    await dialog.getByText("3 licenses reclaimed: their release is on its way to Apple.").waitFor();
    await shot(page, "42-reclaim-by-account");
    // Lyon's idle licenses went; the iPad that came back and Paris's kept theirs.
    expect(await stateOf("IDLE-6")).toBe("pending_release");
    expect(await stateOf("SEEN-7")).toBe("pending_release");
    expect(await stateOf("IDLE-5")).toBe("assigned");
    expect(await stateOf("PARIS-8")).toBe("assigned");
    expect((await statesByType()).user).toEqual(["pending_release"]);
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("more than one batch: a progress bar while the console reclaims 1,000 a request, Stop halts it after the batch under way (that batch done, the rest kept), and 'Reclaim the remaining' goes on to the end", async () => {
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    await sql`insert into devices (space_id, id, serial_number, platform, last_check_in_at, created_at)
      select ${ic.spaceId}, 'many-' || g, 'MANY-' || g, 'iOS', ${ago(100)}::timestamptz, ${ago(400)}::timestamptz
      from generate_series(1, 1500) g`.execute(db);
    await sql`insert into licenses (space_id, id, account_id, adam_id, type, device_id, state, created_at, updated_at)
      select ${ic.spaceId}, gen_random_uuid()::text, ${lyon}, ${ADAM}, 'device', 'many-' || g, 'assigned', now(), now()
      from generate_series(1, 1500) g`.execute(db);
    const live = async () =>
      (await listLicensesForApp(db, ic.spaceId, ADAM)).filter(
        (l) =>
          (l.deviceId?.startsWith("many-") || l.deviceId === devices["PARIS-8"]) && l.state === "assigned",
      ).length;
    // The first batch is held until Stop is clicked: Stop then lets it finish, and no other is sent.
    let batches = 0;
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route("**/licenses/reclaim", async (route) => {
      const body = route.request().postDataJSON() as { expect?: number };
      if (body.expect !== undefined && ++batches === 1) await held;
      await route.continue();
    });
    await page.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await page.getByRole("button", { name: "Reclaim inactive…" }).click();
    const dialog = page.getByRole("dialog", { name: "Reclaim the licenses of inactive devices and users" });
    await dialog.getByRole("button", { name: "Preview" }).click();
    // The 1,500 iPads and PARIS-8, counted in the console's language.
    await dialog
      .getByText("1,501 licenses are held by devices or users inactive for 90 days or more.")
      .first()
      .waitFor();
    await dialog.getByText("They are reclaimed 1,000 at a time, with a progress bar").waitFor();
    await dialog.getByRole("button", { name: "Reclaim 1,501 licenses" }).click();
    await dialog.getByText("Reclaiming: 0 of 1,501…").waitFor();
    expect(await dialog.getByRole("progressbar", { name: "Reclaim progress" }).getAttribute("max")).toBe(
      "1501",
    );
    await shot(page, "43-reclaim-progress");
    await dialog.getByRole("button", { name: "Stop" }).click();
    expect(await dialog.getByRole("button", { name: "Stopping after this batch…" }).isDisabled()).toBe(true);
    release();
    await dialog.getByText("1,000 licenses reclaimed: their release is on its way to Apple.").waitFor();
    await dialog.getByText("Stopped: 501 licenses of the preview are left.").waitFor();
    await shot(page, "44-reclaim-stopped");
    expect(batches).toBe(1);
    expect(await live()).toBe(501);

    await dialog.getByRole("button", { name: "Reclaim the remaining 501" }).click();
    await dialog.getByText("1,501 licenses reclaimed: their release is on its way to Apple.").waitFor();
    expect(batches).toBe(2);
    expect(await live()).toBe(0);
    expect(await dialog.getByText("Stopped:").count()).toBe(0);
    await page.unroute("**/licenses/reclaim");
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });
  });

  it("PM1: a read-only administrator has no Reclaim button", async () => {
    const reader = await signIn(ic, READER);
    await reader.goto(`${ic.url}/s/${ic.spaceId}/licenses`);
    await reader.getByRole("link", { name: "Export CSV" }).waitFor();
    expect(await reader.getByRole("button", { name: "Reclaim inactive…" }).count()).toBe(0);
    await reader.context().close();
  });
});
