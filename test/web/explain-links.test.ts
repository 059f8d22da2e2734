import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDevices, createUser, requestLicenses, setCatalogApp } from "../../src/store/index.js";
import { accountWithSeats } from "../store/fixtures.js";
import { shot, signIn } from "./harness.js";
import { type IsolatedConsole, startIsolatedConsole } from "./isolated-console.js";

/**
 * The Explain page reached the ways an administrator reaches it: a waiting queue's row, a
 * device's page, a deep link with ids. In headless Chromium against the real API
 * (in-memory PGlite, isolated-console.ts). No worker runs, so the queue holds exactly what
 * the test asked.
 */
const OWNER = { login: "owner-ex", password: "correct horse battery staple" };
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);

describe("console: explain from where the question comes up", () => {
  let ic: IsolatedConsole;
  let url = "";
  let spaceId = "";
  let page: Page;
  const adamId = "409203825";
  const device = { holder: "", first: "", second: "" };
  let userId = "";

  beforeAll(async () => {
    ic = await startIsolatedConsole({ name: "ex", owner: OWNER });
    ({ url, spaceId } = ic);
    const { db, keys } = ic.core.store;
    // One seat, FCFS for All Users (AC1): the holder has it; two devices wait (DB2).
    await setCatalogApp(db, { spaceId, adamId, name: "Numbers Pro", installOnDevice: true }, new Date());
    await accountWithSeats(db, keys, { spaceId, adamId, total: 1 });
    const [holder, first, second] = await createDevices(
      db,
      ["QUEUE-HOLDER", "QUEUE-FIRST", "QUEUE-SECOND"].map((serialNumber) => ({
        spaceId,
        serialNumber,
        platform: "iOS" as const,
        supervised: true,
      })),
    );
    device.holder = holder?.id ?? "";
    device.first = first?.id ?? "";
    device.second = second?.id ?? "";
    const asks = [
      [device.holder, "check_in"],
      [device.first, "check_in"],
      [device.second, "mandatory"],
    ] as const;
    for (const [i, [deviceId, why]] of asks.entries()) {
      await requestLicenses(db, {
        spaceId,
        adamId,
        requests: [{ spaceId, adamId, subject: { kind: "device", deviceId }, why }],
        actor: { kind: "mdm" },
        now: minutesAgo(10 - i),
      });
    }
    userId = (await createUser(db, { spaceId, name: "Grace Hopper" })).id;
    page = await signIn(ic, OWNER);
  }, 180_000);

  afterAll(async () => {
    await ic?.close();
  });

  const decision = () => page.locator(".card.decision");
  const deviceChip = () => page.locator('[data-field="device"] .chip');

  it("DB2, UB3: a waiting queue's row opens Explain for that device and app: its wait, its place, the reason it waits with, the device by its serial", async () => {
    await page.goto(`${url}/s/${spaceId}/apps/${adamId}`);
    const queue = page.getByRole("table", { name: "Waiting for a license" });
    await queue.waitFor();
    const row = queue.getByRole("row", { name: /QUEUE-SECOND/ });
    await expect(row.textContent()).resolves.toMatch(/^2QUEUE-SECOND/);
    await row.getByRole("link", { name: "Why? Explain why QUEUE-SECOND waits" }).click();
    await page.getByRole("heading", { name: "Explain a decision" }).waitFor();
    // The link asks for the subject's situation: no `why` in the address.
    expect(new URL(page.url()).searchParams.get("why")).toBeNull();
    expect(new URL(page.url()).searchParams.get("device")).toBe(device.second);
    await decision().waitFor();
    await expect(decision().locator(".badge").first().textContent()).resolves.toBe("Waits");
    await expect(decision().locator(".decision-queue").textContent()).resolves.toMatch(
      /^In the queue: 2 of 2, /,
    );
    await expect(decision().locator(".decision-why").textContent()).resolves.toBe(
      "Situation explained: The app is mandatory on the device, the request it waits with in the queue.",
    );
    // The device by its serial number, not its id; the app chosen; the situation left to the subject's.
    await expect(deviceChip().textContent()).resolves.toMatch(/^QUEUE-SECOND/);
    await expect(page.getByLabel("App", { exact: true }).inputValue()).resolves.toBe(adamId);
    await expect(page.getByLabel("Situation").inputValue()).resolves.toBe("");
    await shot(page, "06c-explain-from-queue");
  });

  it("DB2: a deep link names the device by its serial and explains its wait, in French too; a `why` in the address is the one explained, and the form shows it", async () => {
    await page.goto(`${url}/s/${spaceId}/explain?app=${adamId}&device=${device.first}`);
    await decision().waitFor();
    await expect(deviceChip().textContent()).resolves.toMatch(/^QUEUE-FIRST/);
    await expect(decision().locator(".decision-queue").textContent()).resolves.toMatch(
      /^In the queue: 1 of 2, /,
    );
    await expect(decision().locator(".decision-why").textContent()).resolves.toBe(
      "Situation explained: The device checks in, the request it waits with in the queue.",
    );

    await page.getByRole("group", { name: "Language" }).getByRole("button", { name: "FR" }).click();
    await page.getByRole("heading", { name: "Expliquer une décision" }).waitFor();
    await expect(decision().locator(".badge").first().textContent()).resolves.toBe("En attente");
    await expect(decision().locator(".decision-queue").textContent()).resolves.toMatch(
      /^Dans la file d'attente\u00a0: 1 sur 2, /,
    );
    await expect(decision().locator(".decision-why").textContent()).resolves.toBe(
      "Situation expliquée\u00a0: L'appareil se signale, la demande avec laquelle il attend dans la file.",
    );
    await expect(deviceChip().textContent()).resolves.toMatch(/^QUEUE-FIRST/);
    await page.getByRole("group", { name: "Langue" }).getByRole("button", { name: "EN" }).click();

    // An explicit situation wins, and the form says which.
    await page.goto(`${url}/s/${spaceId}/explain?app=${adamId}&device=${device.first}&why=requested`);
    await decision().waitFor();
    await expect(page.getByLabel("Situation").inputValue()).resolves.toBe("requested");
    await expect(decision().locator(".decision-why").textContent()).resolves.toBe(
      "Situation explained: The user requests the app.",
    );
    await expect(decision().locator(".decision-queue").count()).resolves.toBe(0);
    // Choosing its current situation again puts the wait back, and the address follows.
    await page.getByLabel("Situation").selectOption("");
    await page.getByRole("button", { name: "Explain" }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get("why")).toBeNull();
    await expect
      .poll(() => decision().locator(".decision-queue").textContent())
      .toMatch(/^In the queue: 1 of 2, /);

    // A user by name.
    await page.goto(`${url}/s/${spaceId}/explain?app=${adamId}&user=${userId}`);
    await decision().waitFor();
    await expect(page.locator('[data-field="user"] .chip').textContent()).resolves.toMatch(/^Grace Hopper/);
  });

  it("DB2, LT4: a device's page lists the apps it waits for with its place, and each app links to Explain; a holder's installed app is kept", async () => {
    await page.goto(`${url}/s/${spaceId}/devices/${device.second}`);
    const waiting = page.getByRole("table", { name: "Waiting for a license" });
    await waiting.waitFor();
    const row = waiting.getByRole("row", { name: /Numbers Pro/ });
    await expect(row.textContent()).resolves.toMatch(/^Numbers Pro2 of 2The app is mandatory on the device/);
    await row.getByRole("link", { name: "Why? Explain the decision for Numbers Pro" }).click();
    await decision().waitFor();
    await expect(deviceChip().textContent()).resolves.toMatch(/^QUEUE-SECOND/);
    await expect(decision().locator(".decision-queue").textContent()).resolves.toMatch(
      /^In the queue: 2 of 2, /,
    );

    // The holder waits for nothing: no such card; Explain says it keeps its license.
    await page.goto(`${url}/s/${spaceId}/devices/${device.holder}`);
    await page.getByRole("heading", { name: "Installed apps" }).waitFor();
    await expect(page.getByRole("table", { name: "Waiting for a license" }).count()).resolves.toBe(0);
    await page.goto(`${url}/s/${spaceId}/explain?app=${adamId}&device=${device.holder}`);
    await decision().waitFor();
    await expect(decision().locator(".badge").first().textContent()).resolves.toBe("Kept");
    await expect(decision().locator(".decision-why").textContent()).resolves.toBe(
      "Situation explained: The device checks in. It already holds a license, kept whatever the situation.",
    );
  });

  it("a link through `default` opens its page in the default space; one naming a space that does not exist says so over the first space's dashboard", async () => {
    // The console's own address (where signing in lands) opens the default space with no warning.
    await page.goto(`${url}/`);
    await page.waitForURL(`${url}/s/${spaceId}`);
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
    await expect(page.getByText(/^The link named a space/).count()).resolves.toBe(0);
    // WCAG 2.4.1: the first Tab offers to skip the navigation; taken, the next Tab is in the page.
    await page.keyboard.press("Tab");
    await expect(page.evaluate("document.activeElement.textContent")).resolves.toBe("Skip to content");
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    await expect(page.evaluate("!!document.activeElement.closest('main')")).resolves.toBe(true);
    await page.goto(`${url}/s/default/devices?q=QUEUE`);
    await page.waitForURL(`${url}/s/${spaceId}/devices?q=QUEUE`);
    await page.getByRole("heading", { name: "Devices" }).waitFor();
    await page.goto(`${url}/s/no-such-space/apps`);
    await page.waitForURL(`${url}/s/${spaceId}`);
    await page
      .getByText(
        "The link named a space that does not exist, or in which you have no role (no-such-space): here is your first space.",
      )
      .waitFor();
    // Gone with the next page: it was about that link.
    await page.getByRole("link", { name: "Devices" }).click();
    await page.getByRole("heading", { name: "Devices" }).waitFor();
    await expect(page.getByText(/^The link named a space/).count()).resolves.toBe(0);
  });
});
